"""预约签到: the camera reads the appointment QR code, or the citizen types the code."""

from __future__ import annotations

from functools import partial

from kiosk.controller import CODE_KEYS
from kiosk.ui import texts
from kiosk.ui.kit import Ctx
from kiosk.ui.pages.common import Built
from kiosk.ui.typeset import fit_font
from kiosk.ui.widgets import Column, Grid, Row, Text, paint

KEYS = tuple(sorted(CODE_KEYS))  # Crockford base 32: 0-9, A-Z without I L O U
KEYPAD_COLUMNS = 8


def check_in(ctx: Ctx) -> Built:
    """Camera hint, the typed code, the keypad, erase and confirm."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    a = ctx.actions
    left_ctx, right_ctx = ctx.half(0.42), ctx.half(0.42, right=True)
    left = Column(spacing=t.px(20))
    left.add_widget(ctx.title(texts.CHECK_IN))
    if v.camera_online:
        left.add_widget(ctx.notice(texts.CAMERA_ON, size=t.px(40)))
        left.add_widget(ctx.text(texts.OR_TYPE, size=t.px(34), colour=p.muted))
    else:
        left.add_widget(ctx.notice(texts.CAMERA_OFF, size=t.px(40)))
    code = texts.shown_code(v.code_input)
    display = Column(padding=[t.pad, t.px(14)])
    paint(display, p.card, border=p.accent if v.code_input else p.border,
          border_width=t.border_width * 2, radius=t.radius)
    display.add_widget(Text(code, font_size=fit_font(code, left_ctx.width - 2 * t.pad,
                                                     t.px(76)),
                            color=p.text, bold=True, halign="center"))
    left.add_widget(display)
    typed = bool(v.code_input)
    buttons = Row(spacing=t.pad, equal=True)
    buttons.add_widget(ctx.label_button("erase", a.erase, texts.ERASE, style="plain",
                                        enabled=typed, size=t.px(44)))
    buttons.add_widget(ctx.label_button("submit", a.submit_code, texts.CONFIRM,
                                        style="primary", enabled=typed, size=t.px(44)))
    gap = t.px(12)
    grid = Grid(cols=KEYPAD_COLUMNS, spacing=gap)
    key_width = (right_ctx.width - gap * (KEYPAD_COLUMNS - 1)) / KEYPAD_COLUMNS
    key_height = min(t.px(104), key_width)
    for key in KEYS:
        grid.add_widget(ctx.label_button(f"key:{key}", partial(a.type_key, key),
                                         texts.W(key, key), style="card",
                                         size=min(t.px(52), key_height * 0.5),
                                         min_height=key_height, width=key_width,
                                         padding=t.px(4)))
    if t.landscape:
        left.add_widget(buttons)
        return Built(ctx.split(left, grid, left_share=0.42))
    left.add_widget(grid)
    left.add_widget(buttons)
    return Built(left)
