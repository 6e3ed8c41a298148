"""Web page routes: administration (/admin, admin role only)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from hallserver.api.deps import OptionalUser
from hallserver.web.pages import ADMINS, Refusal, role_page

router = APIRouter(include_in_schema=False)

_REFUSAL = Refusal(heading="无权访问系统管理",
                   zh="系统管理只对系统管理员（admin）开放。当前登录：{user}。",
                   en="Administration is for the admin role only. Logged in as: {user}.")


@router.get("/admin", response_model=None)
def admin_page(user: OptionalUser) -> Response:
    """Administration: hall layout, logins, devices, audit trail."""
    return role_page(user, "/admin", "admin.html", ADMINS, _REFUSAL)
