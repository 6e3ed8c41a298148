"""The manager dashboard (/dashboard): live queues, windows, devices and alerts."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from hallserver.api.deps import OptionalUser
from hallserver.web.pages import MANAGERS, Refusal, role_page

router = APIRouter(include_in_schema=False)

_REFUSAL = Refusal(heading="无权访问管理看板",
                   zh="大厅管理看板仅限管理员和大厅负责人使用。",
                   en="The hall dashboard is for managers and administrators only.")


@router.get("/dashboard", response_model=None)
def dashboard_page(user: OptionalUser) -> Response:
    """The hall managers' live view (manager and admin roles)."""
    return role_page(user, "/dashboard", "dashboard.html", MANAGERS, _REFUSAL)
