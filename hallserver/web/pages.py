"""Routes of the web pages (HTML shells; the data comes from the JSON API)."""

from __future__ import annotations

import html
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from hallserver.api.deps import OptionalUser, ServicesDep, WindowNo
from hallserver.domain.errors import NotFound
from hallserver.services.views import Principal
from hallserver.web.case import render_case, render_case_missing

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).parent / "static"

# Pages load only their own scripts and styles: nothing inline, nothing from elsewhere.
SHELL_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


_NOT_FOUND = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>没有该窗口 / No such window</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/common.css"></head>
<body class="plain"><main class="notice"><h1>没有{n}号窗口</h1><p lang="en">No window {n}.</p>
</main></body></html>
"""


def _shell(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8",
                        headers=SHELL_HEADERS)


def login_redirect(next_path: str) -> RedirectResponse:
    """Send an anonymous visitor to the login page, coming back to `next_path` after."""
    return RedirectResponse(f"/login?next={quote(next_path, safe='/')}", status_code=303)


MANAGERS = frozenset({"manager", "admin"})
ADMINS = frozenset({"admin"})

_FORBIDDEN = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问 / Forbidden</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/common.css"></head>
<body class="plain"><main class="notice"><h1>{heading}</h1>
<p>{zh}</p>
<p lang="en">{en}</p>
<p><a href="/login?next={path}">换个账号登录 / Log in as someone else</a></p>
</main></body></html>
"""


@dataclass(frozen=True)
class Refusal:
    """What the 403 page of a role-restricted page says; `{user}` in `zh` / `en` becomes the
    signed-in username."""

    heading: str
    zh: str
    en: str


def role_page(user: Principal | None, path: str, shell: str, roles: Collection[str],
              refusal: Refusal) -> Response:
    """A page for some roles only: anonymous visitors go to the login page (303, back to
    `path` after), a signed-in user without the role gets a 403 page, the others the shell."""
    if user is None:
        return login_redirect(path)
    if user.role not in roles:
        who = html.escape(user.username)
        body = _FORBIDDEN.format(heading=refusal.heading, zh=refusal.zh.format(user=who),
                                 en=refusal.en.format(user=who), path=quote(path, safe="/"))
        return HTMLResponse(body, status_code=403, headers=SHELL_HEADERS)
    return _shell(shell)


@router.get("/login")
def login_page() -> FileResponse:
    """The login form (工号 and password); goes back to `?next=` on success."""
    return _shell("login.html")


@router.get("/window/{number}", response_model=None)
def caller_page(number: WindowNo, user: OptionalUser, services: ServicesDep) -> Response:
    """The virtual window caller (虚拟呼叫器) of one window."""
    if user is None:
        return login_redirect(f"/window/{number}")
    with services.ctx.db.read() as session:
        numbers = {w.number for w in services.layout.current(session).windows}
    if number not in numbers:
        return HTMLResponse(_NOT_FOUND.format(n=number), status_code=404, headers=SHELL_HEADERS)
    return _shell("caller.html")


@router.get("/c/{token}", response_model=None)
def case_page(token: str, services: ServicesDep) -> HTMLResponse:
    """办件进度: the case behind a receipt's QR code, for the citizen's phone (no login, no
    personal data: the token is the only key)."""
    try:
        snap = services.cases.by_token(token)
    except NotFound:
        return HTMLResponse(render_case_missing(), status_code=404, headers=SHELL_HEADERS)
    with services.ctx.db.read() as session:
        cfg = services.layout.current(session)
    return HTMLResponse(render_case(snap, cfg), headers=SHELL_HEADERS)
