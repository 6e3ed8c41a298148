"""API routes: tidal-window advisor (潮汐窗口) for the dashboard's what-if preview.

`POST /api/advisor/what-if` simulates today's layout as a day plan against the same plan with
skill changes of windows (the manager's, or proposed by the server when none are given): new
secondary skills (兼办), or a tidal switch (潮汐切换: `primary` names the category called first,
the window's own primary usually among the secondaries), all day or from `start` to `end`; on a
few seeded days with the production routing policy, and answers p50 / p95 wait and the share
called within 20 minutes of both with 95% confidence intervals. Managers and admins only.
The route is synchronous (FastAPI runs it in its thread pool); one what-if runs at a time
(409 while another does) and a request takes about 1-3 s of one core.
"""

from __future__ import annotations

import math
from datetime import time as dt_time

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hallserver.api.deps import ManagerUser, ServicesDep
from hallserver.domain.errors import InvalidRequest
from hallserver.sim.advisor import category_names
from hallserver.sim.stats import Interval
from hallserver.sim.whatif import METRIC_NAMES, Change, WhatIf, what_if

router = APIRouter(tags=["advisor"])


class SkillChange(BaseModel):
    """New skills of one window: secondaries (兼办) replacing its current ones, optionally a
    primary called first (a tidal switch), optionally only from `start` to `end`."""

    model_config = ConfigDict(extra="forbid")
    window: int = Field(ge=1, le=999, description="window number")
    secondary: list[str] = Field(max_length=6, description="category codes, in order")
    primary: str | None = Field(default=None, max_length=32,
                                description="category called first (default: the window's own)")
    start: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$", description="'HH:MM'")
    end: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$", description="'HH:MM'")


class WhatIfRequest(BaseModel):
    """Changes to preview; an empty list asks the server to propose some."""

    model_config = ConfigDict(extra="forbid")
    changes: list[SkillChange] = Field(default=[], max_length=24)
    seeds: int = Field(default=4, ge=2, le=8, description="simulated days per plan")


class Estimate(BaseModel):
    """A mean over the simulated days and its 95% confidence half-width."""

    mean: float | None
    ci95: float | None


class PlanMetrics(BaseModel):
    """Predicted waits of one plan (minutes) and share called within 20 minutes (%)."""

    p50: Estimate
    p95: Estimate
    within20: Estimate


class ChangeView(BaseModel):
    """One window's skills before and after (secondaries in `before` / `after`, as in the first
    version of this API; primaries beside them) and the period; `text` says it in words."""

    window: int
    before: list[str]
    after: list[str]
    before_primary: str
    primary: str
    start: str | None
    end: str | None
    text: dict[str, str]


class WhatIfResponse(BaseModel):
    """Current plan vs proposal on the same simulated days; difference = proposal - current."""

    proposed_by_server: bool
    changes: list[ChangeView]
    seeds: int
    tickets_per_day: float
    current: PlanMetrics
    proposal: PlanMetrics
    difference: PlanMetrics
    seconds: float
    note: dict[str, str]


def _est(i: Interval) -> Estimate:
    def num(x: float) -> float | None:
        return round(x, 2) if math.isfinite(x) else None
    return Estimate(mean=num(i.mean), ci95=num(i.half))


def _hhmm(t: dt_time | None) -> str | None:
    return None if t is None else t.strftime("%H:%M")


def _time(value: str | None, window: int) -> dt_time | None:
    if value is None:
        return None
    h, m = map(int, value.split(":"))
    if h > 23 or m > 59:
        raise InvalidRequest(f"{window} 号窗口的时间 {value} 无效",
                             f"window {window}: time {value} is not a valid HH:MM")
    return dt_time(h, m)


def _change_view(c: Change, before: tuple[str, tuple[str, ...]],
                 names: dict[str, tuple[str, str]]) -> ChangeView:
    own_primary, own_secondary = before
    zh, en = c.proposal(c.window, own_primary, own_secondary).text(names)
    return ChangeView(window=c.window, before=list(own_secondary), after=list(c.secondary),
                      before_primary=own_primary, primary=c.primary or own_primary,
                      start=_hhmm(c.start), end=_hhmm(c.end), text={"zh": zh, "en": en})


def _view(result: WhatIf, names: dict[str, tuple[str, str]]) -> WhatIfResponse:
    metrics = {
        "current": {m: _est(result.current.ci(m)) for m in METRIC_NAMES},
        "proposal": {m: _est(result.proposal.ci(m)) for m in METRIC_NAMES},
        "difference": {m: _est(result.difference(m)) for m in METRIC_NAMES},
    }
    if result.changes:
        note = {"zh": f"按今日布局模拟 {len(result.seeds)} 天（每天约 "
                      f"{result.tickets_per_day:.0f} 张号），同一批办事群众比较两种方案",
                "en": f"today's layout simulated on {len(result.seeds)} days (about "
                      f"{result.tickets_per_day:.0f} tickets each), both plans on the same "
                      "citizens"}
    else:
        note = {"zh": "在限定时间内没有找到能把 p95 等候缩短 0.5 分钟以上的窗口业务调整",
                "en": "no skill change found within the time budget cuts the p95 wait by "
                      "0.5 min or more"}
    return WhatIfResponse(
        proposed_by_server=result.searched,
        changes=[_change_view(c, result.before[c.window], names) for c in result.changes],
        seeds=len(result.seeds), tickets_per_day=round(result.tickets_per_day, 1),
        current=PlanMetrics(**metrics["current"]), proposal=PlanMetrics(**metrics["proposal"]),
        difference=PlanMetrics(**metrics["difference"]), seconds=round(result.seconds, 2),
        note=note)


@router.post("/api/advisor/what-if")
def advisor_what_if(body: WhatIfRequest, services: ServicesDep,
                    _user: ManagerUser) -> WhatIfResponse:
    """Predicted p50/p95 wait and share called within 20 min: today's plan vs the proposal."""
    with services.ctx.db.read() as session:
        cfg = services.layout.current(session)
    changes = [Change(c.window, tuple(c.secondary), c.primary, _time(c.start, c.window),
                      _time(c.end, c.window)) for c in body.changes]
    return _view(what_if(cfg, changes or None, seeds=body.seeds), category_names(cfg))
