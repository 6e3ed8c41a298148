"""Page builders: one function per `Page` (and role) returning the page's widget."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.model import Page
from kiosk.ui.kit import Ctx
from kiosk.ui.pages import browse, check_in, common, terminal, ticket

Builder = Callable[[Ctx], common.Built]

_SHARED: dict[Page, Builder] = {
    Page.ITEMS: browse.items,
    Page.GUIDE: browse.guide,
    Page.ISSUING: common.issuing,
    Page.TICKET: ticket.ticket,
    Page.REFUSED: common.refused,
    Page.PAUSED: common.paused,
    Page.CHECK_IN: check_in.check_in,
    Page.HELP_SENT: common.help_sent,
    Page.SCAN: terminal.scan,
    Page.QUERYING: common.querying,
    Page.TICKET_STATUS: terminal.ticket_status,
    Page.CASE_STATUS: terminal.case_status,
}


def build_page(ctx: Ctx) -> common.Built:
    """The widget of the view's page and its anchor ("top" or "center")."""
    page = ctx.view.page
    if page is Page.HOME:
        return terminal.home(ctx) if ctx.view.role == "terminal" else browse.kiosk_home(ctx)
    return _SHARED[page](ctx)
