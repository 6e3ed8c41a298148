"""Public pages: the hall call screen (/screen) and the phone ticket page (/t/<token>)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from hallserver.api.deps import ServicesDep
from hallserver.domain.errors import NotFound
from hallserver.web.pages import SHELL_HEADERS, STATIC_DIR

router = APIRouter(include_in_schema=False)

_TICKET_MISSING = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>号票不存在 / No such ticket</title>
<link rel="stylesheet" href="/static/common.css"><link rel="stylesheet" href="/static/ticket.css">
</head><body class="ticket-page"><main class="tk">
<p class="tk-hall">{hall_zh} <span class="en" lang="en">{hall_en}</span></p>
<section class="tk-card tk-missing" data-testid="missing">
<h1>号票不存在或已过期</h1>
<p lang="en" class="en-line">No such ticket, or it has expired.</p>
<p>请核对号票上的二维码，或到大厅服务台咨询。</p>
<p lang="en" class="en-line">Check the QR code on your ticket, or ask at the help desk.</p>
</section></main></body></html>
"""


@router.get("/screen")
def screen_page() -> FileResponse:
    """The hall call screen (综合屏) for a 1080p display; `?zone=<id>` for one zone's
    screen, `?lang=en` to start in English."""
    return FileResponse(STATIC_DIR / "screen.html", media_type="text/html; charset=utf-8",
                        headers=SHELL_HEADERS)


@router.get("/t/{token}", response_model=None)
def ticket_page(token: str, services: ServicesDep) -> Response:
    """排队进度: the ticket behind a printed ticket's QR code, for the citizen's phone (no
    login, no personal data: the token is the only key)."""
    with services.ctx.db.read() as session:
        cfg = services.layout.current(session)
    hall = cfg.hall.name
    try:
        services.tickets.status(token)
    except NotFound:
        return HTMLResponse(_TICKET_MISSING.format(hall_zh=escape(hall.zh),
                                                   hall_en=escape(hall.en)),
                            status_code=404, headers=SHELL_HEADERS)
    shell = (STATIC_DIR / "ticket.html").read_text(encoding="utf-8")
    page = (shell.replace("{{hall_zh}}", escape(hall.zh)).replace("{{hall_en}}", escape(hall.en))
            .replace("{{timezone}}", escape(cfg.hall.timezone)))
    return HTMLResponse(page, headers=SHELL_HEADERS)
