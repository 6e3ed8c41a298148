"""Live push: `GET /api/events`, a Server-Sent-Events stream of committed hall changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.sse import EventSourceResponse, ServerSentEvent

from hallserver.api.deps import ServicesDep
from hallserver.services.live import RETRY_MS

router = APIRouter(tags=["live"])


@router.get("/api/events", response_class=EventSourceResponse)
async def events(
    services: ServicesDep,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """What changed, as it commits (public: kinds, window and category numbers, calls; no
    personal data). Pages refetch their JSON on `change`; the call screen reads `call`
    aloud. A reconnecting browser sends `Last-Event-ID` and gets what it missed, or a
    `hello` with `replayed: false` telling it to reload its data."""
    async for event in services.live.stream(last_event_id):
        yield ServerSentEvent(raw_data=event.encoded(), event=event.name, id=event.id,
                              retry=RETRY_MS if event.name == "hello" else None)
