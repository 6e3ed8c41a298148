"""Scenario files (`hallserver/sim/scenarios/*.yaml`): the plan of a simulated hall day.

A scenario names a hall layout (categories, items, hours, routing tuning) and replaces its
windows by window groups, then describes the day's demand and the staff. The models are
the documentation; `load_scenario` reports every problem with file and line.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from hallserver.config.loader import (
    ConfigError,
    ConfigIssue,
    line_of,
    load_hall,
    load_yaml,
    validate_file,
)
from hallserver.config.models import (
    HHMM,
    ConfigModel,
    Frequency,
    HallConfig,
    Loc,
    format_loc,
    parse_hhmm,
)

SCENARIOS = Path(__file__).parent / "scenarios"


class WindowGroup(ConfigModel):
    """`count` identical windows, numbered on from the previous group."""

    count: int = Field(ge=1, le=200, description="how many windows of this kind")
    primary: str = Field(description="primary category (主办) code")
    secondary: list[str] = Field(default=[], description="secondary categories (兼办)")
    priority_lane: bool = Field(default=False, description="绿色通道 windows")
    express: bool = Field(default=False, description="快办 windows")
    flexible: bool = Field(
        default=False, description="tidal windows (潮汐窗口): the advisor may change their "
        "secondary skills")


class Absence(ConfigModel):
    """Planned absence of some windows (training, a meeting): nobody staffs them."""

    windows: list[int] = Field(min_length=1, description="window numbers (1-based)")
    start: HHMM
    end: HHMM

    _check_times = field_validator("start", "end", mode="before")(parse_hhmm)


class SkillShift(ConfigModel):
    """A tidal switch (潮汐切换): from `start` to `end` one window serves these skills instead
    of its own (e.g. window 24 takes 社保 first 09:00-12:00, then its own 户政). Without
    times it holds all day. Its staff keep their speed: a category other than the window's
    own primary is served at the secondary slowdown, whatever comes first."""

    window: int = Field(ge=1, description="window number (1-based)")
    primary: str = Field(description="category called first during the switch")
    secondary: list[str] = Field(default=[], description="then these, in order")
    start: HHMM | None = Field(default=None, description="from (all day if both are absent)")
    end: HHMM | None = Field(default=None, description="until")

    _check_times = field_validator("start", "end", mode="before")(parse_hhmm)

    @model_validator(mode="after")
    def _times(self) -> SkillShift:
        if (self.start is None) != (self.end is None):
            raise ValueError("a skill shift gives both start and end, or neither")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("a skill shift ends before it starts")
        if self.primary in self.secondary or len(set(self.secondary)) != len(self.secondary):
            raise ValueError("a secondary category repeats or is the primary")
        return self


class LunchShift(ConfigModel):
    """错峰午休 (staggered lunch, 午间不断档): these windows take their break from `start` to
    `end` instead of the hall's lunch break, and are staffed through the rest of the day from
    the first session's start to the last session's end (e.g. windows 1, 23 and 31 lunch
    12:30-14:00, so someone calls tickets taken at 12:00-12:30)."""

    windows: list[int] = Field(min_length=1, description="window numbers (1-based)")
    start: HHMM
    end: HHMM

    _check_times = field_validator("start", "end", mode="before")(parse_hhmm)

    @model_validator(mode="after")
    def _times(self) -> LunchShift:
        if self.end <= self.start:
            raise ValueError("a lunch break ends before it starts")
        return self


class ServiceModel(ConfigModel):
    """Service durations: per-item mean (the item's expected minutes) times staff factors."""

    distribution: Literal["lognormal", "exponential"] = Field(
        default="lognormal", description="shape of an item's service time around its mean")
    cv: float = Field(default=0.6, gt=0, le=3, description="coefficient of variation "
                      "(lognormal only)")
    staff_speed_sd: float = Field(
        default=0.12, ge=0, le=1, description="log-sd of the per-window staff speed factor")
    secondary_slowdown: float = Field(
        default=1.1, ge=1, le=3, description="service time factor on a secondary skill")


class Appointments(ConfigModel):
    """预约: booked slots; checked-in appointments get the age credit once due."""

    share: float = Field(default=0.0, ge=0, le=1, description="share of bookings among tickets")
    no_show: float = Field(default=0.1, ge=0, le=1, description="share of bookings not kept")
    slot_min: int = Field(default=30, ge=5, le=120, description="slot length")
    early_max_min: float = Field(default=15, ge=0, le=60, description="check-in up to this "
                                 "early (uniform)")
    late_max_min: float = Field(default=5, ge=0, le=60, description="... or this late")


class Patience(ConfigModel):
    """过号: a citizen waits this long on average before stepping out; called while away, the
    ticket is a no-show, and some come back within the grace period and rejoin."""

    mean_min: float = Field(default=90, gt=0, description="mean patience (lognormal)")
    cv: float = Field(default=0.5, gt=0, le=3, description="coefficient of variation")
    rejoin: float = Field(default=0.5, ge=0, le=1, description="share of no-shows who rejoin")
    recall_min: float = Field(default=1.5, ge=0, le=10, description="window time lost on a "
                              "no-show (call, recall, mark)")


class Away(ConfigModel):
    """Unplanned staff gaps (A/B角 hand-overs, errands) at random times."""

    per_window: float = Field(default=1.0, ge=0, le=10, description="mean gaps per window "
                              "per day (Poisson)")
    mean_min: float = Field(default=12, gt=0, le=240, description="mean gap length "
                            "(exponential)")


class Scenario(ConfigModel):
    """A simulated hall day: layout, demand, staff and disruptions."""

    schema_version: Literal[1] = Field(description="schema version of this file")
    name: str = Field(pattern=r"^[A-Za-z0-9-]{1,32}$", description="short id, e.g. S1")
    description: str = Field(min_length=1)
    hall: str = Field(description="hall.yaml whose categories, items, hours and routing apply, "
                      "relative to this file")
    tickets_per_day: float = Field(gt=0, le=20000, description="expected tickets (walk-ins "
                                   "plus bookings) of a base day")
    volume: float = Field(default=1.0, gt=0, le=5, description="demand multiplier (peak day)")
    arrival_weights: list[float] = Field(
        min_length=1, description="relative walk-in rate per half hour from opening to the "
        "last ticket (lunch half hours included)")
    door_burst: float = Field(default=0.0, ge=0, le=0.5, description="share of walk-ins "
                              "waiting at the door: they arrive before opening")
    category_mix: dict[str, float] = Field(description="share of tickets per category code")
    surge: dict[str, float] = Field(default={}, description="demand multiplier per category")
    item_weights: dict[Frequency, float] = Field(
        default={Frequency.HIGH: 5.0, Frequency.NORMAL: 2.0, Frequency.LOW: 0.5},
        description="relative frequency of an item by its volume class")
    priority_share: float = Field(default=0.05, ge=0, le=1, description="绿色通道 share")
    appointments: Appointments = Field(default_factory=Appointments)
    patience: Patience = Field(default_factory=Patience)
    away: Away = Field(default_factory=Away)
    service: ServiceModel = Field(default_factory=ServiceModel)
    absences: list[Absence] = Field(default=[])
    windows: list[WindowGroup] = Field(min_length=1)
    shifts: list[SkillShift] = Field(default=[], description="tidal switches of windows' "
                                     "skills for a period (at most one per window at a time)")
    lunch: list[LunchShift] = Field(default=[], description="windows that take their lunch "
                                    "break at another time (错峰午休; one entry per window)")

    @model_validator(mode="after")
    def _local_rules(self) -> Scenario:
        total = sum(g.count for g in self.windows)
        for a in self.absences:
            if a.end <= a.start:
                raise ValueError("an absence ends before it starts")
            if any(not 1 <= n <= total for n in a.windows):
                raise ValueError(f"absence names a window outside 1..{total}")
        spans: dict[int, list[tuple[time, time]]] = {}
        for sh in self.shifts:
            if not 1 <= sh.window <= total:
                raise ValueError(f"skill shift names a window outside 1..{total}")
            span = (sh.start or time.min, sh.end or time.max)
            if any(a < span[1] and span[0] < b for a, b in spans.get(sh.window, [])):
                raise ValueError(f"two skill shifts of window {sh.window} overlap")
            spans.setdefault(sh.window, []).append(span)
        seen: set[int] = set()
        for lunch in self.lunch:
            if any(not 1 <= n <= total for n in lunch.windows):
                raise ValueError(f"lunch shift names a window outside 1..{total}")
            if seen & set(lunch.windows):
                raise ValueError(f"window {min(seen & set(lunch.windows))} has two lunch breaks")
            seen.update(lunch.windows)
        return self

    def reference_issues(self, hall: HallConfig) -> list[tuple[Loc, str]]:
        """Category codes that the hall does not know, and categories no window serves."""
        cats = {c.code for c in hall.categories}
        issues: list[tuple[Loc, str]] = []
        for section, codes in (("category_mix", self.category_mix), ("surge", self.surge)):
            issues += [((section, c), f"unknown category {c!r}") for c in codes if c not in cats]
        served: set[str] = set()
        for i, g in enumerate(self.windows):
            for loc, c in ((("windows", i, "primary"), g.primary),
                           *((("windows", i, "secondary", j), s)
                             for j, s in enumerate(g.secondary))):
                if c not in cats:
                    issues.append((loc, f"unknown category {c!r}"))
            served.update((g.primary, *g.secondary))
        for i, sh in enumerate(self.shifts):
            for loc, c in ((("shifts", i, "primary"), sh.primary),
                           *((("shifts", i, "secondary", j), s)
                             for j, s in enumerate(sh.secondary))):
                if c not in cats:
                    issues.append((loc, f"unknown category {c!r}"))
        issues += [(("category_mix", c), f"no window serves category {c!r}")
                   for c, share in self.category_mix.items() if share > 0 and c not in served]
        return issues


def load_scenario(path: Path | str) -> tuple[Scenario, HallConfig]:
    """Load a scenario file (or a built-in name like `S1`) and its hall; ConfigError if bad."""
    path = Path(path)
    if not path.suffix and not path.exists():
        path = SCENARIOS / f"{path.name.lower()}.yaml"
    scenario = validate_file(path, Scenario)
    hall = load_hall((path.parent / scenario.hall).resolve())
    issues = scenario.reference_issues(hall)
    if issues:
        _data, lines = load_yaml(path)
        raise ConfigError([ConfigIssue(str(path), line_of(lines, loc), format_loc(loc), msg)
                           for loc, msg in issues])
    return scenario, hall


def builtin_scenarios() -> list[str]:
    """Names of the shipped scenarios, smoke first then S1..S8."""
    names = [p.stem.upper() if p.stem[1:].isdigit() else p.stem
             for p in SCENARIOS.glob("*.yaml")]
    return sorted(names, key=lambda n: (n[1:].isdigit(), n))
