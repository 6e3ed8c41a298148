"""The rating pages: five levels with faces and a countdown, the reasons for a bad rating,
thanks, and the notice when the server refused the rating."""

from __future__ import annotations

from typing import Any

from devices.protocol.ratings import LEVELS, REASONS
from kiosk import words
from kiosk.model import Notice
from kiosk.pad import texts
from kiosk.pad.model import PadPage
from kiosk.ui.pad.faces import LEVEL_COLOURS, Face
from kiosk.ui.pad.kit import MIN_TOUCH, PadCtx, staff_card
from kiosk.ui.pages.common import Built
from kiosk.ui.typeset import fit_font
from kiosk.ui.widgets import Column, Grid, Row, TapButton, Text, TickBox

ORDER = (5, 4, 3, 2, 1)  # 非常满意 first, as on the national pads


def _words(level: int) -> Notice:
    choice = LEVELS[level]
    return Notice(choice.zh, choice.en)


def _level_button(ctx: PadCtx, level: int, *, width: float, face: float,
                  across: bool) -> TapButton:
    """A big coloured button: the face above its words (landscape) or beside them."""
    t = ctx.theme
    colour, fg = LEVEL_COLOURS[level]
    words = _words(level)
    main, second = ctx.lines(words)
    if across:
        body = Row(spacing=t.pad)
        icon = Face(level, side=face)
        icon.pos_hint = {"center_y": 0.5}
        body.add_widget(icon)
        room = width - face - 3 * t.pad
        label = Column(spacing=t.px(2))
        label.pos_hint = {"center_y": 0.5}
        label.add_widget(Text(main, font_size=fit_font(main, room, t.px(56)), color=fg,
                              bold=True))
        if second:
            label.add_widget(Text(second, font_size=fit_font(second, room, t.px(32)),
                                  color=fg))
        body.add_widget(label)
    else:
        body = Column(spacing=t.px(10))
        icon = Face(level, side=face)
        icon.pos_hint = {"center_x": 0.5}
        body.add_widget(icon)
        room = width - 2 * t.px(12)
        body.add_widget(Text(main, font_size=fit_font(main, room, t.px(46)), color=fg,
                             bold=True, halign="center"))
        if second:
            body.add_widget(Text(second, font_size=fit_font(second, room, t.px(28), lines=2),
                                 color=fg, halign="center"))
    return TapButton(tap=f"level:{level}", action=lambda: ctx.actions.rate(level),
                     content=body, colour=colour, pressed=t.palette.pressed,
                     border=t.palette.border if t.elderly else None,
                     border_width=t.border_width * 1.5, radius=t.radius,
                     min_height=max(MIN_TOUCH, t.px(150 if t.landscape else 96)),
                     padding=t.px(10),
                     size_hint_x=None, width=width)


def _about(ctx: PadCtx) -> Any:
    """Ticket number and service beside who served (亮证)."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    row = Row(spacing=t.pad)
    ticket = Column(spacing=t.px(2))
    ticket.pos_hint = {"center_y": 0.5}
    ticket.size_hint_x = None
    ticket.width = ctx.width * 0.3
    ticket.add_widget(Text(ctx.say(texts.TICKET), font_size=t.px(32), color=p.muted))
    ticket.add_widget(Text(v.number or "", font_size=t.px(80), color=p.accent, bold=True))
    if v.category_name is not None:
        name = ctx.say(v.category_name)
        ticket.add_widget(Text(name, font_size=fit_font(name, ticket.width, t.px(32)),
                               color=p.text))
    row.add_widget(ticket)
    if v.served_by is not None:
        who = Column(spacing=t.px(2))
        who.pos_hint = {"center_y": 0.5}
        who.add_widget(Text(ctx.say(texts.SERVED_BY), font_size=t.px(32), color=p.muted))
        who.add_widget(staff_card(ctx, v.served_by, side=t.px(100), big=False))
        row.add_widget(who)
    if t.landscape:
        row.add_widget(_countdown(ctx, width=ctx.width * 0.22))
    return row


def _countdown(ctx: PadCtx, *, width: float | None = None) -> Any:
    t = ctx.theme
    words = ctx.say(texts.seconds_left(ctx.view.seconds_left))
    size = fit_font(words, width, t.px(34)) if width else t.px(34)
    text = Text(words, font_size=size, color=t.palette.muted, halign="right")
    if width is not None:
        text.size_hint_x = None
        text.width = width
        text.pos_hint = {"center_y": 0.5}
    return text


def armed(ctx: PadCtx) -> Built:
    """请您对本次服务进行评价: five levels, big and colour-coded, and the countdown."""
    t = ctx.theme
    col = Column(spacing=t.px(18 if t.landscape else 10))
    col.add_widget(ctx.title(texts.PLEASE_RATE, halign="center"))
    col.add_widget(_about(ctx))
    if not t.landscape:
        col.add_widget(_countdown(ctx))
    gap = t.px(18)
    if t.landscape:
        width = (ctx.width - 4 * gap) / 5
        row = Row(spacing=gap, equal=True)
        for level in ORDER:
            row.add_widget(_level_button(ctx, level, width=width,
                                         face=min(width * 0.55, t.px(160)), across=False))
        col.add_widget(row)
    else:
        stack = Column(spacing=t.px(14))
        for level in ORDER:
            stack.add_widget(_level_button(ctx, level, width=ctx.width, face=t.px(80),
                                           across=True))
        col.add_widget(stack)
    return Built(col, "center")


def _reason_button(ctx: PadCtx, code: str, words: Notice, on: bool, width: float) -> Any:
    t, p = ctx.theme, ctx.theme.palette
    body = Row(spacing=t.px(18))
    side = t.px(54)
    box = TickBox(on=on, side=side, box=p.text, fill=p.secondary, tick=p.secondary_text,
                  line_width=max(1.5, t.px(3)))
    box.pos_hint = {"center_y": 0.5}
    body.add_widget(box)
    main = ctx.lines(words)[0]
    text = ctx.text(words, size=fit_font(main, width - side - 2 * t.px(18), t.px(38)),
                    colour=p.text)
    text.pos_hint = {"center_y": 0.5}
    body.add_widget(text)
    return ctx.button(f"reason:{code}", lambda: ctx.actions.toggle_reason(code), body,
                      style="card", min_height=max(MIN_TOUCH, t.px(84)), padding=t.px(10),
                      size_hint_x=None, width=width)


def reasons(ctx: PadCtx) -> Built:
    """Why a bad rating: pick one or more; submit and back pinned under them."""
    t, v, a = ctx.theme, ctx.view, ctx.actions
    col = Column(spacing=t.px(14))
    head = Row(spacing=t.pad)
    if v.level is not None:
        face = Face(v.level, side=t.px(56 if t.elderly else 80))
        face.pos_hint = {"center_y": 0.5}
        head.add_widget(face)
    title = ctx.text(texts.WHY, size=t.px(46), bold=True, second_colour=t.palette.muted)
    title.pos_hint = {"center_y": 0.5}
    head.add_widget(title)
    col.add_widget(head)
    gap = t.px(14)
    cols = 3 if t.landscape else 2
    width = (ctx.width - (cols - 1) * gap) / cols
    grid = Grid(cols=cols, spacing=gap, equal=True)
    for r in REASONS:
        grid.add_widget(_reason_button(ctx, r.code, Notice(r.zh, r.en), r.code in v.reasons,
                                       width))
    col.add_widget(grid)
    share = (ctx.width - t.pad) / 3
    pinned = Row(spacing=t.pad, equal=True)
    pinned.add_widget(ctx.label_button("back", a.back, words.BACK, style="plain", width=share,
                                       min_height=max(MIN_TOUCH, t.px(96))))
    pinned.add_widget(ctx.label_button("submit", a.submit_reasons, texts.SUBMIT,
                                       style="primary", enabled=bool(v.reasons),
                                       width=2 * share, min_height=max(MIN_TOUCH, t.px(96))))
    return Built(col, "top", pinned)


def _message(ctx: PadCtx, headline: Notice, *notices: Notice, level: int | None) -> Built:
    t, p = ctx.theme, ctx.theme.palette
    col = Column(spacing=t.px(28))
    if level is not None:
        face = Face(level, side=t.px(220))
        face.pos_hint = {"center_x": 0.5}
        col.add_widget(face)
    main, second = ctx.lines(headline)
    col.add_widget(Text(main, font_size=fit_font(main, ctx.width, t.px(88), lines=2),
                        color=p.text, bold=True, halign="center"))
    if second:
        col.add_widget(Text(second, font_size=t.px(38), color=p.muted, halign="center"))
    for notice in notices:
        col.add_widget(ctx.notice(notice, size=t.px(42), halign="center"))
    return Built(col, "center")


def thanks(ctx: PadCtx) -> Built:
    """感谢您的评价: the face chosen; a saved-for-later line while offline."""
    v = ctx.view
    notes = [texts.THANKS_BAD if v.level is not None and v.level <= 2 else texts.THANKS_HINT]
    if not v.online:
        notes.append(texts.SENDING_LATER)
    return _message(ctx, texts.THANKS, *notes, level=v.level)


def refused(ctx: PadCtx) -> Built:
    """The server refused the rating, and why."""
    v = ctx.view
    notes = [n for n in (v.refusal, texts.NOT_RECORDED_HINT) if n is not None]
    return _message(ctx, texts.NOT_RECORDED, *notes, level=None)


PAGES = {PadPage.ARMED: armed, PadPage.REASONS: reasons, PadPage.THANKS: thanks,
         PadPage.REFUSED: refused}
