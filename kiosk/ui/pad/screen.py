"""The pad's screen widget: header, notices, the page of the view and its pinned actions."""

from __future__ import annotations

from typing import Any

from kiosk.pad.model import PadPage, PadView
from kiosk.ui.pad import idle, rating
from kiosk.ui.pad.kit import PadActions, PadCtx
from kiosk.ui.pages.common import Built
from kiosk.ui.screen import ViewScreen, scrolling
from kiosk.ui.theme import theme_for
from kiosk.ui.widgets import Column


def build_page(ctx: PadCtx) -> Built:
    """The widget of the view's page."""
    if ctx.view.page is PadPage.IDLE:
        return idle.idle(ctx)
    return rating.PAGES[ctx.view.page](ctx)


class PadScreen(ViewScreen[PadView]):
    """Draws each `PadView`; taps go to `actions` (the PadController)."""

    def __init__(self, actions: PadActions, view: PadView, **kwargs: Any) -> None:
        super().__init__(view, **kwargs)
        self.actions = actions

    def draw(self, view: PadView) -> None:
        """Rebuild the screen for a view (Kivy thread only)."""
        self._begin(view)
        width, height = self.size
        theme = theme_for(width, height, elderly=view.elderly)
        ctx = PadCtx(theme=theme, width=width - 2 * theme.px(12), view=view,
                     actions=self.actions, height=height)
        self._background.rgba = theme.palette.background
        self.add_widget(idle.header(ctx, width))
        for notice in idle.strips(ctx):
            self._add_strip(ctx.notice(notice, size=theme.px(36)), theme)
        built = build_page(ctx)
        self.add_widget(scrolling(built.body, built.anchor, theme.px(12)))
        if built.pinned is not None:
            foot = Column(padding=[theme.px(12), theme.px(8), theme.px(12), theme.px(12)])
            foot.add_widget(built.pinned)
            self.add_widget(foot)
        self._done(view)
