"""The reports page (/reports, 统计报表): managers and admins; the numbers come from
/api/reports, the charts are SVG drawn by the page's own script."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from hallserver.api.deps import OptionalUser
from hallserver.web.pages import MANAGERS, Refusal, role_page

router = APIRouter(include_in_schema=False)

_REFUSAL = Refusal(heading="无权查看统计报表",
                   zh="统计报表仅限管理员和大厅负责人查看。",
                   en="Reports are for managers and administrators only.")


@router.get("/reports", response_model=None)
def reports_page(user: OptionalUser) -> Response:
    """Reports by day, week and month with charts and CSV/XLSX export."""
    return role_page(user, "/reports", "reports.html", MANAGERS, _REFUSAL)
