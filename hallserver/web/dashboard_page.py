"""The manager dashboard (/dashboard): live queues, windows, devices and alerts."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from hallserver.web.pages import SHELL_HEADERS, STATIC_DIR, MaybeUser, login_redirect

router = APIRouter(include_in_schema=False)

MANAGERS = frozenset({"manager", "admin"})

_FORBIDDEN = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问 / Forbidden</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/common.css"></head>
<body class="plain"><main class="notice"><h1>无权访问管理看板</h1>
<p>大厅管理看板仅限管理员和大厅负责人使用。</p>
<p lang="en">The hall dashboard is for managers and administrators only.</p>
<p><a href="/login?next=/dashboard">换个账号登录 / Log in as someone else</a></p>
</main></body></html>
"""


@router.get("/dashboard", response_model=None)
def dashboard_page(user: MaybeUser) -> Response:
    """The hall managers' live view (manager and admin roles)."""
    if user is None:
        return login_redirect("/dashboard")
    if user.role not in MANAGERS:
        return HTMLResponse(_FORBIDDEN, status_code=403, headers=SHELL_HEADERS)
    return FileResponse(STATIC_DIR / "dashboard.html", media_type="text/html; charset=utf-8",
                        headers=SHELL_HEADERS)
