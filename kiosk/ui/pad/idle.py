"""The pad's header (window, offline badge, language, 长辈模式, 呼叫工作人员) and its idle page:
who is on duty (亮证) and whether the window is open."""

from __future__ import annotations

from typing import Any

from kiosk import words
from kiosk.model import Level, Notice
from kiosk.pad import texts
from kiosk.ui.pad.kit import MIN_TOUCH, PadCtx, badge, staff_card
from kiosk.ui.pages.common import Built
from kiosk.ui.typeset import fit_font
from kiosk.ui.widgets import Column, Row, Text, paint


def header(ctx: PadCtx, width: float) -> Any:
    """Window name and the buttons every page has; one row on landscape, two on portrait."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    box = Column(padding=[t.pad, t.px(14)], spacing=t.px(12))
    paint(box, p.header_bg)
    inner = width - 2 * t.pad
    gap = t.px(16)
    height = max(MIN_TOUCH, t.px(88))
    units = (t.px(200), t.px(230), t.px(330))
    room = inner - sum(units) - 3 * gap if t.landscape else inner
    # The offline strip under the header always says it; the badge is only where it fits.
    tagged = not v.online and room - t.px(150) - gap >= t.px(260)
    if tagged:
        room -= t.px(150) + gap
    row = Row(spacing=gap, equal=True)
    title = Column(spacing=t.px(2))
    title.size_hint_x = 1
    title.pos_hint = {"center_y": 0.5}
    name = ctx.say(v.window_name) if v.window_name else \
        (f"{v.window}号窗口" if ctx.zh else f"Window {v.window}")
    title.add_widget(Text(name, font_size=fit_font(name, room, t.px(50)), color=p.header_text,
                          bold=True))
    sub = ctx.say(texts.SUPERVISION)
    title.add_widget(Text(sub, font_size=fit_font(sub, room, t.px(28)), color=p.header_text))
    row.add_widget(title)
    if tagged:
        tag = badge(ctx, texts.OFFLINE, size=t.px(34))
        tag.size_hint_x = None
        tag.width = t.px(150)
        tag.pos_hint = {"center_y": 0.5}
        row.add_widget(tag)
    buttons = _buttons(ctx, units, height)
    if t.landscape:
        for b in buttons:
            b.pos_hint = {"center_y": 0.5}
            row.add_widget(b)
        box.add_widget(row)
        return box
    box.add_widget(row)
    second = Row(spacing=gap, equal=True)
    share = (inner - 2 * gap) / sum(units)
    for b, unit in zip(buttons, units, strict=True):
        b.width = unit * share
        second.add_widget(b)
    box.add_widget(second)
    return box


def _buttons(ctx: PadCtx, units: tuple[float, float, float], height: float) -> list[Any]:
    v, a = ctx.view, ctx.actions
    language = ctx.label_button("language", a.toggle_language,
                                words.language_switch(v.language, v.languages),
                                width=units[0], min_height=height)
    elderly = ctx.label_button("elderly", a.toggle_elderly,
                               words.ELDERLY_OFF if v.elderly else words.ELDERLY_ON,
                               width=units[1], min_height=height)
    helper = ctx.label_button("helper", lambda: a.call_helper("general"), words.HELPER,
                              style="helper", width=units[2], min_height=height)
    language.disabled = len(v.languages) < 2
    return [language, elderly, helper]


def strips(ctx: PadCtx) -> list[Notice]:
    """Notices under the header: offline, and a transient banner."""
    v = ctx.view
    shown = []
    if not v.online:
        shown.append(texts.OFFLINE_NOTICE)
    if v.banner is not None:
        shown.append(v.banner)
    return shown


def _mode(ctx: PadCtx) -> Any:
    """Open / paused (and why) / away / closed."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    col = ctx.card(spacing=t.px(18))
    if v.mode is None:
        col.add_widget(ctx.text(texts.WAITING_STATE, size=t.px(44), colour=p.muted))
        return col
    words = texts.MODE[v.mode]
    col.add_widget(badge(ctx, words, size=t.px(56)))
    if v.note is not None:
        col.add_widget(ctx.text(v.note, size=t.px(40), second_colour=p.muted))
    return col


def idle(ctx: PadCtx) -> Built:
    """亮证 (A role first, B if signed in) beside the window's mode and a hint."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    left_ctx = ctx.half(0.56)
    people = ctx.card(spacing=t.px(22))
    people.add_widget(ctx.text(texts.ON_DUTY, size=t.px(40), bold=True, colour=p.muted))
    if not v.staff:
        people.add_widget(ctx.text(texts.NOBODY, size=t.px(44)))
    side = t.px(200) if len(v.staff) < 2 else t.px(160)
    for person in v.staff:
        card = staff_card(left_ctx, person, side=side, big=len(v.staff) < 2)
        people.add_widget(card)
    right = Column(spacing=t.pad)
    right.add_widget(_mode(ctx))
    hint = Column(padding=[t.pad, t.px(18)])
    bg, fg = t.level(Level.INFO)
    paint(hint, bg, radius=t.radius)
    hint.add_widget(ctx.text(texts.IDLE_HINT, size=t.px(40), colour=fg))
    right.add_widget(hint)
    return Built(ctx.split(people, right, left_share=0.56), "center")

