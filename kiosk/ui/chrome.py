"""What every page has: the header (hall name, language, large type, 帮办), the notice
strips under it and the footer (返回 / 首页)."""

from __future__ import annotations

from typing import Any

from kivy.uix.widget import Widget

from kiosk import words
from kiosk.model import Notice, Page
from kiosk.ui import texts
from kiosk.ui.kit import Ctx
from kiosk.ui.typeset import fit_font
from kiosk.ui.widgets import Column, Row, Text, paint

# Pages whose own content already shows a notice, or where a tap cannot help.
_NO_FOOTER = {Page.HOME, Page.ISSUING, Page.QUERYING}
_PAUSE_STRIP = {Page.HOME, Page.ITEMS, Page.GUIDE, Page.CHECK_IN}
_PRINTER_STRIP = {Page.HOME, Page.CASE_STATUS}
_BANNER_SHOWN_BY_PAGE = {Page.ISSUING, Page.HELP_SENT, Page.QUERYING}
_HELPER_WEIGHT = 1.4  # the 帮办 button is the widest of the three


def header(ctx: Ctx, width: float) -> Any:
    """Hall name and the three buttons every page has."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    box = Column(padding=[t.pad, t.px(16)], spacing=t.px(14))
    paint(box, p.header_bg)
    name = ctx.text(v.hall_name, size=t.px(46), colour=p.header_text, bold=True,
                    second_colour=p.header_text)
    inner = width - 2 * t.pad
    gap = t.px(16)
    if t.landscape:
        row = Row(spacing=gap, equal=True)
        name.size_hint_x = 1
        name.pos_hint = {"center_y": 0.5}
        row.add_widget(name)
        unit = min(t.px(300), inner * 0.18)
        for button in _buttons(ctx, unit, gap):
            row.add_widget(button)
        box.add_widget(row)
        return box
    box.add_widget(name)
    row = Row(spacing=gap, equal=True)
    unit = (inner - 2 * gap) / (2 + _HELPER_WEIGHT)
    for button in _buttons(ctx, unit, gap):
        row.add_widget(button)
    box.add_widget(row)
    return box


def _buttons(ctx: Ctx, unit: float, gap: float) -> list[Any]:
    t, v, a = ctx.theme, ctx.view, ctx.actions
    height = t.px(96)
    language = ctx.label_button("language", a.toggle_language,
                                words.language_switch(v.language, v.languages),
                                width=unit, min_height=height)
    elderly = ctx.label_button("elderly", a.toggle_elderly,
                               words.ELDERLY_OFF if v.elderly else words.ELDERLY_ON,
                               width=unit, min_height=height)
    helper = ctx.label_button("helper", lambda: a.call_helper("general"), words.HELPER,
                              style="helper", width=unit * _HELPER_WEIGHT + gap / 2,
                              min_height=height, size_hint_x=None)
    if len(v.languages) < 2:
        language.disabled = True
    return [language, elderly, helper]


def strips(ctx: Ctx) -> list[Any]:
    """Notices that stand above the page: paused, printer fault, a transient banner."""
    v = ctx.view
    shown: list[Notice] = []
    if not v.accepting and v.paused is not None and v.page in _PAUSE_STRIP:
        shown.append(v.paused)
    if v.printer_warning is not None and v.page in _PRINTER_STRIP:
        shown.append(v.printer_warning)
    if v.banner is not None and v.page not in _BANNER_SHOWN_BY_PAGE:
        shown.append(v.banner)
    return [ctx.notice(n, size=ctx.theme.px(38)) for n in shown]


def footer(ctx: Ctx, width: float, pinned: Any | None = None) -> Any | None:
    """返回 and 首页 where a tap can leave the page, and the page's pinned actions: above
    them on portrait, beside them on landscape (where height is short)."""
    t, v, a = ctx.theme, ctx.view, ctx.actions
    leave = v.page not in _NO_FOOTER
    if not leave and pinned is None:
        return None
    inner = width - 2 * t.pad
    col = Column(spacing=t.px(16), padding=[t.pad, t.px(16)])
    row = Row(spacing=t.pad, equal=True)
    if pinned is not None and not (t.landscape and leave):
        col.add_widget(pinned)
    if leave:
        share = (inner - 3 * t.pad) / 4 if t.landscape and pinned is not None \
            else (inner - t.pad) / 2
        row.add_widget(ctx.label_button("back", a.back, words.BACK, style="plain", width=share))
        row.add_widget(ctx.label_button("home", a.home, texts.HOME, style="plain", width=share))
        if pinned is not None and t.landscape:
            pinned.size_hint_x = 1
            row.add_widget(pinned)
        col.add_widget(row)
    return col


def spacer(height: float) -> Widget:
    """Empty room of a fixed height."""
    return Widget(size_hint_y=None, height=height)


def big_line(ctx: Ctx, words: Notice, size: float, *, colour: Any = None,
             halign: str = "center", lines: int = 1) -> Any:
    """Large words shrunk to fit the page width in `lines` lines (no second language)."""
    main = ctx.say(words)
    return Text(main, font_size=fit_font(main, ctx.width, size, lines=lines), halign=halign,
                color=colour or ctx.theme.palette.text, bold=True)
