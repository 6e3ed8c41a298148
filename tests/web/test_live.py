"""The live event stream (GET /api/events) over a real server: hello, changes, calls, replay."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from web_support import Hall

WAIT_S = 5.0


@dataclass
class Event:
    name: str
    id: str
    data: dict[str, Any]


class Stream:
    """An SSE connection read on a thread; events land in a queue."""

    def __init__(self, url: str, last_id: str | None = None) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self.retry: int | None = None
        headers = {"Last-Event-ID": last_id} if last_id else {}
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._response = self._client.send(
            self._client.build_request("GET", url, headers=headers), stream=True)
        assert self._response.status_code == 200
        assert self._response.headers["content-type"].startswith("text/event-stream")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        name, ident, data = "message", "", []
        try:
            for line in self._response.iter_lines():
                if line == "":
                    if data:
                        self.events.put(Event(name, ident, json.loads("\n".join(data))))
                    name, ident, data = "message", "", []
                elif line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("id: "):
                    ident = line[4:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line.startswith("retry: "):
                    self.retry = int(line[7:])
        except httpx.HTTPError:
            pass  # closed by the test

    def next(self, name: str | None = None) -> Event:
        """The next event (of this name, skipping others)."""
        while True:
            event = self.events.get(timeout=WAIT_S)
            if name is None or event.name == name:
                return event

    def close(self) -> None:
        self._response.close()
        self._client.close()


@contextmanager
def stream(hall: Hall, last_id: str | None = None) -> Iterator[Stream]:
    s = Stream(f"{hall.url}/api/events", last_id)
    try:
        yield s
    finally:
        s.close()


def call_next(hall: Hall, window: int = 1, username: str = "10001") -> dict[str, Any]:
    with hall.login(username) as client:
        r = client.post(f"/api/windows/{window}/sign-in", json={"role": "A"})
        assert r.status_code == 200, r.text
        r = client.post(f"/api/windows/{window}/call-next")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def test_hello_then_a_ticket_change(hall: Hall) -> None:
    with stream(hall) as s:
        hello = s.next()
        assert hello.name == "hello"
        assert hello.data["boot"] == hall.services.live.boot
        assert hello.data["replayed"] is False
        assert s.retry == 2000
        ticket = hall.issue("A")
        change = s.next("change")
        assert change.data == {"kind": "ticket", "window": None,
                               "category": ticket["category"]}


def test_a_call_carries_its_announcement(hall: Hall) -> None:
    hall.issue("A")
    with stream(hall) as s:
        s.next("hello")
        result = call_next(hall)
        assert result["called"]["number"] == "A001"
        call = s.next("call")
    assert call.data["number"] == "A001"
    assert call.data["window"] == 1
    assert call.data["text"]["zh"] == "请 A001 号到 1 号窗口办理"
    assert call.data["speech"] == "请A零零一号，到一号窗口办理"
    assert call.data["recall"] is False
    assert call.data["call_id"].startswith("ticket-")
    assert call.data["window_name"]["zh"]
    assert hall.services.live.recent_calls()[0] == call.data


def test_a_recall_is_announced_again_with_its_own_id(hall: Hall) -> None:
    hall.issue("A")
    first = call_next(hall)
    assert first["called"]["number"] == "A001"
    with stream(hall) as s:
        s.next("hello")
        with hall.login("10001") as client:
            assert client.post("/api/windows/1/recall").status_code == 200
        call = s.next("call")
    assert call.data["recall"] is True
    calls = hall.services.live.recent_calls()
    assert [c["recall"] for c in calls] == [True, False]
    assert calls[0]["call_id"] != calls[1]["call_id"]  # one id per call, recalls included


def test_a_reconnect_replays_what_it_missed(hall: Hall) -> None:
    with stream(hall) as s:
        s.next("hello")
        hall.issue("A")
        seen = s.next("change")
    b = hall.issue("B")["category"]  # while disconnected
    c = hall.issue("C")["category"]
    with stream(hall, last_id=seen.id) as s:
        hello = s.next()
        assert hello.name == "hello"
        assert hello.data["replayed"] is True
        missed = [s.next("change").data["category"] for _ in range(2)]
    assert missed == [b, c]


def test_another_boots_id_asks_for_a_reload(hall: Hall) -> None:
    hall.issue("A")
    with stream(hall, last_id="0123456789ab-5") as s:
        hello = s.next()
    assert hello.name == "hello"
    assert hello.data["replayed"] is False


@pytest.mark.parametrize("bad", ["", "garbage", f"{'x' * 12}-notanumber"])
def test_a_malformed_last_event_id_is_a_fresh_start(hall: Hall, bad: str) -> None:
    with stream(hall, last_id=bad or None) as s:
        hello = s.next()
    assert hello.data["replayed"] is False


def test_every_subscriber_gets_every_event_and_leaves_cleanly(hall: Hall) -> None:
    with stream(hall) as a, stream(hall) as b:
        a.next("hello")
        b.next("hello")
        assert hall.services.live.subscribers == 2
        d = hall.issue("D")["category"]
        assert a.next("change").data["category"] == d
        assert b.next("change").data["category"] == d
    streams_gone(hall)


def streams_gone(hall: Hall) -> None:
    """Wait until the server has let go of closed streams (it notices on its next write)."""
    hall.issue("E")
    pause = threading.Event()
    for _ in range(300):
        if hall.services.live.subscribers == 0:
            break
        pause.wait(0.1)
    assert hall.services.live.subscribers == 0


def test_closing_the_hub_ends_every_stream(hall: Hall) -> None:
    """What `hallserver serve` does on Ctrl-C: streams end, so the server can stop at once."""
    with stream(hall) as s:
        s.next("hello")
        hall.services.live.close()
        s._thread.join(timeout=WAIT_S)  # the response ended: the reader thread returns
        assert not s._thread.is_alive()
    assert hall.services.live.subscribers == 0


def status_of_one_more(hall: Hall) -> httpx.Response:
    """Open one more stream and close it at once: its status and headers."""
    with httpx.stream("GET", f"{hall.url}/api/events", timeout=10) as r:
        r.read() if r.status_code != 200 else None
        return r


def test_streams_are_capped_per_address_and_in_total(hall: Hall) -> None:
    live = hall.services.live
    caps = live.max_streams, live.max_per_source
    try:
        live.max_per_source = 2
        with stream(hall) as a, stream(hall) as b:
            a.next("hello")
            b.next("hello")
            r = status_of_one_more(hall)
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
            assert r.json()["detail"]["code"] == "too_many_streams"
            assert "此地址" in r.json()["detail"]["message"]
        streams_gone(hall)
        live.max_per_source, live.max_streams = 100, 1
        with stream(hall) as a:
            a.next("hello")
            r = status_of_one_more(hall)
            assert r.status_code == 429 and "实时页面已满" in r.json()["detail"]["message"]
        streams_gone(hall)
        assert status_of_one_more(hall).status_code == 200  # a place again
    finally:
        live.max_streams, live.max_per_source = caps
