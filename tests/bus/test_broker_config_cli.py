"""`hallserver broker-config OUTDIR` then `mosquitto -c OUTDIR/mosquitto.conf`, as the
README says, run as root: Mosquitto drops to its own user before it opens the password file
and the ACL, so they must be that user's (passwd still 0600), or it stops with
"Unable to open pwfile". A device then logs in with its password."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from harness.mosquitto import MOSQUITTO_BIN, mosquitto_available
from harness.ports import stable_port
from paho.mqtt.enums import CallbackAPIVersion
from support import DEMO_CONFIG

from devices.config.provision import ensure_secrets
from devices.config.secret import SERVER_SECRET, required_secrets
from hallserver.bus.mosquitto import MOSQUITTO_USER
from hallserver.cli import main

START_TIMEOUT_S = 15


@pytest.fixture
def base_dir() -> Iterator[Path]:
    """A directory anyone may enter, as /etc/... is (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="onewindow-broker-config-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def secrets_file(base_dir: Path) -> Path:
    names = [*required_secrets(sorted((DEMO_CONFIG.parent / "devices").glob("*.yaml"))),
             SERVER_SECRET]
    path = base_dir / "secrets.yaml"
    ensure_secrets(names, path)
    return path


def _require_mosquitto() -> None:
    reason = mosquitto_available()
    if reason is not None:
        if os.environ.get("ONEWINDOW_REQUIRE_MOSQUITTO"):
            pytest.fail(f"Mosquitto required but unavailable: {reason}")
        pytest.skip(reason)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _connect(username: str, password: str, port: int) -> tuple[mqtt.Client, int]:
    """A connected paho client and the CONNACK's reason code value (0: accepted)."""
    done = threading.Event()
    result: list[int] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=username,
                         protocol=mqtt.MQTTv311)
    client.username_pw_set(username, password)

    def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: object,
                   _p: object) -> None:
        result.append(int(getattr(reason, "value", 0)))
        done.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert done.wait(10), "no CONNACK"
    return client, result[0]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="about running as root")
def test_broker_config_output_runs_under_mosquitto_as_root(
        base_dir: Path, secrets_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _require_mosquitto()
    outdir = base_dir / "broker"
    port = stable_port()
    assert main(["broker-config", str(outdir), "--config", str(DEMO_CONFIG),
                 "--secrets", str(secrets_file), "--port", str(port)]) == 0
    out = capsys.readouterr().out
    assert "warning" not in out, out
    passwd = (outdir / "passwd").stat()
    assert stat.S_IMODE(passwd.st_mode) == 0o600
    assert passwd.st_uid == pwd.getpwnam(MOSQUITTO_USER).pw_uid

    log = (base_dir / "mosquitto.log").open("wb")
    proc = subprocess.Popen([str(MOSQUITTO_BIN), "-c", str(outdir / "mosquitto.conf")],
                            stdout=log, stderr=subprocess.STDOUT)
    clients: list[mqtt.Client] = []
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _listening(port):
            text = (base_dir / "mosquitto.log").read_text(errors="replace")
            assert proc.poll() is None, f"mosquitto exited:\n{text}"
            assert time.monotonic() < deadline, f"mosquitto did not listen:\n{text}"
            time.sleep(0.05)
        secrets = yaml.safe_load(secrets_file.read_text(encoding="utf-8"))

        server, rc = _connect("hallserver", secrets["hallserver"], port)
        clients.append(server)
        assert rc == 0
        got: list[bytes] = []
        arrived = threading.Event()
        server.on_message = lambda _c, _u, msg: (got.append(msg.payload), arrived.set())
        subscribed = threading.Event()
        server.on_subscribe = lambda *_args: subscribed.set()
        server.subscribe("hall/demo/kiosk/+/status", qos=1)
        # The SUBACK first: a status published before the broker took the subscription
        # would pass it by (a busy machine showed it).
        assert subscribed.wait(10), "the subscription was not acknowledged"

        kiosk, rc = _connect("kiosk-a1", secrets["kiosk-a1"], port)
        clients.append(kiosk)
        assert rc == 0
        topic = "hall/demo/kiosk/kiosk-a1/status"
        kiosk.publish(topic, b'{"hello": 1}', qos=1).wait_for_publish(5)
        assert arrived.wait(10), "the server account did not get the device's status"
        assert got == [b'{"hello": 1}']

        intruder, rc = _connect("kiosk-a1", "wrong password", port)
        clients.append(intruder)
        assert rc != 0  # refused: the password file is read and enforced
    finally:
        for c in clients:
            c.loop_stop()
            c.disconnect()
        proc.terminate()
        proc.wait(10)
        log.close()
    assert (outdir / "data" / "mosquitto.db").exists()  # it could write its persistence


@pytest.mark.skipif(os.geteuid() != 0, reason="about running as root")
def test_broker_config_warns_when_mosquitto_cannot_reach_the_files(
        base_dir: Path, secrets_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _require_mosquitto()
    closed = base_dir / "closed"
    closed.mkdir(mode=0o700)
    assert main(["broker-config", str(closed / "broker"), "--config", str(DEMO_CONFIG),
                 "--secrets", str(secrets_file)]) == 0
    out = capsys.readouterr().out
    assert f"warning: mosquitto cannot enter {closed} (chmod o+x {closed}" in out
