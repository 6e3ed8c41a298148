"""The hall call screen (综合屏): what it shows, read from committed state, and the audio of
its calls. Public data only: numbers, windows, queue lengths; no staff, no citizens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallserver.config.models import HallConfig, I18nText
from hallserver.domain.announce import call_text
from hallserver.domain.errors import NotFound
from hallserver.domain.tickets import TicketState
from hallserver.domain.windows import WindowStatus
from hallserver.services import Services
from hallserver.services.speech import Speech, SpeechUnavailable
from hallserver.services.views import View
from hallserver.store.models import TicketEventRow, TicketRow

CALL_ACTIONS = ("call", "recall")

_speech = Speech()  # one per process: the espeak-ng library keeps global state


def shared_speech() -> Speech:
    """The process's speech engine."""
    return _speech


class Said(View):
    """A call in both languages, and its Mandarin spelling for speech synthesis."""

    zh: str
    en: str


class ScreenCall(View):
    """One call or recall (重呼) of today, as the screen shows and reads it."""

    id: int  # unique per call and recall (its audit event); the audio is fetched by it
    call_id: str  # ticket-<id>-r<recalls>, as in the live `call` events
    number: str
    window: int
    window_name: I18nText | None
    category: str
    text: Said
    speech: str
    recall: bool
    at: datetime


class ScreenTicket(View):
    """The ticket at a window."""

    number: str
    state: TicketState


class ScreenWindow(View):
    """A window as the screen shows it."""

    number: int
    name: I18nText
    zone: str
    status: WindowStatus
    current: ScreenTicket | None


class ScreenQueue(View):
    """Waiting count of one category."""

    category: str
    prefix: str
    name: I18nText
    zone: str
    waiting: int


class ScreenSettings(View):
    """How the screen announces calls (the hall's `screen` section)."""

    speech: Literal["auto", "browser", "server", "off"]
    repeat: int
    speech_rate: int  # words per minute (the server's audio; the browser's voice in proportion)
    recent_calls: int
    notice: I18nText | None
    server_audio: bool  # the server can make audio (espeak-ng is installed)


class ScreenState(View):
    """Everything the call screen shows at one moment."""

    hall: I18nText
    timezone: str
    now: datetime
    zone: str | None
    zones: dict[str, I18nText]
    settings: ScreenSettings
    windows: list[ScreenWindow]
    queues: list[ScreenQueue]
    calls: list[ScreenCall]  # newest first


class ScreenService:
    """Reads the screen's state and makes the audio of real calls (never of given text)."""

    def __init__(self, services: Services, speech: Speech | None = None) -> None:
        self.services = services
        self.ctx = services.ctx
        self.speech = speech or _speech

    def layout(self) -> HallConfig:
        """The current hall layout."""
        with self.ctx.db.read() as session:
            return self.ctx.layout.current(session)

    def state(self, zone: str | None = None) -> ScreenState:
        """The screen of the whole hall, or of one zone."""
        cfg = self.layout()
        if zone is not None and zone not in {z.id for z in cfg.zones}:
            raise NotFound(f"没有区域 {zone}", f"no zone {zone!r}")
        windows = [
            ScreenWindow(number=w.number, name=w.name, zone=w.zone, status=w.status,
                         current=(ScreenTicket(number=w.current.number, state=w.current.state)
                                  if w.current else None))
            for w in self.services.windows.list() if zone is None or w.zone == zone]
        queues = [ScreenQueue(category=q.category, prefix=q.prefix, name=q.name, zone=q.zone,
                              waiting=q.waiting)
                  for q in self.services.queues.overview() if zone is None or q.zone == zone]
        screen = cfg.screen
        settings = ScreenSettings(
            speech=screen.speech, repeat=screen.repeat, speech_rate=screen.speech_rate,
            recent_calls=screen.recent_calls,
            notice=screen.notice,
            server_audio=screen.speech in ("auto", "server") and self.speech.available)
        calls = self.calls(cfg, limit=screen.recent_calls,
                           windows=None if zone is None else {w.number for w in windows})
        return ScreenState(hall=cfg.hall.name, timezone=cfg.hall.timezone, now=self.ctx.clock(),
                           zone=zone, zones={z.id: z.name for z in cfg.zones},
                           settings=settings, windows=windows, queues=queues, calls=calls)

    def calls(self, cfg: HallConfig, *, limit: int,
              windows: set[int] | None = None) -> list[ScreenCall]:
        """Today's latest calls and recalls, newest first."""
        day = self.ctx.today(cfg)
        with self.ctx.db.read() as session:
            stmt = (select(TicketEventRow, TicketRow)
                    .join(TicketRow, TicketRow.id == TicketEventRow.ticket_id)
                    .where(TicketRow.hall_id == self.ctx.hall_id, TicketRow.service_day == day,
                           TicketEventRow.action.in_(CALL_ACTIONS),
                           TicketEventRow.window.is_not(None))
                    .order_by(TicketEventRow.id.desc()))
            if windows is not None:
                stmt = stmt.where(TicketEventRow.window.in_(windows))
            rows = session.execute(stmt.limit(limit)).all()
            recalls = self._recall_counts(session, {t.id for _, t in rows})
        return [self._call(cfg, e, t, recalls.get(e.id, 0)) for e, t in rows]

    def call(self, event_id: int) -> ScreenCall:
        """One call of today by its id; NotFound for anything else."""
        cfg = self.layout()
        day = self.ctx.today(cfg)
        with self.ctx.db.read() as session:
            found = session.execute(
                select(TicketEventRow, TicketRow)
                .join(TicketRow, TicketRow.id == TicketEventRow.ticket_id)
                .where(TicketEventRow.id == event_id, TicketRow.hall_id == self.ctx.hall_id,
                       TicketRow.service_day == day,
                       TicketEventRow.action.in_(CALL_ACTIONS),
                       TicketEventRow.window.is_not(None))).first()
            if found is None:
                raise NotFound("今天没有这次叫号", "no such call today")
            event, ticket = found
            recalls = self._recall_counts(session, {ticket.id})
        return self._call(cfg, event, ticket, recalls.get(event.id, 0))

    def audio(self, event_id: int) -> bytes:
        """The WAV of one of today's calls (SpeechUnavailable when it cannot be made)."""
        cfg = self.layout()
        if cfg.screen.speech in ("off", "browser"):
            raise SpeechUnavailable(f"server speech is {cfg.screen.speech} in this hall")
        said = self.call(event_id)
        return self.speech.wav(said.speech, cfg.screen.voice, cfg.screen.speech_rate)

    @staticmethod
    def _recall_counts(session: Session, ticket_ids: set[int]) -> dict[int, int]:
        """Per call event: how many recalls of its ticket came before it since the last call
        (the `r` of the live events' call ids)."""
        if not ticket_ids:
            return {}
        events = session.execute(
            select(TicketEventRow.id, TicketEventRow.ticket_id, TicketEventRow.action)
            .where(TicketEventRow.ticket_id.in_(ticket_ids),
                   TicketEventRow.action.in_(CALL_ACTIONS))
            .order_by(TicketEventRow.id)).all()
        counts: dict[int, int] = {}
        running: dict[int, int] = {}
        for event_id, ticket_id, action in events:
            running[ticket_id] = 0 if action == "call" else running.get(ticket_id, 0) + 1
            counts[event_id] = running[ticket_id]
        return counts

    @staticmethod
    def _call(cfg: HallConfig, event: TicketEventRow, ticket: TicketRow,
              recalls: int) -> ScreenCall:
        assert event.window is not None
        window = next((w for w in cfg.windows if w.number == event.window), None)
        name = window.name if window else None
        zh, en, speech = call_text(ticket.number, event.window, name.zh if name else None,
                                   name.en if name else None)
        return ScreenCall(
            id=event.id, call_id=f"ticket-{ticket.id}-r{recalls}", number=ticket.number,
            window=event.window, window_name=name, category=ticket.category,
            text=Said(zh=zh, en=en), speech=speech, recall=event.action == "recall",
            at=event.at)
