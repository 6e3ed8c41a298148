"""What a pad page builder gets: the view, the theme, the controller's taps, and the kiosk's
drawing helpers (words in the language on screen, cards, buttons)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.controller import HelperReason
from kiosk.pad import texts
from kiosk.pad.model import PadView, StaffCard
from kiosk.ui.kit import Kit
from kiosk.ui.pad.faces import Avatar
from kiosk.ui.widgets import Column, Row, Text, paint

MIN_TOUCH = 60  # pixels: no button of the pad is smaller than this either way


class PadActions(Protocol):
    """The pad controller's taps."""

    def rate(self, level: int) -> None: ...
    def toggle_reason(self, code: str) -> None: ...
    def submit_reasons(self) -> None: ...
    def back(self) -> None: ...
    def toggle_language(self) -> None: ...
    def toggle_elderly(self) -> None: ...
    def call_helper(self, reason: HelperReason = "general") -> None: ...


@dataclass(frozen=True)
class PadCtx(Kit):
    """One drawing pass of the pad."""

    view: PadView
    actions: PadActions
    height: float  # of the window, for pages that must fit without scrolling

    @property
    def language(self) -> str:
        """The language on screen."""
        return self.view.language


def staff_card(ctx: PadCtx, person: StaffCard, *, side: float, big: bool = True) -> Any:
    """亮证: avatar, name, 工号 and role, side by side."""
    t, p = ctx.theme, ctx.theme.palette
    row = Row(spacing=t.pad)
    avatar = Avatar(side=side, initials=person.initials, photo=person.photo_path,
                    colour=p.accent, text_colour=p.header_text)
    avatar.pos_hint = {"center_y": 0.5}
    row.add_widget(avatar)
    col = Column(spacing=t.px(6))
    col.size_hint_x = 1
    col.pos_hint = {"center_y": 0.5}
    col.add_widget(Text(person.name, font_size=t.px(64 if big else 48), color=p.text,
                        bold=True))
    role = texts.ROLE.get(person.role)
    number = f"{ctx.say(texts.STAFF_NO)} {person.staff_id}"
    line = f"{number}  ·  {ctx.say(role)}" if role is not None else number
    col.add_widget(Text(line, font_size=t.px(38 if big else 32), color=p.muted))
    row.add_widget(col)
    row.min_height = side
    return row


def badge(ctx: PadCtx, words: texts.W, *, size: float | None = None) -> Any:
    """A small coloured tag (离线, 暂停服务 …) as tall as its text."""
    t = ctx.theme
    bg, fg = t.level(words.level)
    box = Column(padding=[t.px(18), t.px(8)])
    paint(box, bg, radius=t.px(10))
    box.add_widget(Text(ctx.say(words), font_size=size or t.px(34), color=fg, bold=True,
                        halign="center"))
    return box
