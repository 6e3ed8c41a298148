"""The reports page (/reports, 统计报表): managers and admins; the numbers come from
/api/reports, the charts are SVG drawn by the page's own script."""

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
<body class="plain"><main class="notice"><h1>无权查看统计报表</h1>
<p>统计报表仅限管理员和大厅负责人查看。</p>
<p lang="en">Reports are for managers and administrators only.</p>
<p><a href="/login?next=/reports">换个账号登录 / Log in as someone else</a></p>
</main></body></html>
"""


@router.get("/reports", response_model=None)
def reports_page(user: MaybeUser) -> Response:
    """Reports by day, week and month with charts and CSV/XLSX export."""
    if user is None:
        return login_redirect("/reports")
    if user.role not in MANAGERS:
        return HTMLResponse(_FORBIDDEN, status_code=403, headers=SHELL_HEADERS)
    return FileResponse(STATIC_DIR / "reports.html", media_type="text/html; charset=utf-8",
                        headers=SHELL_HEADERS)
