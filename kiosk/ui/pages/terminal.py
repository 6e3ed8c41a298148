"""The self-service terminal (自助服务终端): its services, the QR scan prompt and the ticket
and case status pages."""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Line
from kivy.uix.widget import Widget

from kiosk.model import Level, Notice
from kiosk.ui import texts
from kiosk.ui.chrome import big_line
from kiosk.ui.kit import Ctx
from kiosk.ui.pages.browse import category_grid
from kiosk.ui.pages.common import Built, field, level_colour, message_page
from kiosk.ui.pages.ticket import print_line
from kiosk.ui.theme import Rgba
from kiosk.ui.widgets import Column, Text


def _service(ctx: Ctx, tap: str, action: Any, name: Notice, hint: Notice, *,
             enabled: bool = True, width: float) -> Any:
    t = ctx.theme
    _, fg = ctx.colours("secondary", enabled)
    body = Column(spacing=t.px(8))
    body.add_widget(ctx.text(name, size=t.px(48), bold=True, colour=fg, halign="center"))
    body.add_widget(Text(ctx.say(hint), font_size=t.px(30), color=fg, halign="center"))
    return ctx.button(tap, action, body, enabled=enabled, min_height=t.px(150),
                      size_hint_x=None, width=width)


def home(ctx: Ctx) -> Built:
    """Queries and check-in; the service guides beside them (landscape) or below."""
    t, v, p, a = ctx.theme, ctx.view, ctx.theme.palette, ctx.actions
    left_ctx, right_ctx = ctx.half(0.34), ctx.half(0.34, right=True)
    services = Column(spacing=t.px(20))
    services.add_widget(ctx.title(texts.SERVICES))
    width = left_ctx.width
    for tap, action, name, hint, enabled in (
            ("scan-ticket", a.open_scan, texts.QUERY_TICKET, texts.QUERY_TICKET_HINT, True),
            ("scan-case", a.open_scan, texts.QUERY_CASE, texts.QUERY_CASE_HINT, True),
            ("check-in", a.open_check_in, texts.CHECK_IN, texts.CHECK_IN_HINT, v.accepting)):
        services.add_widget(_service(ctx, tap, action, name, hint, enabled=enabled,
                                     width=width))
    guides = Column(spacing=t.px(20))
    guides.add_widget(ctx.title(texts.BROWSE))
    guides.add_widget(Text(ctx.say(texts.BROWSE_HINT), font_size=t.px(32), color=p.muted))
    guides.add_widget(category_grid(right_ctx))
    return Built(ctx.split(services, guides, left_share=0.34))


class ScanFrame(Widget):  # type: ignore[misc]
    """Corner marks of a viewfinder: where the code goes."""

    def __init__(self, *, side: float, colour: Rgba, width: float) -> None:
        super().__init__(size_hint=(None, None), size=(side, side), pos_hint={"center_x": 0.5})
        with self.canvas:
            Color(*colour)
            self._lines = [Line(width=width, cap="square") for _ in range(4)]
        self.bind(pos=self._redraw, size=self._redraw)

    def _redraw(self, *_: object) -> None:
        x, y, w, h = self.x, self.y, self.width, self.height
        arm = w / 4
        corners = [((x, y + arm), (x, y), (x + arm, y)),
                   ((x + w - arm, y), (x + w, y), (x + w, y + arm)),
                   ((x + w, y + h - arm), (x + w, y + h), (x + w - arm, y + h)),
                   ((x + arm, y + h), (x, y + h), (x, y + h - arm))]
        for line, points in zip(self._lines, corners, strict=True):
            line.points = [c for point in points for c in point]


def scan(ctx: Ctx) -> Built:
    """Ask for the QR code of a ticket or a receipt."""
    t, v = ctx.theme, ctx.view
    words = message_page(ctx.half(0.62), texts.SCAN, texts.SCAN_HINT,
                         None if v.camera_online else texts.SCAN_CAMERA_OFF).body
    frame = ScanFrame(side=t.px(300), colour=t.palette.accent, width=t.px(10))
    if t.landscape:
        words.pos_hint = {"center_y": 0.5}
        holder = Column()
        holder.add_widget(frame)
        return Built(ctx.split(words, holder, left_share=0.62), "center")
    words.add_widget(frame)
    return Built(words, "center")


def ticket_status(ctx: Ctx) -> Built:
    """A ticket's live status."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    tv = v.query_ticket
    if tv is None:
        return Built(Column())
    left = ctx.half(0.45)
    head = left.card(spacing=t.px(14))
    if not t.elderly:  # large type needs the room
        head.add_widget(ctx.text(texts.TICKET_STATUS, size=t.px(36), colour=p.muted,
                                 second_colour=p.muted))
    head.add_widget(big_line(left, Notice(tv.number, tv.number), t.huge(190),
                             colour=p.accent))
    state = texts.ticket_state(tv.state)
    head.add_widget(Text(ctx.say(state), font_size=t.px(60), bold=True, halign="center",
                         color=p.accent if state.level is Level.INFO else p.error))
    head.add_widget(ctx.text(tv.category_name, size=t.px(42), halign="center",
                             second_colour=p.muted))
    rest = Column(spacing=t.px(18))
    if tv.window is not None and tv.state in ("called", "serving"):
        rest.add_widget(ctx.notice(texts.called_to(tv.window), size=t.px(56),
                                   halign="center"))
    if tv.about_to_be_called:
        rest.add_widget(ctx.notice(texts.ABOUT_TO_BE_CALLED, size=t.px(46), halign="center"))
    queue = ctx.card(spacing=t.px(14))
    if tv.people_ahead is not None and tv.state == "waiting":
        queue.add_widget(Text(ctx.say(texts.people_ahead(tv.people_ahead)),
                              font_size=t.px(50), color=p.accent, bold=True, halign="center"))
    if tv.state == "waiting":
        queue.add_widget(Text(ctx.say(texts.predicted_wait(tv.predicted_wait_min)),
                              font_size=t.px(40), color=p.text, halign="center"))
    queue.add_widget(Text(ctx.say(texts.issued_at(tv.issued_at, ctx.tz)), font_size=t.px(30),
                          color=p.muted, halign="center"))
    rest.add_widget(queue)
    return Built(ctx.split(head, rest, left_share=0.45))


def case_status(ctx: Ctx) -> Built:
    """A case's progress, its promised deadline (限时办结) and a receipt reprint."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    case = v.query_case
    if case is None:
        return Built(Column())
    left = Column(spacing=t.px(18))
    head = ctx.half(0.4).card(spacing=t.px(14))
    head.add_widget(ctx.text(texts.CASE_STATUS, size=t.px(36), colour=p.muted,
                             second_colour=p.muted))
    head.add_widget(ctx.text(case.status_name, size=t.px(64), bold=True, colour=p.accent,
                             second_colour=p.muted))
    days = texts.days_left(case.working_days_left)
    head.add_widget(Text(ctx.say(days), font_size=t.px(50), bold=True,
                         color=p.error if days.level is Level.ERROR else p.text))
    left.add_widget(head)
    line = print_line(v, receipt=True)
    if line is not None:
        left.add_widget(ctx.notice(line, size=t.px(40), halign="center"))
    if v.has_printer:
        left.add_widget(ctx.label_button("reprint", ctx.actions.reprint_receipt,
                                         texts.REPRINT_RECEIPT, style="secondary",
                                         enabled=v.print_state != "printing", size=t.px(46)))
    facts = ctx.card(spacing=t.px(14))
    width = t.px(230) if ctx.zh else t.px(300)
    facts.add_widget(field(ctx, texts.CASE_NO, case.case_no, label_width=width))
    facts.add_widget(field(ctx, texts.CASE_ITEMS,
                           "\n".join(ctx.say(i) for i in case.items) or "-",
                           label_width=width))
    facts.add_widget(field(ctx, texts.ACCEPTED_AT, texts.date_time(case.accepted_at, ctx.tz),
                           label_width=width))
    due = texts.date_time(case.promised_by, ctx.tz)
    facts.add_widget(field(ctx, texts.PROMISED_BY,
                           texts.W(f"{due}（暂定）", f"{due} (provisional)")
                           if case.promised_provisional else due,
                           label_width=width, bold=True))
    facts.add_widget(field(ctx, texts.TIME_LEFT, days, label_width=width, bold=True,
                           colour=level_colour(ctx, days)))
    facts.add_widget(field(ctx, texts.WINDOW, texts.W(f"{case.window} 号窗口",
                                                      f"Window {case.window}"),
                           label_width=width))
    facts.add_widget(field(ctx, texts.OWNER, case.owner, label_width=width))
    return Built(ctx.split(left, facts, left_share=0.4))
