"""What each display shows, computed from committed state (the bus adds versions)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.protocol import messages as m
from hallserver.config.models import HallConfig
from hallserver.domain.announce import call_text
from hallserver.domain.tickets import TicketState
from hallserver.domain.windows import WindowStatus, public_pause_note
from hallserver.services.hall import HallContext
from hallserver.services.queues import QueueService
from hallserver.services.views import WindowInfo
from hallserver.services.windows import WindowService
from hallserver.store.models import TicketCounterRow, TicketRow

MODES = {
    WindowStatus.OPEN: m.WindowMode.OPEN,
    WindowStatus.PAUSED: m.WindowMode.PAUSED,
    WindowStatus.AWAY: m.WindowMode.AWAY,
    WindowStatus.CLOSED: m.WindowMode.CLOSED,
}


def _text(value: object) -> m.Text:
    zh, en = getattr(value, "zh"), getattr(value, "en")  # noqa: B009 (I18nText or Text)
    return m.Text(zh=zh, en=en)


def window_display(info: WindowInfo, *, version: int) -> m.WindowDisplayState:
    """The state an LED, caller or pad of this window shows."""
    number = ticket_state = None
    if info.current is not None:
        number = info.current.number
        ticket_state = "serving" if info.current.state is TicketState.SERVING else "called"
    staff = ([m.StaffOnDuty(role=info.staff.role.value, staff_id=info.staff.id,
                            name=info.staff.name, photo=info.staff.photo)]
             if info.staff else [])
    note = None
    if info.status is WindowStatus.PAUSED:
        zh, en = public_pause_note(info.pause_code)  # the LED faces the public
        note = m.Text(zh=zh, en=en)
    elif info.status is WindowStatus.CLOSED:
        note = m.Text(zh="暂停服务", en="Closed")
    return m.WindowDisplayState(
        version=version, window=info.number, window_name=_text(info.name),
        mode=MODES[info.status], number=number, ticket_state=ticket_state, staff=staff,
        note=note)


def announcement(number: str, window: int, *, call_id: str, recall: bool, repeat: int = 2,
                 cfg: HallConfig | None = None) -> m.CallAnnouncement:
    """The call a screen highlights and reads aloud (named as the layout `cfg` names the
    window, when its name carries its own number: 综合受理3号窗口)."""
    named = next((w.name for w in cfg.windows if w.number == window), None) if cfg else None
    zh, en, speech = call_text(number, window, named.zh if named else None,
                               named.en if named else None)
    return m.CallAnnouncement(call_id=call_id, number=number, window=window,
                              text=m.Text(zh=zh, en=en), speech=speech, repeat=repeat,
                              recall=recall)


class DisplayService:
    """Reads the committed state every display is driven from."""

    def __init__(self, ctx: HallContext, windows: WindowService, queues: QueueService) -> None:
        self.ctx = ctx
        self.windows = windows
        self.queues = queues

    def window_infos(self) -> dict[int, WindowInfo]:
        """Every window's state, by number."""
        return {w.number: w for w in self.windows.list()}

    def layout(self) -> HallConfig:
        """The current hall layout."""
        with self.ctx.db.read() as session:
            return self.ctx.layout.current(session)

    def screen(self, infos: dict[int, WindowInfo], zone: str | None, *,
               version: int) -> m.ScreenState:
        """The hall call screen of a zone (None: the whole hall)."""
        cfg = self.layout()
        windows = [m.ScreenWindow(window=w.number, mode=MODES[w.status],
                                  number=w.current.number if w.current else None)
                   for w in infos.values() if zone is None or w.zone == zone]
        queues = [m.ScreenQueue(category=q.category, name=_text(q.name), waiting=q.waiting)
                  for q in self.queues.overview() if zone is None or q.zone == zone]
        latest = None
        with self.ctx.db.read() as session:
            last = self._latest_call(session, cfg, zone)
        if last is not None:
            latest = announcement(last.number, last.window or 0, recall=last.recalls > 0,
                                  call_id=f"ticket-{last.id}-r{last.recalls}", cfg=cfg)
        return m.ScreenState(version=version, windows=windows, queues=queues, latest=latest)

    def kiosk(self, *, version: int) -> m.KioskState:
        """Whether kiosks may issue now, and the waiting counts they show."""
        cfg = self.layout()
        refusal = (self.ctx.calendar(cfg).issue_refusal(self.ctx.clock())
                   if self.ctx.enforce_hours else None)
        reason = (m.Text(zh=refusal.message_zh[:200], en=refusal.message_en[:200])
                  if refusal else None)
        waiting = {q.category: q.waiting for q in self.queues.overview()}
        with self.ctx.db.read() as session:
            catalog_version = self.ctx.layout.current_version(session)
            day = self.ctx.today(cfg)
            rows = session.execute(
                select(TicketCounterRow.category, TicketCounterRow.last_seq)
                .where(TicketCounterRow.hall_id == self.ctx.hall_id,
                       TicketCounterRow.service_day == day)).all()
            used = {row.category: row.last_seq for row in rows}
        full = [c.code for c in cfg.categories if used.get(c.code, 0) >= c.daily_cap]
        return m.KioskState(version=version, accepting=refusal is None, reason=reason,
                            waiting=waiting, catalog_version=catalog_version, full=full,
                            unserved=self.ctx.unserved_today(cfg))

    def _latest_call(self, session: Session, cfg: HallConfig,
                     zone: str | None) -> TicketRow | None:
        day: date = self.ctx.today(cfg)
        windows = [w.number for w in cfg.windows if zone is None or w.zone == zone]
        stmt = (select(TicketRow)
                .where(TicketRow.hall_id == self.ctx.hall_id, TicketRow.service_day == day,
                       TicketRow.called_at.is_not(None), TicketRow.window.in_(windows))
                .order_by(TicketRow.called_at.desc()).limit(1))
        row: TicketRow | None = session.scalars(stmt).first()
        return row
