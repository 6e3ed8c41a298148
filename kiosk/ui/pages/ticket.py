"""The committed ticket: number, queue, where to go, its QR code and the printout's state."""

from __future__ import annotations

from typing import Any

from kivy.uix.image import Image

from kiosk.model import KioskView, Level, Notice
from kiosk.ui import texts
from kiosk.ui.chrome import big_line
from kiosk.ui.kit import Ctx
from kiosk.ui.pages.common import Built
from kiosk.ui.qr import qr_texture
from kiosk.ui.widgets import Column, Row, Text, paint


def print_line(view: KioskView, *, receipt: bool = False) -> Notice | None:
    """The printout's state in words (None: nothing printed on this screen)."""
    state = view.print_state
    if state == "printing":
        return texts.RECEIPT_PRINTING if receipt else texts.PRINTING
    if state == "printed":
        return texts.RECEIPT_PRINTED if receipt else texts.PRINTED
    if state == "failed":
        why = view.printer_warning  # already says what failed and what to do
        return Notice(why.zh, why.en, Level.ERROR) if why else texts.PRINT_FAILED
    if state == "no_printer" and not receipt:
        return texts.NO_PRINTER
    return None


def qr_image(ctx: Ctx, url: str, side: float) -> Any:
    """The QR code on a white frame (its quiet zone is part of the image)."""
    t = ctx.theme
    frame = Column(padding=t.px(6), size_hint_x=None, width=side + 2 * t.px(6),
                   pos_hint={"center_x": 0.5, "center_y": 0.5})
    paint(frame, (1, 1, 1, 1), border=t.palette.border, border_width=t.border_width)
    frame.add_widget(Image(texture=qr_texture(url), size_hint=(None, None), size=(side, side),
                           fit_mode="contain"))
    return frame


def qr_block(ctx: Ctx, url: str, side: float, issued: Notice, *, stacked: bool) -> Any:
    """The status page's QR code, what it is for and when the ticket was taken."""
    t, p = ctx.theme, ctx.theme.palette
    words = Column(spacing=t.px(10), pos_hint={"center_y": 0.5})
    words.add_widget(ctx.text(texts.SCAN_TO_FOLLOW, size=t.px(34), colour=p.text,
                              second_colour=p.muted, halign="center" if stacked else "left"))
    words.add_widget(Text(ctx.say(issued), font_size=t.px(28), color=p.muted,
                          halign="center" if stacked else "left"))
    box = Column(spacing=t.px(12)) if stacked else Row(spacing=t.pad)
    box.add_widget(qr_image(ctx, url, side))
    box.add_widget(words)
    return box


def ticket(ctx: Ctx) -> Built:
    """The number, huge, with everything the citizen needs to wait and go."""
    t, v, p = ctx.theme, ctx.view, ctx.theme.palette
    tk = v.ticket
    if tk is None:
        return Built(Column())
    left = ctx.half(0.58)
    info = left.card(spacing=t.px(8) if t.elderly else t.px(12))
    head = Row(spacing=t.pad)
    if not t.elderly:  # large type needs the room; the number speaks for itself
        head.add_widget(ctx.text(texts.YOUR_NUMBER, size=t.px(36), colour=p.muted,
                                 second_colour=p.muted))
    if v.reprint:
        stamp = Text(ctx.say(texts.COPY), font_size=t.px(40), bold=True, color=p.error_text,
                     halign="center", size_hint_x=None, width=t.px(160),
                     pos_hint={"center_y": 0.5})
        paint(stamp, p.error, radius=t.px(8))
        if t.elderly:
            head.add_widget(Text("", font_size=t.px(36), color=p.muted))  # stamp to the right
        head.add_widget(stamp)
    if head.children:
        info.add_widget(head)
    info.add_widget(big_line(left, Notice(tk.number, tk.number),
                             t.huge(200 if t.elderly else 230), colour=p.accent))
    info.add_widget(ctx.text(tk.category_name, size=t.px(50), bold=True, halign="center",
                             second_colour=p.muted))
    info.add_widget(Text(ctx.say(texts.people_ahead(tk.people_ahead)), font_size=t.px(46),
                         color=p.accent, bold=True, halign="center"))
    info.add_widget(Text(ctx.say(texts.predicted_wait(tk.predicted_wait_min)),
                         font_size=t.px(38), color=p.text, halign="center"))
    info.add_widget(Text(ctx.say(texts.go_to(tk.zone, tk.windows)), font_size=t.px(38),
                         color=p.text, halign="center"))
    if tk.appointment_at is not None:
        info.add_widget(Text(ctx.say(texts.appointment(tk.appointment_at, ctx.tz)),
                             font_size=t.px(34), color=p.text, halign="center"))
    rest = Column(spacing=t.px(18))
    line = print_line(v)
    if line is not None:
        rest.add_widget(ctx.notice(line, size=t.px(40), halign="center"))
    issued = texts.issued_at(tk.issued_at, ctx.tz)
    if v.qr_url:
        card = ctx.card()
        side = t.px(200 if t.elderly else 300) if t.landscape else t.huge(
            260 if t.elderly else 340)
        card.add_widget(qr_block(ctx, v.qr_url, side, issued, stacked=t.landscape))
        rest.add_widget(card)
    else:
        rest.add_widget(Text(ctx.say(issued), font_size=t.px(28), color=p.muted,
                             halign="center"))
    return Built(ctx.split(info, rest, left_share=0.58))
