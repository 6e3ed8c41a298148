"""Both brokers (real Mosquitto, embedded amqtt) enforce the same logins and the same ACL.

ACLs are checked from a subscriber's side: a refused MQTT 3.1.1 publish still gets a PUBACK.
A "nothing arrived" check waits for a later message from the same publisher (a sentinel)
instead of sleeping: a broker forwards one client's messages in order, so once the sentinel is
in, anything published before it would be too.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
import socket
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from amqtt.contexts import Action
from amqtt.session import Session
from harness.brokers import (
    ACCOUNTS,
    HALL,
    KIOSK,
    PAD,
    SCREEN,
    SERVER,
    SERVER_STATUS,
    TIMEOUT,
    BrokerEndpoint,
    Clients,
    Peer,
    cmd_filter,
    cmd_topic,
    connect,
    evt_topic,
    state_topic,
    status_topic,
)
from harness.mosquitto import MOSQUITTO_PASSWD_BIN, MosquittoServer
from harness.ports import stable_port

from devices.protocol.topics import TopicError, device_acl, server_acl
from hallserver.bus import embedded
from hallserver.bus.accounts import AccountError, BrokerAccount, acl_for, check_accounts
from hallserver.bus.embedded import (
    AclTable,
    EmbeddedBroker,
    EmbeddedBrokerError,
    _HallBroker,
    _HallProtocolHandler,
    filters_overlap,
)
from hallserver.bus.mosquitto import (
    MAX_PACKET_BYTES,
    MAX_QUEUED_BYTES,
    mosquitto_password_hash,
    verify_mosquitto_password,
    write_mosquitto_config,
)

KIOSK_OWN = {state_topic(KIOSK), status_topic(KIOSK), SERVER_STATUS}


def _server_watching(mqtt: Clients) -> Peer:
    """The hall server's peer, subscribed to everything in the hall."""
    server = mqtt(SERVER)
    codes = server.subscribe(f"hall/{HALL}/#")
    assert not codes[0].is_failure
    return server


# ------------------------------------------------------------------------------ logins


def test_every_account_connects_with_its_password(mqtt: Clients) -> None:
    for account in ACCOUNTS:
        peer = mqtt(account)
        assert peer.connack is not None and not peer.connack.is_failure


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param(KIOSK.username, "wrong-password", id="wrong-password"),
        pytest.param(SERVER.username, KIOSK.password, id="another-accounts-password"),
        pytest.param("kiosk-zz", KIOSK.password, id="unknown-user"),
        pytest.param(None, None, id="anonymous"),
        pytest.param(KIOSK.username, None, id="no-password"),
    ],
)
def test_bad_logins_are_refused(mqtt: Clients, username: str | None,
                                password: str | None) -> None:
    peer = mqtt.attempt(username, password, client_id=username or "anon-1")
    assert not peer.connected.is_set()
    assert peer.connack is None or peer.connack.is_failure


def test_borrowed_client_id_cannot_disturb_its_owner(mqtt: Clients,
                                                     broker: BrokerEndpoint) -> None:
    """pad-1 logs in with its own password but kiosk-a1's client id.

    amqtt (ours): refused, client id must equal the username. Mosquitto
    (`use_username_as_clientid`): accepted, but the client id becomes `pad-1`, so the
    connection is pad-1's and kiosk-a1 is not kicked off. Either way kiosk-a1 keeps working.
    """
    server = mqtt(SERVER)
    kiosk = mqtt(KIOSK)
    kiosk.subscribe(cmd_filter(KIOSK))
    borrower = mqtt.attempt(PAD.username, PAD.password, client_id=KIOSK.username)
    if broker.kind == "amqtt":
        assert not borrower.connected.is_set()
    else:
        assert borrower.connected.is_set()
        borrower.subscribe(cmd_filter(KIOSK))  # as pad-1: may not read kiosk commands
    server.publish(cmd_topic(KIOSK, "call"), b"after-borrow")
    kiosk.wait_topic(cmd_topic(KIOSK, "call"), b"after-borrow")
    assert not kiosk.disconnected.is_set()
    assert borrower.received(cmd_topic(KIOSK, "call")) == []


@pytest.mark.parametrize(
    ("username", "password"),
    [pytest.param(KIOSK.username, "wrong-password", id="wrong-password"),
     pytest.param(None, None, id="anonymous"),
     pytest.param(PAD.username, "wrong-password", id="other-user-wrong-password")],
)
def test_refused_login_with_a_victims_client_id_changes_nothing(
    mqtt: Clients, username: str | None, password: str | None
) -> None:
    """amqtt 0.12 as shipped dropped the victim's subscriptions before checking the login."""
    server = mqtt(SERVER)
    kiosk = mqtt(KIOSK)
    kiosk.subscribe(cmd_filter(KIOSK))
    intruder = mqtt.attempt(username, password, client_id=KIOSK.username)
    assert not intruder.connected.is_set()
    server.publish(cmd_topic(KIOSK, "call"), b"still-there")
    kiosk.wait_topic(cmd_topic(KIOSK, "call"), b"still-there")
    assert not kiosk.disconnected.is_set()


@pytest.mark.parametrize("clean_session", [True, False], ids=["clean", "persistent"])
def test_a_device_reconnecting_takes_over_its_old_connection(mqtt: Clients,
                                                             clean_session: bool) -> None:
    server = mqtt(SERVER)
    old = mqtt(KIOSK, clean_session=clean_session)
    old.subscribe(cmd_filter(KIOSK))
    new = mqtt(KIOSK, clean_session=clean_session)
    assert old.disconnected.wait(3.0), "the old connection was not closed"
    if clean_session:
        new.subscribe(cmd_filter(KIOSK))  # a persistent session keeps its subscription
    server.publish(cmd_topic(KIOSK, "call"), b"to-new")
    new.wait_topic(cmd_topic(KIOSK, "call"), b"to-new")
    assert old.received(cmd_topic(KIOSK, "call")) == []


# ------------------------------------------------------------------------------ ACL


def test_device_events_and_status_reach_the_server(mqtt: Clients) -> None:
    server = _server_watching(mqtt)
    kiosk = mqtt(KIOSK)
    kiosk.publish(status_topic(KIOSK), b"online", retain=True)
    kiosk.publish(evt_topic(KIOSK, "ticket"), b"A001")
    server.wait_topic(status_topic(KIOSK), b"online")
    server.wait_topic(evt_topic(KIOSK, "ticket"), b"A001")


def test_device_cannot_publish_outside_its_own_status_and_events(mqtt: Clients) -> None:
    server = _server_watching(mqtt)
    kiosk = mqtt(KIOSK)
    kiosk.subscribe(cmd_filter(KIOSK))
    pad = mqtt(PAD)
    forged = [
        evt_topic(KIOSK, "ticket"),  # another device's event
        status_topic(KIOSK),  # another device's status
        cmd_topic(KIOSK, "call"),  # a command, as if from the server
        state_topic(KIOSK),  # another device's display state
        state_topic(PAD),  # its own state: only the server writes state
        cmd_topic(PAD, "reboot"),  # its own commands: only the server writes commands
        SERVER_STATUS,  # the server's birth/will
        "hall/other-hall/pad/pad-1/evt/rating",  # another hall
        "outside/the/grammar",
    ]
    for topic in forged:
        pad.publish(topic, b"forged")
    pad.publish(evt_topic(PAD, "rating"), b"sentinel")
    server.wait_topic(evt_topic(PAD, "rating"), b"sentinel")
    got = [(m.topic, m.payload) for m in server.messages]
    assert got == [(evt_topic(PAD, "rating"), b"sentinel")]
    server.publish(cmd_topic(KIOSK, "call"), b"real")
    kiosk.wait_topic(cmd_topic(KIOSK, "call"), b"real")
    assert [m.payload for m in kiosk.messages] == [b"real"]


def test_device_subscribed_to_everything_reads_only_its_own(mqtt: Clients) -> None:
    """Retained or live, a device gets only its own status/state/commands and the server's
    status, whatever filter it subscribes to. (amqtt as shipped sent retained messages
    without the read check, and on connect sent those of everybody's subscriptions.)"""
    server = _server_watching(mqtt)  # subscribed before the devices connect
    server.publish(SERVER_STATUS, b"online", retain=True)
    for device in (KIOSK, PAD, SCREEN):
        server.publish(state_topic(device), f"state-{device.username}".encode(), retain=True)
    pad = mqtt(PAD)
    pad.publish(status_topic(PAD), b"online", retain=True)
    server.wait_topic(status_topic(PAD), b"online")

    kiosk = mqtt(KIOSK)
    codes = kiosk.subscribe("#")
    assert not codes[0].is_failure  # granted; what it may read is checked per message
    kiosk.wait_topic(state_topic(KIOSK), b"state-kiosk-a1")
    kiosk.wait_topic(SERVER_STATUS, b"online")

    server.publish(cmd_topic(PAD, "show"), b"not-for-kiosk")
    pad.publish(evt_topic(PAD, "rating"), b"5")
    server.wait_topic(evt_topic(PAD, "rating"))
    server.publish(cmd_topic(KIOSK, "call"), b"for-kiosk")
    kiosk.wait_topic(cmd_topic(KIOSK, "call"), b"for-kiosk")

    allowed = {*KIOSK_OWN, cmd_topic(KIOSK, "call")}
    assert set(kiosk.topics()) <= allowed, kiosk.topics()
    assert len(kiosk.topics()) == len(set(kiosk.topics()))  # nothing twice


def test_device_subscribing_to_another_devices_commands_gets_nothing(
    mqtt: Clients, broker: BrokerEndpoint
) -> None:
    """amqtt refuses the subscription (0x80); Mosquitto 2.0 grants it and filters delivery."""
    server = mqtt(SERVER)
    pad = mqtt(PAD)
    codes = pad.subscribe(cmd_filter(KIOSK))
    assert codes[0].is_failure == (broker.kind == "amqtt")
    pad.subscribe(cmd_filter(PAD))
    server.publish(cmd_topic(KIOSK, "call"), b"kiosk-only")
    server.publish(cmd_topic(PAD, "show"), b"sentinel")
    pad.wait_topic(cmd_topic(PAD, "show"), b"sentinel")
    assert pad.topics() == [cmd_topic(PAD, "show")]


# ---------------------------------------------------------------------- retained, QoS, wills


def test_retained_state_reaches_a_late_subscriber(mqtt: Clients) -> None:
    server = mqtt(SERVER)
    server.publish(state_topic(SCREEN), b'{"version": 1}', retain=True)
    server.publish(state_topic(SCREEN), b'{"version": 2}', retain=True)
    screen = mqtt(SCREEN)
    screen.subscribe(state_topic(SCREEN))
    message = screen.wait_topic(state_topic(SCREEN))
    assert message.payload == b'{"version": 2}'
    assert message.retain


@pytest.mark.parametrize("qos", [1, 2])
def test_commands_are_delivered_at_qos(mqtt: Clients, qos: int) -> None:
    server = mqtt(SERVER)
    kiosk = mqtt(KIOSK)
    kiosk.subscribe(cmd_filter(KIOSK), qos=qos)
    server.publish(cmd_topic(KIOSK, "print"), b"receipt", qos=qos)
    message = kiosk.wait_topic(cmd_topic(KIOSK, "print"), b"receipt")
    assert message.qos == qos
    server.publish(cmd_topic(KIOSK, "print"), b"sentinel", qos=qos)
    kiosk.wait_topic(cmd_topic(KIOSK, "print"), b"sentinel")
    assert [m.payload for m in kiosk.messages] == [b"receipt", b"sentinel"]


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_a_burst_of_commands_arrives_complete_and_in_order(mqtt: Clients,
                                                          online: bool) -> None:
    """1,500 QoS 1 commands at once (as after a server restart), to a connected device or
    queued for an offline one: none lost, none reordered. (Mosquitto's default
    max_queued_messages, 1000, would drop a third of the offline queue.)"""
    server = mqtt(SERVER)
    kiosk = mqtt(KIOSK, clean_session=False)
    kiosk.subscribe(cmd_filter(KIOSK), qos=1)
    if not online:
        kiosk.close()
    sent = [str(i).encode() for i in range(1500)]
    infos = [server.client.publish(cmd_topic(KIOSK, "show"), p, qos=1) for p in sent]
    for info in infos:
        info.wait_for_publish(10.0)
    if not online:
        kiosk = mqtt(KIOSK, clean_session=False)
    kiosk.wait_topic(cmd_topic(KIOSK, "show"), sent[-1], timeout=10.0)
    assert [m.payload for m in kiosk.messages] == sent


def test_persistent_session_gets_commands_queued_while_offline(mqtt: Clients) -> None:
    server = mqtt(SERVER)
    kiosk = mqtt(KIOSK, clean_session=False)
    kiosk.subscribe(cmd_filter(KIOSK), qos=1)
    kiosk.close()
    server.publish(cmd_topic(KIOSK, "call"), b"while-offline", qos=1)
    back = mqtt(KIOSK, clean_session=False)
    back.wait_topic(cmd_topic(KIOSK, "call"), b"while-offline")
    server.publish(cmd_topic(KIOSK, "call"), b"live", qos=1)
    back.wait_topic(cmd_topic(KIOSK, "call"), b"live")


def test_will_is_published_when_a_device_vanishes(mqtt: Clients) -> None:
    server = _server_watching(mqtt)
    kiosk = mqtt(KIOSK, will=(status_topic(KIOSK), b"offline"))
    kiosk.publish(status_topic(KIOSK), b"online", retain=True)
    server.wait_topic(status_topic(KIOSK), b"online")
    kiosk.drop()
    server.wait_topic(status_topic(KIOSK), b"offline")
    server.close()
    late = mqtt(SERVER)
    late.subscribe(status_topic(KIOSK))
    retained = late.wait_topic(status_topic(KIOSK))
    assert (retained.payload, retained.retain) == (b"offline", True)


def test_will_on_another_devices_topic_is_never_published(
    mqtt: Clients, broker: BrokerEndpoint
) -> None:
    """amqtt (ours) refuses the connection; Mosquitto accepts it and drops the will."""
    server = _server_watching(mqtt)
    pad = mqtt.attempt(PAD.username, PAD.password, will=(status_topic(KIOSK), b"offline"))
    if broker.kind == "amqtt":
        assert not pad.connected.is_set()
    else:
        assert pad.connected.is_set()
        pad.drop()
    honest = mqtt(PAD, will=(status_topic(PAD), b"offline"))
    honest.drop()
    server.wait_topic(status_topic(PAD), b"offline")
    assert server.received(status_topic(KIOSK)) == []


def test_a_publish_to_a_dollar_topic_leaves_no_zombie(mqtt: Clients,
                                                      broker: BrokerEndpoint) -> None:
    """amqtt 0.12, on a PUBLISH to a `$` topic, left the connection's message loop but kept
    the connection: every later publish was acknowledged and dropped, and the will never went
    out. Ours closes the connection (the will tells the hall); Mosquitto drops that one
    message and keeps the client working. Either way nothing later is lost unseen."""
    server = _server_watching(mqtt)
    kiosk = mqtt(KIOSK, will=(status_topic(KIOSK), b"offline"))
    kiosk.publish(status_topic(KIOSK), b"online", retain=True)
    server.wait_topic(status_topic(KIOSK), b"online")
    kiosk.client.publish("$SYS/forged", b"x", qos=1)  # no wait: the broker may hang up
    if broker.kind == "amqtt":
        assert kiosk.disconnected.wait(TIMEOUT), "the connection stayed open"
        server.wait_topic(status_topic(KIOSK), b"offline")
        back = mqtt(KIOSK)  # a device that reconnects is heard again
        back.publish(evt_topic(KIOSK, "ticket"), b"after")
    else:
        kiosk.publish(evt_topic(KIOSK, "ticket"), b"after")
        assert not kiosk.disconnected.is_set()
    server.wait_topic(evt_topic(KIOSK, "ticket"), b"after")
    assert "$SYS/forged" not in server.topics()


def test_a_message_larger_than_the_protocols_largest_is_refused(
        mqtt: Clients, broker: BrokerEndpoint) -> None:
    """Both brokers hang up on a PUBLISH over MAX_PACKET_BYTES (a payload of the protocol's
    largest message, its topic and header): nothing of it is forwarded or kept retained."""
    server = _server_watching(mqtt)
    kiosk = mqtt(KIOSK, will=(status_topic(KIOSK), b"offline"))
    kiosk.publish(status_topic(KIOSK), b"online", retain=True)
    server.wait_topic(status_topic(KIOSK), b"online")
    kiosk.client.publish(status_topic(KIOSK), b"x" * MAX_PACKET_BYTES, qos=1, retain=True)
    assert kiosk.disconnected.wait(TIMEOUT), "the connection stayed open"
    server.wait_topic(status_topic(KIOSK), b"offline")  # its will
    back = mqtt(KIOSK)  # the device is heard again when it reconnects
    back.publish(evt_topic(KIOSK, "ticket"), b"after")
    server.wait_topic(evt_topic(KIOSK, "ticket"), b"after")
    assert max(len(m.payload) for m in server.messages) < 1024
    back.close()
    late = mqtt(SERVER)  # (takes the server's client id over)
    late.subscribe(status_topic(KIOSK))
    assert late.wait_topic(status_topic(KIOSK)).payload == b"offline"  # not the big one


def test_the_queue_of_an_offline_client_is_bounded(amqtt_broker: EmbeddedBroker,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded broker keeps at most MAX_QUEUED_MESSAGES and MAX_QUEUED_BYTES for a
    persistent client that is away, as Mosquitto's max_queued_messages and max_queued_bytes
    (checked in the generated config below); the rest is dropped, the queue delivered."""
    monkeypatch.setattr(embedded, "MAX_QUEUED_MESSAGES", 5)
    monkeypatch.setattr(embedded, "MAX_QUEUED_BYTES", 3000)
    clients = Clients(BrokerEndpoint("amqtt", amqtt_broker.host, amqtt_broker.port))
    ticket = evt_topic(KIOSK, "ticket")

    def server_away(will: bytes) -> Peer:
        """The server's persistent session, then its connection lost (its will says so)."""
        server = clients(SERVER, clean_session=False, will=(SERVER_STATUS, will))
        server.subscribe(f"hall/{HALL}/kiosk/#", qos=1)  # not its own status
        return server

    try:
        kiosk = clients(KIOSK)
        kiosk.subscribe(SERVER_STATUS)
        server_away(b"away-1").drop()
        kiosk.wait_topic(SERVER_STATUS, b"away-1")  # the broker knows it is gone
        for i in range(8):  # 5 fit by count
            kiosk.publish(ticket, f"small-{i}".encode(), qos=1)
        back = server_away(b"away-2")
        for i in range(5):
            back.wait_topic(ticket, f"small-{i}".encode())
        back.drop()
        kiosk.wait_topic(SERVER_STATUS, b"away-2")
        for digit in "0123":  # 3 fit by bytes (1000 each, at most 3000)
            kiosk.publish(ticket, digit.encode() * 1000, qos=1)
        again = server_away(b"away-3")
        again.wait_topic(ticket, b"2" * 1000)
        kiosk.publish(ticket, b"live", qos=1)
        again.wait_topic(ticket, b"live")
        got = [m.payload for m in again.messages if m.topic == ticket]
        assert [p[:1] for p in got] == [b"0", b"1", b"2", b"l"]
        assert not any(m.payload.startswith(b"small-") for m in back.messages
                       if m.payload[-1:] in b"567")
    finally:
        clients.close()


def test_a_broker_started_with_the_server_holds_devices_until_it_subscribed() -> None:
    """Fix 9: the hall server's embedded broker starts empty; a device that reconnected
    before the server subscribed had its queued events acknowledged and dropped. Now it is
    refused (server unavailable: it retries) until the server's account has subscribed."""
    with EmbeddedBroker(HALL, ACCOUNTS, hold_devices_until_server=True) as broker:
        clients = Clients(BrokerEndpoint("amqtt", broker.host, broker.port))
        try:
            early = clients.attempt(KIOSK.username, KIOSK.password)
            assert not early.connected.is_set()
            server = clients(SERVER, clean_session=False)  # the server itself may connect
            server.subscribe(f"hall/{HALL}/#", qos=1)
            kiosk = clients(KIOSK)
            kiosk.publish(evt_topic(KIOSK, "ticket"), b"first", qos=1)
            server.wait_topic(evt_topic(KIOSK, "ticket"), b"first")
        finally:
            clients.close()


# ------------------------------------------------------------------------------ Mosquitto files


def _conf_values(text: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.strip().partition(" ")
            values.setdefault(key, []).append(value)
    return values


def test_mosquitto_files(tmp_path: Path) -> None:
    files = write_mosquitto_config(
        tmp_path / "etc", hall_id=HALL, accounts=ACCOUNTS, port=18830, bind="127.0.0.1",
        persistence_dir=tmp_path / "data",
    )
    assert stat.S_IMODE(files.passwd.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    conf = _conf_values(files.config.read_text())
    assert conf["listener"] == ["18830 127.0.0.1"]
    assert conf["allow_anonymous"] == ["false"]
    assert conf["use_username_as_clientid"] == ["true"]
    assert conf["per_listener_settings"] == ["false"]
    assert conf["max_queued_messages"] == ["10000"]
    assert conf["max_queued_bytes"] == [str(MAX_QUEUED_BYTES)]
    assert conf["max_packet_size"] == [str(MAX_PACKET_BYTES)]
    assert conf["persistence"] == ["true"]
    for key in ("password_file", "acl_file", "persistence_location"):
        assert Path(conf[key][0]).is_absolute(), key
    assert Path(conf["password_file"][0]) == files.passwd
    assert Path(conf["acl_file"][0]) == files.acl
    everything = "".join(p.read_text() for p in (files.config, files.passwd, files.acl))
    for account in ACCOUNTS:
        assert account.password not in everything

    lines = dict(line.split(":", 1) for line in files.passwd.read_text().splitlines())
    assert sorted(lines) == sorted(a.username for a in ACCOUNTS)
    for account in ACCOUNTS:
        assert re.fullmatch(r"\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==",
                            lines[account.username])
        assert verify_mosquitto_password(account.password, lines[account.username])
        assert not verify_mosquitto_password("nope", lines[account.username])

    acl = [ln for ln in files.acl.read_text().splitlines() if ln and not ln.startswith("#")]
    expected = [f"pattern {r.access} {r.pattern}" for r in device_acl(HALL)]
    expected += [f"user {SERVER.username}"]
    expected += [f"topic {r.access} {r.pattern}" for r in server_acl(HALL)]
    assert acl == expected


def test_mosquitto_files_refuse_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no server account"):
        write_mosquitto_config(tmp_path, hall_id=HALL, accounts=[KIOSK, PAD])
    with pytest.raises(TopicError):
        write_mosquitto_config(tmp_path, hall_id="Bad Hall", accounts=ACCOUNTS)
    with pytest.raises(AccountError, match="duplicate"):
        write_mosquitto_config(tmp_path, hall_id=HALL, accounts=[*ACCOUNTS, KIOSK])
    assert not (tmp_path / "passwd").exists()


def test_password_hash_is_the_one_mosquitto_passwd_writes(tmp_path: Path) -> None:
    if not os.access(MOSQUITTO_PASSWD_BIN, os.X_OK):
        if os.environ.get("ONEWINDOW_REQUIRE_MOSQUITTO"):
            pytest.fail(f"{MOSQUITTO_PASSWD_BIN} missing (Debian 'mosquitto' package)")
        pytest.skip(f"{MOSQUITTO_PASSWD_BIN} missing")
    path = tmp_path / "pw"
    subprocess.run([str(MOSQUITTO_PASSWD_BIN), "-c", "-b", str(path), "alice", "s3cret-ü"],
                   check=True, capture_output=True, timeout=10)
    username, encoded = path.read_text().strip().split(":", 1)
    _, kind, iterations, salt, _digest = encoded.split("$")
    ours = mosquitto_password_hash("s3cret-ü", salt=base64.b64decode(salt),
                                   iterations=int(iterations))
    assert (username, kind, ours) == ("alice", "7", encoded)
    assert verify_mosquitto_password("s3cret-ü", encoded)
    assert not verify_mosquitto_password("s3cret-u", encoded)


@pytest.mark.slow
def test_mosquitto_restart_keeps_retained_state_and_port(mosquitto: MosquittoServer) -> None:
    endpoint = BrokerEndpoint("mosquitto", mosquitto.host, mosquitto.port)
    server = connect(endpoint, SERVER)
    server.publish(state_topic(SCREEN), b"kept", retain=True)
    server.close()
    port = mosquitto.port
    mosquitto.restart()
    assert mosquitto.port == port
    assert mosquitto.files is not None and mosquitto.files.persistence_dir is not None
    assert (mosquitto.files.persistence_dir / "mosquitto.db").is_file()
    screen = connect(endpoint, SCREEN)
    try:
        screen.subscribe(state_topic(SCREEN))
        assert screen.wait_topic(state_topic(SCREEN)).payload == b"kept"
    finally:
        screen.close()
    mosquitto.kill()
    assert not mosquitto.running
    with pytest.raises(ConnectionRefusedError):
        connect(endpoint, SCREEN)
    mosquitto.restart()
    connect(endpoint, SCREEN).close()


@pytest.mark.slow
def test_mosquitto_harness_cleans_up(mosquitto: MosquittoServer) -> None:
    tmp_dir = mosquitto.tmp_dir
    assert tmp_dir is not None and (tmp_dir / "mosquitto.conf").is_file()
    assert "running" in mosquitto.log_text()
    mosquitto.close()
    assert not tmp_dir.exists()
    assert not mosquitto.running


# ------------------------------------------------------------------------------ embedded broker


def test_embedded_broker_listens_on_loopback_only(amqtt_broker: EmbeddedBroker) -> None:
    assert amqtt_broker.port > 0
    socket.create_connection(("127.0.0.1", amqtt_broker.port), timeout=1).close()
    with pytest.raises(ConnectionRefusedError):  # 127.0.0.2 is loopback too: 0.0.0.0 would
        socket.create_connection(("127.0.0.2", amqtt_broker.port), timeout=1).close()


def test_embedded_broker_port_in_use_is_a_clear_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "BIND_RETRY_S", 0.5)  # retried briefly, then refused
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        broker = EmbeddedBroker(HALL, ACCOUNTS, port=port)
        with pytest.raises(EmbeddedBrokerError, match=f"127.0.0.1:{port}"):
            broker.start()
        assert not broker.running
        broker.stop()  # nothing to stop, no error


def test_embedded_broker_waits_for_its_port_to_come_free() -> None:
    """Restarting on a fixed port that is still held for a moment (in CI: the old port
    taken as the local port of a client reconnecting to it) waits instead of failing."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    timer = threading.Timer(1.0, taken.close)
    timer.start()
    broker = EmbeddedBroker(HALL, ACCOUNTS, port=port)
    try:
        broker.start()
        assert broker.running and broker.port == port
    finally:
        timer.join()
        broker.stop()


def test_embedded_broker_stop_disconnects_and_can_be_repeated() -> None:
    broker = EmbeddedBroker(HALL, ACCOUNTS).start()
    endpoint = BrokerEndpoint("amqtt", broker.host, broker.port)
    kiosk = connect(endpoint, KIOSK)
    with pytest.raises(EmbeddedBrokerError, match="already started"):
        broker.start()
    broker.stop()
    assert kiosk.disconnected.wait(3.0)
    assert not broker.running
    broker.stop()
    with pytest.raises(EmbeddedBrokerError):
        _ = broker.port
    kiosk.close()


def test_embedded_broker_holds_no_plaintext_password(amqtt_broker: EmbeddedBroker) -> None:
    held = repr(vars(amqtt_broker)) + repr(amqtt_broker._config())
    for account in ACCOUNTS:
        assert account.password not in held
        assert account.password not in repr(account)
    assert f"$7${embedded.HASH_ITERATIONS}$" in held


def test_embedded_broker_is_quiet_at_info(amqtt_broker: EmbeddedBroker,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    endpoint = BrokerEndpoint("amqtt", amqtt_broker.host, amqtt_broker.port)
    peer = connect(endpoint, KIOSK)
    peer.publish(evt_topic(KIOSK, "ticket"), b"x")
    peer.close()
    noisy = [r for r in caplog.records if r.name.startswith(("amqtt", "transitions"))
             and r.levelno < logging.WARNING]
    assert noisy == []


def test_embedded_qos_flows_survive_answers_that_beat_their_waiter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The broker pauses after each packet it writes, so every PUBACK/PUBREC/PUBREL/PUBCOMP
    comes back before amqtt registered its waiter: the flows must still complete."""
    original = _HallProtocolHandler._send_packet

    async def send_then_pause(self: _HallProtocolHandler, packet: object) -> None:
        await original(self, packet)
        await asyncio.sleep(0.05)

    monkeypatch.setattr(_HallProtocolHandler, "_send_packet", send_then_pause)
    with EmbeddedBroker(HALL, ACCOUNTS) as embedded:
        endpoint = BrokerEndpoint("amqtt", embedded.host, embedded.port)
        server, kiosk = connect(endpoint, SERVER), connect(endpoint, KIOSK)
        try:
            kiosk.subscribe(cmd_filter(KIOSK), qos=2)
            for qos in (1, 2):
                server.publish(cmd_topic(KIOSK, "print"), f"qos{qos}".encode(), qos=qos)
                message = kiosk.wait_topic(cmd_topic(KIOSK, "print"), f"qos{qos}".encode())
                assert message.qos == 2
        finally:
            server.close()
            kiosk.close()


def test_embedded_acl_check_never_yields() -> None:
    """amqtt iterates its subscription table around this check: it must not suspend."""

    async def check() -> list[bool]:
        broker = _HallBroker(EmbeddedBroker(HALL, ACCOUNTS)._config())
        session = Session()
        session.username = KIOSK.username
        results = []
        for topic in (cmd_topic(KIOSK, "call"), cmd_topic(PAD, "show")):
            coro = broker._topic_filtering(session, topic, Action.RECEIVE)
            with pytest.raises(StopIteration) as done:
                coro.send(None)
            results.append(done.value.value)
        return results

    assert asyncio.run(check()) == [True, False]


def test_password_hashes() -> None:
    encoded = embedded._hash("pw-1")
    assert encoded.startswith(f"$7${embedded.HASH_ITERATIONS}$")
    assert verify_mosquitto_password("pw-1", encoded)
    assert not verify_mosquitto_password("pw-2", encoded)
    assert embedded._hash("pw-1") != encoded  # salted
    assert not verify_mosquitto_password("pw-1", "garbage")
    assert not verify_mosquitto_password("pw-1", "$7$x$y$z")


# ------------------------------------------------------------------------------ ACL rules


def test_acl_for_substitutes_the_username() -> None:
    rules = acl_for(KIOSK, HALL)
    assert [r.access for r in rules] == [r.access for r in device_acl(HALL)]
    assert all("%u" not in r.pattern for r in rules)
    assert all(KIOSK.username in r.pattern for r in rules if "server" not in r.pattern)
    assert acl_for(SERVER, HALL) == server_acl(HALL)


@pytest.mark.parametrize(
    ("user", "action", "topic", "allowed"),
    [
        ("kiosk-a1", "publish", "hall/demo/kiosk/kiosk-a1/evt/ticket", True),
        ("kiosk-a1", "publish", "hall/demo/kiosk/kiosk-a1/status", True),
        ("kiosk-a1", "publish", "hall/demo/pad/pad-1/evt/rating", False),
        ("kiosk-a1", "publish", "hall/demo/kiosk/kiosk-a1/cmd/call", False),
        ("kiosk-a1", "publish", "hall/demo/kiosk/kiosk-a1/evt/+", False),
        ("kiosk-a1", "receive", "hall/demo/kiosk/kiosk-a1/cmd/call", True),
        ("kiosk-a1", "receive", "hall/demo/server/status", True),
        ("kiosk-a1", "receive", "hall/demo/pad/pad-1/cmd/show", False),
        ("kiosk-a1", "receive", "hall/demo/kiosk/kiosk-a1/evt/ticket", False),
        ("kiosk-a1", "subscribe", "#", True),
        ("kiosk-a1", "subscribe", "hall/demo/+/kiosk-a1/cmd/+", True),
        ("kiosk-a1", "subscribe", "hall/demo/pad/pad-1/cmd/+", False),
        ("kiosk-a1", "subscribe", "$SYS/#", False),
        ("hallserver", "publish", "hall/demo/pad/pad-1/cmd/show", True),
        ("hallserver", "publish", "hall/other/pad/pad-1/cmd/show", False),
        ("hallserver", "receive", "hall/demo/pad/pad-1/evt/rating", True),
        ("nobody", "receive", "hall/demo/server/status", False),
        (None, "receive", "hall/demo/server/status", False),
    ],
)
def test_acl_table(user: str | None, action: str, topic: str, allowed: bool) -> None:
    table = AclTable.for_accounts(HALL, ACCOUNTS)
    assert table.allows(user, topic, Action(action)) is allowed


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [("#", "hall/x", True), ("hall/+/a", "hall/b/+", True), ("hall/a", "hall/b", False),
     ("hall/a/#", "hall/a", True), ("hall/a", "hall/a/b", False), ("+/+", "a/b/c", False)],
)
def test_filters_overlap(a: str, b: str, overlap: bool) -> None:
    assert filters_overlap(a, b) is overlap
    assert filters_overlap(b, a) is overlap


def test_accounts_are_validated() -> None:
    with pytest.raises(AccountError):
        BrokerAccount("kiosk/+", "pw")
    with pytest.raises(AccountError):
        BrokerAccount("kiosk-b", "")
    with pytest.raises(AccountError):
        BrokerAccount("hallserver", "pw", "device")
    with pytest.raises(AccountError, match="duplicate"):
        check_accounts([KIOSK, BrokerAccount(KIOSK.username, "other")])
    assert "kiosk-pw-1" not in repr(KIOSK)


def test_a_shutdown_cut_short_still_frees_the_port_for_a_restart(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """amqtt's shutdown can wait on a client that never closes; after the grace period the
    broker is closed anyway, and its port must be free for the restart on the same port (a
    leaked listener failed a CI run: 'address already in use')."""
    async def hang(self: _HallBroker) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(embedded, "SHUTDOWN_GRACE_S", 0.2)
    monkeypatch.setattr(_HallBroker, "shutdown", hang)
    monkeypatch.setattr(embedded, "BIND_RETRY_S", 0.5)  # fail fast if the port stays taken
    port = stable_port()
    broker = EmbeddedBroker(HALL, ACCOUNTS, port=port)
    broker.start()
    with caplog.at_level(logging.WARNING, logger="hallserver.bus.embedded"):
        broker.stop()
    assert "closing it anyway" in caplog.text
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # raises if the old listener leaked
    broker.start()
    try:
        assert broker.port == port
    finally:
        broker.stop()
