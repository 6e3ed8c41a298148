"""好差评 and 差评整改 over HTTP: ratings and their review flags, rectification cases,
managers' alerts, staff photos (亮证) and receipt reprints at a window."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from hallserver.api.deps import ManagerUser, RowId, ServicesDep, StaffUser, WindowFilter
from hallserver.api.problems import problems
from hallserver.domain.errors import NotFound
from hallserver.services.alerts import AlertView
from hallserver.services.followups import FollowUpActionRequest, FollowUpView
from hallserver.services.ratings import RatingSummary, RatingView, ReviewView

router = APIRouter(tags=["ratings"])


class ResolveReview(BaseModel):
    """A manager's decision on a flagged rating pattern."""

    model_config = ConfigDict(extra="forbid")
    resolution: str = Field(min_length=1, max_length=500)
    exclude: bool = Field(default=False, description="take the rating out of the scores")


class ReceiptState(BaseModel):
    """Where a receipt reprint stands."""

    case_no: str
    receipt: str


@router.get("/api/ratings")
def ratings(services: ServicesDep, _user: ManagerUser, day_from: date | None = None,
            day_to: date | None = None, window: WindowFilter = None,
            staff_id: str | None = None) -> list[RatingView]:
    """Ratings by window and staff (never by ticket or citizen), newest first."""
    return services.ratings.ratings(day_from=day_from, day_to=day_to, window=window,
                                    staff_id=staff_id)


@router.get("/api/ratings/summary")
def rating_summary(services: ServicesDep, _user: ManagerUser, day_from: date,
                   day_to: date) -> RatingSummary:
    """Satisfaction rate, levels, defaults applied, refusals by code, open reviews."""
    return services.ratings.summary(day_from, day_to)


@router.get("/api/ratings/reviews")
def rating_reviews(services: ServicesDep, _user: ManagerUser,
                   open_only: bool = True) -> list[ReviewView]:
    """Suspicious ratings and staff patterns to review (fast, burst, uniform)."""
    return services.ratings.reviews(open_only=open_only)


@router.post("/api/ratings/reviews/{review_id}/resolve", responses=problems(404))
def resolve_review(review_id: RowId, body: ResolveReview, services: ServicesDep,
                   user: ManagerUser) -> ReviewView:
    """Decide on a flagged pattern (who and when are kept)."""
    return services.ratings.resolve_review(review_id, user.username, body.resolution,
                                           body.exclude)


@router.post("/api/ratings/apply-defaults")
def apply_defaults(services: ServicesDep, _user: ManagerUser) -> dict[str, int]:
    """Apply the provincial default level to unrated transactions now (also runs by itself)."""
    return {"applied": services.ratings.apply_defaults()}


@router.get("/api/followups")
def followups(services: ServicesDep, _user: ManagerUser, open_only: bool = False,
              overdue_only: bool = False,
              window: WindowFilter = None) -> list[FollowUpView]:
    """差评整改 cases, overdue first."""
    return services.followups.list(open_only=open_only, overdue_only=overdue_only,
                                   window=window)


@router.get("/api/followups/{case_no}", responses=problems(404))
def followup(case_no: str, services: ServicesDep, _user: ManagerUser) -> FollowUpView:
    """One rectification case with its audit trail."""
    return services.followups.get(case_no)


@router.post("/api/followups/{case_no}/actions", responses=problems(404, 409))
def followup_action(case_no: str, body: FollowUpActionRequest, services: ServicesDep,
                    user: ManagerUser) -> FollowUpView:
    """Record a callback (回访), rectification (整改), appeal (申诉) or its review (复核),
    or close the case with the citizen's answer."""
    return services.followups.record(case_no, body, user)


@router.get("/api/alerts")
def alerts(services: ServicesDep, _user: ManagerUser, open_only: bool = True,
           limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AlertView]:
    """Alerts for managers, newest first."""
    return services.alerts.list(open_only=open_only, limit=limit)


@router.post("/api/alerts/{alert_id}/ack", responses=problems(404))
def acknowledge_alert(alert_id: RowId, services: ServicesDep, user: ManagerUser) -> AlertView:
    """Mark an alert as seen."""
    return services.alerts.acknowledge(alert_id, user.username)


@router.post("/api/cases/{case_no}/print-receipt", responses=problems(404))
def print_receipt(case_no: str, services: ServicesDep, user: StaffUser) -> ReceiptState:
    """Print a case's acceptance receipt again at its window (补打, logged)."""
    return ReceiptState(case_no=case_no, receipt=services.cases.print_receipt(case_no, user))


@router.get("/api/staff/{staff_id}/photo",
            responses={200: {"content": {"image/jpeg": {}}}, **problems(404)})
def staff_photo(staff_id: str, services: ServicesDep) -> Response:
    """The photo of a member of staff (亮证: shown publicly at the window)."""
    with services.ctx.db.read() as session:
        cfg = services.ctx.layout.current(session)
    photo = services.windows.photos.get(cfg, staff_id)
    if photo is None:
        raise NotFound("没有该工作人员的照片", "no photo on file")
    return Response(photo.jpeg, media_type="image/jpeg",
                    headers={"Cache-Control": "public, max-age=300", "ETag": photo.digest})
