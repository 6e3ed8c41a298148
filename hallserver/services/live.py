"""Live push to web pages: committed hall changes fanned out as Server-Sent Events.

Pages do not get their data from the stream: a `change` event only says what changed (kind,
window, category), and the page fetches the same JSON endpoints it loaded at first. So a
page shows exactly what the API says, and a missed event costs one refetch, never a wrong
number. `call` events carry the whole announcement (the call screen reads it aloud).

Every event has an id `<boot>-<seq>`. A browser that reconnects sends the last id it saw
(`Last-Event-ID`); the hub replays what it missed from a ring buffer, or tells it to reload
(`hello` with `"replayed": false`) when the server restarted or the gap is too old.

Listeners run after commit on whatever thread committed; subscribers live on the event loop.
The hub hands each event to each event loop once (`call_soon_threadsafe`), and the loop
fans it out: a commit costs the same with 5 open pages or 5,000. A subscriber that falls
behind by `QUEUE_LIMIT` events is dropped (its browser reconnects and reloads), so one
stalled phone cannot grow the server's memory. Streams are capped in total and per source
address (`admit`, 429 before a stream opens): idle connections cannot exhaust the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from hallserver.domain.errors import TooMany
from hallserver.services.displays import announcement
from hallserver.services.hall import HallChange, HallContext

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 500  # events a slow subscriber may fall behind before it is dropped
REPLAY_LIMIT = 1000  # events kept for reconnecting browsers
RECENT_CALLS = 30  # calls kept for the call screen's first load
RETRY_MS = 2000  # how soon a browser reconnects
MAX_STREAMS = 1000  # open streams in total (a hall: screens, dashboards, staff, phones)
MAX_STREAMS_PER_SOURCE = 100  # from one address (phones behind the hall's Wi-Fi share one)

# Kinds that mean nothing to a web page (device-side chores).
_QUIET = frozenset({"arm", "receipt"})


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One Server-Sent Event: `event:` name, `id:` and a JSON-able payload."""

    id: str
    name: str
    data: dict[str, Any]

    def encoded(self) -> str:
        """The payload as a compact JSON line."""
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))


class TooManyStreams(TooMany):
    """No more live streams for now (from this address, or at all)."""

    code = "too_many_streams"

    def __init__(self, per_source: bool) -> None:
        if per_source:
            super().__init__("此地址打开的实时页面过多，请关闭一些后再试",
                             "too many live pages open from this address; close some", 30)
        else:
            super().__init__("实时页面已满，请稍后再试",
                             "the server has as many live pages open as it takes; "
                             "try again shortly", 30)


@dataclass(eq=False)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    source: str = ""
    queue: asyncio.Queue[LiveEvent | None] = field(default_factory=asyncio.Queue)
    dropped: bool = False

    def put(self, event: LiveEvent) -> None:
        if self.dropped:
            return
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.dropped = True
            self.queue.put_nowait(None)  # the stream ends; the browser reconnects
            return
        self.queue.put_nowait(event)


class LiveHub:
    """Fan-out of committed changes to every open event stream."""

    def __init__(self, ctx: HallContext) -> None:
        self.ctx = ctx
        self.boot = uuid.uuid4().hex[:12]
        self._last = 0  # number of the newest event (under the lock)
        self._lock = threading.Lock()
        self._subscribers: set[_Subscriber] = set()
        self._by_loop: dict[asyncio.AbstractEventLoop, set[_Subscriber]] = {}
        self._by_source: Counter[str] = Counter()
        self.max_streams = MAX_STREAMS
        self.max_per_source = MAX_STREAMS_PER_SOURCE
        self._history: deque[LiveEvent] = deque(maxlen=REPLAY_LIMIT)
        self._calls: deque[LiveEvent] = deque(maxlen=RECENT_CALLS)
        self._closed = False
        ctx.listeners.append(self.on_change)

    # -- producing ------------------------------------------------------------------------

    def on_change(self, change: HallChange) -> None:
        """Listener of committed changes (any thread)."""
        if change.kind in _QUIET:
            return
        try:
            if change.kind == "call" and change.window is not None and change.number:
                self.publish("call", self._call_payload(change))
            self.publish("change", {"kind": change.kind, "window": change.window,
                                    "category": change.category})
        except Exception:  # a listener must never break the committing request
            logger.exception("live event for %s not sent", change.kind)

    def publish(self, name: str, data: dict[str, Any]) -> LiveEvent:
        """Number an event, remember it and hand it to every subscriber."""
        with self._lock:
            self._last += 1
            event = LiveEvent(id=f"{self.boot}-{self._last}", name=name, data=data)
            self._history.append(event)
            if name == "call":
                self._calls.append(event)
            loops = list(self._by_loop)
        for loop in loops:  # one hand-over per event loop, whatever the number of streams
            try:
                loop.call_soon_threadsafe(self._fan_out, loop, event)
            except RuntimeError:  # the loop is closed: the server is stopping
                with self._lock:
                    for sub in self._by_loop.pop(loop, set()):
                        self._drop(sub)
        return event

    def _fan_out(self, loop: asyncio.AbstractEventLoop, event: LiveEvent) -> None:
        """On `loop`: the event to each of its streams."""
        with self._lock:
            subscribers = list(self._by_loop.get(loop, ()))
        for sub in subscribers:
            sub.put(event)

    def admit(self, source: str) -> None:
        """Whether one more stream may open from `source`; TooManyStreams if not."""
        with self._lock:
            refusal = self._over_cap(source)
        if refusal is not None:
            raise refusal

    def _over_cap(self, source: str) -> TooManyStreams | None:  # with the lock held
        if self._by_source[source] >= self.max_per_source:
            return TooManyStreams(per_source=True)
        if len(self._subscribers) >= self.max_streams:
            return TooManyStreams(per_source=False)
        return None


    def _call_payload(self, change: HallChange) -> dict[str, Any]:
        assert change.window is not None
        assert change.number is not None
        with self.ctx.db.read() as session:
            cfg = self.ctx.layout.current(session)
        window = next((w for w in cfg.windows if w.number == change.window), None)
        # Unique per call (a ticket called again after a transfer restarts its recall count).
        call_id = f"ticket-{change.ticket_id}-{uuid.uuid4().hex[:8]}"
        said = announcement(change.number, change.window, call_id=call_id,
                            recall=change.recall, repeat=cfg.screen.repeat, cfg=cfg)
        return {
            "call_id": call_id, "number": said.number, "window": said.window,
            "window_name": ({"zh": window.name.zh, "en": window.name.en} if window else None),
            "category": change.category,
            "text": {"zh": said.text.zh, "en": said.text.en}, "speech": said.speech,
            "repeat": said.repeat, "recall": said.recall,
            "at": self.ctx.clock().isoformat(),
        }

    # -- consuming ------------------------------------------------------------------------

    def recent_calls(self) -> list[dict[str, Any]]:
        """The latest calls, newest first (for a page's first load)."""
        with self._lock:
            return [e.data for e in reversed(self._calls)]

    def missed_since(self, last_id: str | None) -> list[LiveEvent] | None:
        """Events after `last_id`; None when they cannot be replayed (another boot, too old)."""
        if not last_id:
            return None
        boot, _, seq = last_id.rpartition("-")
        if boot != self.boot or not seq.isdigit():
            return None
        n = int(seq)
        with self._lock:
            history = list(self._history)
        if not history:
            return [] if n == 0 else None
        first = int(history[0].id.rpartition("-")[2])
        if n < first - 1:
            return None
        return [e for e in history if int(e.id.rpartition("-")[2]) > n]

    async def stream(self, last_id: str | None = None,
                     source: str = "") -> AsyncIterator[LiveEvent]:
        """Events for one browser: `hello`, anything it missed, then live events. Past the
        caps (streams that raced past `admit`) it ends at once; the browser retries."""
        sub = _Subscriber(loop=asyncio.get_running_loop(), source=source)
        with self._lock:
            if self._closed or self._over_cap(source) is not None:
                return
            self._subscribers.add(sub)
            self._by_loop.setdefault(sub.loop, set()).add(sub)
            self._by_source[source] += 1
        try:
            missed = self.missed_since(last_id)
            with self._lock:
                current = f"{self.boot}-{self._last}"  # hello takes no number of its own
            # Between the snapshot above and now, events may be in the queue twice (replayed
            # and queued): skip queued ones at or below the last replayed id.
            yield LiveEvent(id=current if missed is None else (last_id or current),
                            name="hello",
                            data={"boot": self.boot, "replayed": missed is not None})
            seen = 0
            for event in missed or []:
                seen = max(seen, _seq_of(event.id))
                yield event
            while True:
                queued = await sub.queue.get()
                if queued is None:
                    logger.info("a live subscriber fell %d events behind: dropped", QUEUE_LIMIT)
                    return
                if _seq_of(queued.id) <= seen:
                    continue
                yield queued
        finally:
            self._forget(sub)

    def close(self) -> None:
        """End every open stream (the server is stopping; browsers reconnect to the next)."""
        with self._lock:
            self._closed = True
            subscribers = list(self._subscribers)
        for sub in subscribers:
            with contextlib.suppress(RuntimeError):  # its loop is already closed
                sub.loop.call_soon_threadsafe(sub.queue.put_nowait, None)

    def _forget(self, sub: _Subscriber) -> None:
        with self._lock:
            self._drop(sub)
            streams = self._by_loop.get(sub.loop)
            if streams is not None:
                streams.discard(sub)
                if not streams:
                    del self._by_loop[sub.loop]

    def _drop(self, sub: _Subscriber) -> None:  # with the lock held
        if sub in self._subscribers:
            self._subscribers.discard(sub)
            self._by_source[sub.source] -= 1
            if self._by_source[sub.source] <= 0:
                del self._by_source[sub.source]

    @property
    def subscribers(self) -> int:
        """Open streams (for health and tests)."""
        with self._lock:
            return len(self._subscribers)


def _seq_of(event_id: str) -> int:
    return int(event_id.rpartition("-")[2])
