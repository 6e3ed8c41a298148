"""Live push: `GET /api/events`, a Server-Sent-Events stream of committed hall changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from hallserver.api.deps import ServicesDep, client_address
from hallserver.services.live import RETRY_MS

router = APIRouter(tags=["live"])


def stream_slot(request: Request, services: ServicesDep) -> str:
    """The source address, once the hub admits one more stream from it (else 429, before
    the stream opens)."""
    source = client_address(request)
    services.live.admit(source)
    return source


@router.get("/api/events", response_class=EventSourceResponse)
async def events(
    services: ServicesDep,
    source: Annotated[str, Depends(stream_slot)],
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """What changed, as it commits (public: kinds, window and category numbers, calls; no
    personal data). Pages refetch their JSON on `change`; the call screen reads `call`
    aloud. A reconnecting browser sends `Last-Event-ID` and gets what it missed, or a
    `hello` with `replayed: false` telling it to reload its data. At most
    HALL_LIVE_STREAMS in total and HALL_LIVE_STREAMS_PER_SOURCE per address: 429 past them."""
    async for event in services.live.stream(last_event_id, source):
        yield ServerSentEvent(raw_data=event.encoded(), event=event.name, id=event.id,
                              retry=RETRY_MS if event.name == "hello" else None)
