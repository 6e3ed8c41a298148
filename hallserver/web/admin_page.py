"""Web page routes: administration (/admin, admin role only)."""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from hallserver.web.pages import SHELL_HEADERS, MaybeUser, _shell, login_redirect

router = APIRouter(include_in_schema=False)

FORBIDDEN = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问 / Forbidden</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/common.css"></head>
<body class="plain"><main class="notice"><h1>无权访问系统管理</h1>
<p>系统管理只对系统管理员（admin）开放。当前登录：{user}。</p>
<p lang="en">Administration is for the admin role only. Logged in as: {user}.</p>
<p><a href="/login?next=/admin">换一个账号登录 / log in as someone else</a></p>
</main></body></html>
"""


@router.get("/admin", response_model=None)
def admin_page(user: MaybeUser) -> Response:
    """Administration: hall layout, logins, devices, audit trail."""
    if user is None:
        return login_redirect("/admin")
    if user.role != "admin":
        return HTMLResponse(FORBIDDEN.format(user=html.escape(user.username)), status_code=403,
                            headers=SHELL_HEADERS)
    return _shell("admin.html")
