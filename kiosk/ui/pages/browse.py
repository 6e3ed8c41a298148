"""Choosing a service: the kiosk's category tiles, a category's items and an item's
service guide (一次性告知) with the take-a-number button."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.uix.label import Label

from devices.protocol import messages as m
from kiosk.controller import CATEGORY_FULL, CATEGORY_UNSERVED
from kiosk.ui import texts
from kiosk.ui.kit import Ctx
from kiosk.ui.pages.common import Built, field
from kiosk.ui.widgets import Column, Grid, Row, Text, TickBox, paint

TILE_MIN_WIDTH = 380  # design pixels: narrower tiles would wrap the names


def tile_columns(ctx: Ctx) -> int:
    """Category tiles per row: as many as fit (fewer, wider tiles in large type)."""
    return max(1, min(4, int(ctx.width // ctx.theme.px(TILE_MIN_WIDTH))))


def category_tile(ctx: Ctx, category: m.CatalogCategory, width: float) -> Any:
    """A category button: prefix letter, name, and the queue length or 今日已满."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    full = category.code in v.full or category.code in v.unserved
    side = t.px(110)
    letter = Label(text=category.prefix, font_size=t.px(70), bold=True,
                   color=p.disabled_text if full else p.header_text,
                   size_hint=(None, None), size=(side, side), pos_hint={"center_y": 0.5})
    paint(letter, p.disabled if full else p.accent, radius=t.radius)
    words = Column(spacing=t.px(6), pos_hint={"center_y": 0.5})
    words.add_widget(ctx.text(category.name, size=t.px(50), bold=True,
                              colour=p.disabled_text if full else p.card_text,
                              second_colour=p.muted))
    status: Any = None
    if full:
        status = ctx.notice(texts.FULL if category.code in v.full else texts.NOT_TODAY,
                            size=t.px(32), halign="center")
    elif category.code in v.waiting:
        status = Text(ctx.say(texts.waiting(v.waiting[category.code])), font_size=t.px(36),
                      color=p.muted)
    row = Row(spacing=t.px(20), min_height=side)
    row.add_widget(letter)
    row.add_widget(words)
    wide = width >= t.px(2 * TILE_MIN_WIDTH) * 0.75
    if status is not None and wide:
        status.size_hint_x = None
        status.width = t.px(260)
        status.pos_hint = {"center_y": 0.5}
        if isinstance(status, Text):
            status.halign = "right"
        row.add_widget(status)
    elif status is not None:
        words.add_widget(status)
    return ctx.button(f"category:{category.code}",
                      partial(ctx.actions.open_category, category.code), row,
                      style="plain" if full else "card", min_height=side + 2 * t.px(30),
                      size_hint_x=None, width=width)


def category_grid(ctx: Ctx) -> Any:
    """All offered categories as tiles."""
    t = ctx.theme
    cols = tile_columns(ctx)
    gap = t.px(20)
    grid = Grid(cols=cols, spacing=gap, equal=True)
    width = (ctx.width - gap * (cols - 1)) / cols
    for category in ctx.view.categories:
        grid.add_widget(category_tile(ctx, category, width))
    return grid


def kiosk_home(ctx: Ctx) -> Built:
    """取号机 start page: category tiles and appointment check-in."""
    t, v = ctx.theme, ctx.view
    col = Column(spacing=t.px(24))
    col.add_widget(ctx.title(texts.CHOOSE_SERVICE))
    col.add_widget(category_grid(ctx))
    check_in = Column(spacing=t.px(6))
    _, fg = ctx.colours("secondary", v.accepting)
    check_in.add_widget(ctx.text(texts.CHECK_IN, size=t.px(48), bold=True, colour=fg,
                                 halign="center"))
    check_in.add_widget(Text(ctx.say(texts.CHECK_IN_HINT), font_size=t.px(30), color=fg,
                             halign="center"))
    col.add_widget(ctx.button("check-in", ctx.actions.open_check_in, check_in,
                              enabled=v.accepting, min_height=t.px(150)))
    return Built(col)


def items(ctx: Ctx) -> Built:
    """The items of the chosen category."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    col = Column(spacing=t.px(20))
    category = v.category
    if category is None:
        return Built(col)
    col.add_widget(ctx.title(category.name))
    col.add_widget(Text(ctx.say(texts.go_to(category.zone_name, category.windows,
                                            category.floor)),
                        font_size=t.body, color=p.muted))
    if category.code in v.full:
        col.add_widget(ctx.notice(CATEGORY_FULL))
    elif category.code in v.unserved:
        col.add_widget(ctx.notice(CATEGORY_UNSERVED))
    if category.items:
        col.add_widget(ctx.text(texts.CHOOSE_ITEM, size=t.px(40), second_colour=p.muted))
    elif category.code not in v.full and category.code not in v.unserved:
        col.add_widget(ctx.notice(texts.NO_ITEMS))
    cols = 2 if t.landscape else 1
    gap = t.px(20)
    grid = Grid(cols=cols, spacing=gap, equal=cols > 1)
    width = (ctx.width - gap * (cols - 1)) / cols
    for item in category.items:
        body = Column(spacing=t.px(6))
        body.add_widget(ctx.text(item.name, size=t.px(42), bold=True, colour=p.card_text,
                                 second_colour=p.muted))
        body.add_widget(Text(ctx.say(texts.time_limit(item.promised_limit_days,
                                                      item.legal_limit_days, item.promised_unit,
                                                      item.legal_unit)),
                             font_size=t.px(30), color=p.muted))
        grid.add_widget(ctx.button(f"item:{item.code}", partial(ctx.actions.open_item, item.code),
                                   body, style="card", min_height=t.px(130),
                                   size_hint_x=None, width=width))
    col.add_widget(grid)
    return Built(col, pinned=take_number_button(ctx))


def guide(ctx: Ctx) -> Built:
    """An item's service guide and the take-a-number button."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    item, category = v.item, v.category
    if item is None or category is None:
        return Built(Column())
    left = Column(spacing=t.px(20))
    left.add_widget(ctx.title(item.name))
    left.add_widget(Text(ctx.say(texts.GUIDE), font_size=t.px(30), color=p.muted))
    card = ctx.card()
    card.add_widget(ctx.text(texts.MATERIALS, size=t.px(40), bold=True, colour=p.accent,
                             second_colour=p.muted))
    if not item.materials:
        card.add_widget(Text(ctx.say(texts.NO_MATERIALS), font_size=t.body, color=p.text))
    for n, material in enumerate(item.materials, start=1):
        card.add_widget(Text(f"{n}. {ctx.say(texts.material(material))}", font_size=t.body,
                             color=p.text))
    left.add_widget(card)
    facts = ctx.card()
    label_width = t.px(190) if ctx.zh else t.px(230)
    where = texts.go_to(category.zone_name, category.windows, category.floor)
    for label, value in (
            (texts.TIME_LIMIT, texts.time_limit(item.promised_limit_days,
                                                item.legal_limit_days, item.promised_unit,
                                                item.legal_unit)),
            (texts.FEE, texts.fee(item.fee_yuan, item.fee_note)),
            (texts.WHERE, where),
            (texts.TIME_NEEDED, texts.expected_minutes(item.expected_minutes))):
        facts.add_widget(field(ctx, label, value, label_width=label_width))
    actions = Row(spacing=t.pad, equal=True)
    actions.add_widget(priority_toggle(ctx))
    actions.add_widget(take_number_button(ctx))
    return Built(ctx.split(left, facts, left_share=0.5), pinned=actions)


def priority_toggle(ctx: Ctx) -> Any:
    """绿色通道 on or off: a check box and what it is for."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    body = Row(spacing=t.px(20))
    body.add_widget(TickBox(on=v.priority, side=t.px(64), box=p.border if not v.priority
                            else p.accent, fill=p.accent, tick=p.header_text,
                            line_width=max(2, t.px(3)), pos_hint={"center_y": 0.5}))
    words = Column(spacing=t.px(4), pos_hint={"center_y": 0.5})
    words.add_widget(ctx.text(texts.PRIORITY, size=t.px(42), bold=True, colour=p.card_text,
                              second_colour=p.muted))
    words.add_widget(Text(ctx.say(texts.PRIORITY_HINT), font_size=t.px(28), color=p.muted))
    body.add_widget(words)
    return ctx.button("priority", lambda: ctx.actions.set_priority(not v.priority), body,
                      style="card", min_height=t.px(150))


def take_number_button(ctx: Ctx) -> Any:
    """取号: off while paused or when the category is full today."""
    t, v = ctx.theme, ctx.view
    full = v.category is not None and v.category.code in v.full
    unserved = v.category is not None and v.category.code in v.unserved
    enabled = v.accepting and not full and not unserved
    words = (texts.TAKE_NUMBER if enabled else texts.FULL if full
             else texts.NOT_TODAY if unserved else texts.TAKE_NUMBER_OFF)
    return ctx.label_button("take-number", ctx.actions.take_number, words, style="primary",
                            enabled=enabled, size=t.px(64), min_height=t.px(150))
