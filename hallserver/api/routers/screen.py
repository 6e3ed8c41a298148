"""API routes: the hall call screen (综合屏). Public: numbers, windows and queue lengths only.

The phone ticket page uses the tickets API (`/api/tickets/public/{token}`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status

from hallserver.api.deps import ServicesDep
from hallserver.api.problems import problems
from hallserver.services.screen import ScreenService, ScreenState
from hallserver.services.speech import SpeechUnavailable
from hallserver.services.views import MAX_ID

router = APIRouter(prefix="/api/screen", tags=["screen"])

ZoneParam = Annotated[str | None, Query(min_length=1, max_length=32, pattern=r"^[\w-]+$",
                                        description="one zone's screen (default: the hall)")]
CallParam = Annotated[int, Query(ge=1, le=MAX_ID, description="a call's `id` from the state")]


@router.get("/state", responses=problems(404))
def screen_state(services: ServicesDep, zone: ZoneParam = None) -> ScreenState:
    """What the call screen shows now: every window's number, waiting counts, today's latest
    calls (newest first) and how calls are announced. The page then follows `/api/events`."""
    return ScreenService(services).state(zone)


@router.get("/audio.wav", response_class=Response,
            responses={200: {"content": {"audio/wav": {}}, "description": "WAV, 16-bit mono"},
                       404: {"description": "no such call today"},
                       503: {"description": "no server speech in this hall"}})
def call_audio(services: ServicesDep, call: CallParam) -> Response:
    """One of today's calls read aloud in Mandarin (espeak-ng), for screens whose browser has
    no Chinese voice. Only real calls are spoken, never text from the request."""
    try:
        audio = ScreenService(services).audio(call)
    except SpeechUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail={"code": "speech_unavailable", "message": "服务器语音播报不可用",
                    "message_en": f"server speech unavailable: {exc}"},
        ) from None
    # A call's words do not change: screens and repeats reuse the file.
    return Response(audio, media_type="audio/wav",
                    headers={"Cache-Control": "public, max-age=3600"})
