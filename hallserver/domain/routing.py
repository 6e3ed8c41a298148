"""Call-time routing (late binding): which waiting ticket a window calls next.

The production policy is the oldest weighted head of line, a generalised cμ index:

    score = minutes in queue + bounded credits - secondary-skill penalty

Credits (绿色通道, due appointments, a priority-lane or express window, a transfer to
this window) may stack, but their total is capped at `RoutingConfig.max_credit_min`, so a
ticket that has waited that much (plus the secondary penalty) longer than another always
wins at any window serving both: nobody starves. Every choice carries a readable reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from hallserver.config.models import RoutingConfig, Window
from hallserver.domain.tickets import Ticket


@dataclass(frozen=True, slots=True)
class WindowView:
    """What routing needs to know of a window: its number and skills."""

    number: int
    primary: str
    secondary: tuple[str, ...] = ()
    priority_lane: bool = False
    express: bool = False

    @property
    def skills(self) -> tuple[str, ...]:
        """Primary category first, then the secondaries."""
        return (self.primary, *self.secondary)

    @classmethod
    def of(cls, window: Window) -> WindowView:
        """Routing view of a configured window."""
        return cls(window.number, window.primary, tuple(window.secondary),
                   window.priority_lane, window.express)


@dataclass(frozen=True, slots=True)
class Term:
    """One part of a ticket's score, e.g. (绿色通道, priority lane, +10)."""

    zh: str
    en: str
    minutes: float


@dataclass(frozen=True, slots=True)
class Choice:
    """The ticket a window should call, its score and why."""

    ticket: Ticket
    score: float
    terms: tuple[Term, ...]
    runner_up: tuple[str, float] | None = None  # (number, score) of the best other ticket
    policy: str = ""

    @property
    def reason(self) -> str:
        """Bilingual one-line explanation, shown to staff and managers."""
        zh = " ".join(f"{t.zh}{t.minutes:+.0f}分" for t in self.terms)
        en = ", ".join(f"{t.en} {t.minutes:+.1f} min" for t in self.terms)
        text = f"{self.ticket.number}: {zh} = {self.score:.1f}"
        if self.runner_up:
            text += f"，优于 {self.runner_up[0]}（{self.runner_up[1]:.1f}）"
        text += f" | {self.ticket.number}: {en} = {self.score:.1f}"
        if self.runner_up:
            text += f"; ahead of {self.runner_up[0]} ({self.runner_up[1]:.1f})"
        return text


Queues = Mapping[str, Sequence[Ticket]]
"""Waiting tickets per category, each sequence ordered by `queued_at` (oldest first)."""


class RoutingPolicy(Protocol):
    """A routing policy: choose the next ticket for a window, or None if none it may serve."""

    name: str

    def choose(self, window: WindowView, queues: Queues, now: datetime) -> Choice | None:
        """Pick the ticket the window should call now."""
        ...


def base_credit_terms(ticket: Ticket, now: datetime, cfg: RoutingConfig) -> list[Term]:
    """Window-independent credits of a ticket (priority lane, due appointment)."""
    terms = []
    if ticket.priority:
        terms.append(Term("绿色通道", "priority lane", cfg.priority_credit_min))
    if ticket.appointment_at is not None and (
        now >= ticket.appointment_at - timedelta(minutes=cfg.appointment_due_before_min)
    ):
        terms.append(Term("预约到时", "appointment due", cfg.appointment_credit_min))
    return terms


def cap_term(credit_terms: list[Term], cfg: RoutingConfig) -> list[Term]:
    """A negative term bringing stacked credits down to `max_credit_min`, if they exceed it."""
    total = sum(t.minutes for t in credit_terms)
    if total <= cfg.max_credit_min:
        return []
    return [Term("封顶", "credit cap", cfg.max_credit_min - total)]


def base_score(ticket: Ticket, now: datetime, cfg: RoutingConfig) -> float:
    """Age plus window-independent credits: the order a category's queue is called in.

    The same float as adding `base_credit_terms` and `cap_term` up, without building them."""
    total = 0.0
    if ticket.priority:
        total += cfg.priority_credit_min
    if ticket.appointment_at is not None and (
        now >= ticket.appointment_at - timedelta(minutes=cfg.appointment_due_before_min)
    ):
        total += cfg.appointment_credit_min
    if total > cfg.max_credit_min:
        total += cfg.max_credit_min - total
    return ticket.wait_minutes(now) + total


@dataclass
class WeightedHeadOfLine:
    """Production policy: highest score = age + bounded credits - secondary penalty."""

    config: RoutingConfig = field(default_factory=RoutingConfig)
    name: str = "weighted-hol"
    _fixed: tuple[RoutingConfig, dict[str, Term]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def terms(self, window: WindowView, ticket: Ticket, now: datetime) -> list[Term]:
        """Every part of the ticket's score at this window."""
        cfg = self.config
        fixed = self._fixed_terms()
        credits = []
        if ticket.priority:
            credits.append(fixed["priority"])
        if ticket.appointment_at is not None and (
            now >= ticket.appointment_at - timedelta(minutes=cfg.appointment_due_before_min)
        ):
            credits.append(fixed["appointment"])
        if window.priority_lane and ticket.priority:
            credits.append(fixed["lane"])
        if (window.express and ticket.expected_minutes is not None
                and ticket.expected_minutes <= cfg.express_max_minutes):
            credits.append(fixed["express"])
        if ticket.target_window == window.number:
            credits.append(fixed["transfer"])
        terms = [Term("等待", "waited", ticket.wait_minutes(now))]
        if credits:
            terms += credits
            terms += cap_term(credits, cfg)
        if ticket.category != window.primary:
            terms.append(fixed["secondary"])
        return terms

    def _fixed_terms(self) -> dict[str, Term]:
        """The terms that depend on the tuning only, built once per config (terms are
        immutable, so choices may share them)."""
        cached = self._fixed
        if cached is None or cached[0] is not self.config:
            cfg = self.config
            cached = (cfg, {
                "priority": Term("绿色通道", "priority lane", cfg.priority_credit_min),
                "appointment": Term("预约到时", "appointment due", cfg.appointment_credit_min),
                "lane": Term("绿色通道窗口", "priority-lane window",
                             cfg.priority_lane_window_credit_min),
                "express": Term("快办", "quick item at express window", cfg.express_credit_min),
                "transfer": Term("转入本窗口", "transferred to this window",
                                 cfg.priority_credit_min),
                "secondary": Term("兼办", "secondary skill", -cfg.secondary_penalty_min),
            })
            self._fixed = cached
        return cached[1]

    def score(self, window: WindowView, ticket: Ticket, now: datetime,
              wait: float | None = None) -> float:
        """The sum of `terms` (the same float, added in the same order) without building them:
        choosing scores every ticket it scans but explains only the winner."""
        cfg = self.config
        score = ticket.wait_minutes(now) if wait is None else wait
        total = 0.0
        if ticket.priority:
            score += cfg.priority_credit_min
            total += cfg.priority_credit_min
        if ticket.appointment_at is not None and (
            now >= ticket.appointment_at - timedelta(minutes=cfg.appointment_due_before_min)
        ):
            score += cfg.appointment_credit_min
            total += cfg.appointment_credit_min
        if window.priority_lane and ticket.priority:
            score += cfg.priority_lane_window_credit_min
            total += cfg.priority_lane_window_credit_min
        if (window.express and ticket.expected_minutes is not None
                and ticket.expected_minutes <= cfg.express_max_minutes):
            score += cfg.express_credit_min
            total += cfg.express_credit_min
        if ticket.target_window == window.number:
            score += cfg.priority_credit_min
            total += cfg.priority_credit_min
        if total > cfg.max_credit_min:
            score += cfg.max_credit_min - total
        if ticket.category != window.primary:
            score -= cfg.secondary_penalty_min
        return score

    def choose(self, window: WindowView, queues: Queues, now: datetime) -> Choice | None:
        """Scan each served queue oldest first, stopping once no later ticket can place.

        Only the winner's terms (the explanation) are built; the others are scored by
        `score`, which gives the same float as summing their terms. A ticket without any
        possible credit here scores its wait (less the penalty on a secondary skill), so in
        one queue such tickets score lower the younger they are: behind two of them, no
        further one can become the best or the runner-up, and it is skipped unscored."""
        cfg = self.config
        ceiling = cfg.max_credit_min
        express_max = cfg.express_max_minutes if window.express else None
        best: Ticket | None = None
        best_score = 0.0
        second: tuple[str, float] | None = None
        for category in window.skills:
            plain_seen = 0
            for ticket in queues.get(category, ()):
                if (not ticket.priority and ticket.appointment_at is None
                        and ticket.target_window is None and ticket.category == category
                        and (express_max is None or ticket.expected_minutes is None
                             or ticket.expected_minutes > express_max)):
                    if plain_seen == 2:
                        continue
                    plain_seen += 1
                wait = ticket.wait_minutes(now)
                if second is not None and wait + ceiling < second[1]:
                    break  # later tickets are younger still: none can beat the best two
                if ticket.target_window is not None and ticket.target_window != window.number:
                    continue
                score = self.score(window, ticket, now, wait)
                if best is None or score > best_score:
                    if best is not None:
                        second = (best.number, best_score)
                    best, best_score = ticket, score
                elif second is None or score > second[1]:
                    second = (ticket.number, score)
        if best is None:
            return None
        return Choice(best, best_score, tuple(self.terms(window, best, now)), second, self.name)

def call_order_key(ticket: Ticket, now: datetime,
                   cfg: RoutingConfig) -> tuple[float, datetime, int, str]:
    """Sort key of a category queue in call order: highest base score, then oldest, then
    lowest number (a strict order even for tickets issued in the same instant)."""
    return (-base_score(ticket, now, cfg), ticket.queued_at, len(ticket.number), ticket.number)


def call_order(queue: Sequence[Ticket], now: datetime, cfg: RoutingConfig) -> list[Ticket]:
    """A category's waiting tickets in the order its primary windows would call them."""
    return sorted(queue, key=lambda t: call_order_key(t, now, cfg))


def people_ahead(ticket: Ticket, queue: Sequence[Ticket], now: datetime,
                 cfg: RoutingConfig) -> int:
    """Tickets of the same queue that would be called before this one now."""
    own = call_order_key(ticket, now, cfg)
    return sum(1 for other in queue
               if not _same(other, ticket) and call_order_key(other, now, cfg) < own)


def _same(a: Ticket, b: Ticket) -> bool:
    return a is b or (a.id is not None and a.id == b.id)
