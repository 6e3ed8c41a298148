"""Dispatchers compared by the benchmark: the production policy (late binding through
`RoutingPolicy.choose`), department category queues, the pooled reference, and baselines
that bind each ticket to one window when it is printed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from hallserver.domain.routing import RoutingPolicy, WeightedHeadOfLine, WindowView, base_score
from hallserver.domain.tickets import Ticket
from hallserver.sim.engine import Dispatcher, HallState
from hallserver.sim.workload import Day


def _remove(queue: list[Ticket], ticket: Ticket) -> None:
    for i, t in enumerate(queue):
        if t is ticket:
            del queue[i]
            return
    raise ValueError(f"{ticket.number} is not waiting")


class LateBinding:
    """Category queues; a window that asks gets what `policy.choose` picks (production)."""

    def __init__(self, name: str, policy: RoutingPolicy, views: list[WindowView],
                 eligible: list[frozenset[str]], categories: tuple[str, ...],
                 slowdown: bool = True,
                 adapt: Callable[[WindowView], WindowView] | None = None) -> None:
        self.name = name
        self.adapt = adapt  # how a tidal switch's skills show in the views; None: ignored
        self.policy = policy
        self.views = views
        self.eligible = eligible
        self.slowdown = slowdown
        self.queues: dict[str, list[Ticket]] = {c: [] for c in categories}
        self.serving = {c: [w for w, v in enumerate(views) if c in v.skills] for c in categories}

    def add(self, ticket: Ticket, state: HallState) -> int | None:
        """Join the category queue; the longest-idle window serving it calls first."""
        self.queues[ticket.category].append(ticket)
        best: int | None = None
        since = 0.0
        for w in self.serving[ticket.category]:
            s = state.idle.get(w)
            if s is not None and (best is None or s < since):
                best, since = w, s
        return best

    def take(self, window: int, now: datetime) -> Ticket | None:
        """Ask the routing policy, exactly as `WindowService.call_next` does."""
        choice = self.policy.choose(self.views[window], self.queues, now)
        if choice is None:
            return None
        _remove(self.queues[choice.ticket.category], choice.ticket)
        return choice.ticket

    def waiting(self, category: str) -> list[Ticket]:
        """The category queue."""
        return self.queues[category]

    def oldest(self, category: str) -> Ticket | None:
        """Head of the category queue (queues are kept in queued order)."""
        q = self.queues[category]
        return q[0] if q else None

    def reskill(self, window: int, view: WindowView) -> None:
        """A tidal switch: the window's view (and who it may serve) changes from now on."""
        if self.adapt is None:
            return
        self.views[window] = self.adapt(view)
        self.eligible[window] = frozenset(view.skills)
        self.serving = {c: [w for w, v in enumerate(self.views) if c in v.skills]
                        for c in self.serving}


class Bound:
    """Each ticket is bound to one of its department's windows at print time."""

    def __init__(self, name: str, pick: str, day: Day, seed: int) -> None:
        self.name = name
        self.pick = pick
        self.views = [w.view for w in day.windows]
        self.eligible = [frozenset(v.skills) for v in self.views]
        self.slowdown = True
        self.routing = day.routing
        self.rng = random.Random(seed)  # noqa: S311 (simulation, not security)
        self.queues: list[list[Ticket]] = [[] for _ in self.views]
        self.rr = dict.fromkeys(day.categories, 0)
        self.dept = {c: [w for w, v in enumerate(self.views) if v.primary == c]
                     or [w for w, v in enumerate(self.views) if c in v.skills]
                     for c in day.categories}

    def add(self, ticket: Ticket, state: HallState) -> int | None:
        """Bind to a staffed department window (any of them before opening)."""
        dept = self.dept[ticket.category]
        cands = [w for w in dept if state.on_duty[w]] or dept
        if self.pick == "random":
            w = self.rng.choice(cands)
        elif self.pick == "round-robin":
            k = self.rr[ticket.category]
            self.rr[ticket.category] = k + 1
            w = cands[k % len(cands)]
        elif self.pick == "shortest":
            w = min(cands, key=lambda x: len(self.queues[x]) + (x not in state.idle))
        else:  # least expected work
            w = min(cands, key=lambda x: self._work(x, state))
        self.queues[w].append(ticket)
        return w if w in state.idle else None

    def _work(self, w: int, state: HallState) -> float:
        queued = sum(t.expected_minutes or 0.0 for t in self.queues[w])
        return queued + max(0.0, state.free_at[w] - state.now) * (w not in state.idle)

    def take(self, window: int, now: datetime) -> Ticket | None:
        """The window's own queue in call order (age plus production credits)."""
        q = self.queues[window]
        if not q:
            return None
        best = max(q, key=lambda t: base_score(t, now, self.routing))
        _remove(q, best)
        return best

    def waiting(self, category: str) -> list[Ticket]:
        """Waiting tickets of a category over all windows, oldest first."""
        out = [t for w in self.dept[category] for t in self.queues[w] if t.category == category]
        return sorted(out, key=lambda t: t.queued_at)

    def oldest(self, category: str) -> Ticket | None:
        """The earliest-queued waiting ticket of a category."""
        heads = [q[0] for w in self.dept[category] if (q := self.queues[w])]
        return min(heads, key=lambda t: t.queued_at) if heads else None

    def reskill(self, window: int, view: WindowView) -> None:
        """Tickets are bound to their department at print time: tidal switches do not apply."""


PolicyFactory = Callable[[Day, int], Dispatcher]


def production(day: Day, seed: int) -> Dispatcher:
    """The production policy on the configured skills."""
    views = [w.view for w in day.windows]
    return LateBinding("production", WeightedHeadOfLine(day.routing), views,
                       [frozenset(v.skills) for v in views], day.categories,
                       adapt=lambda v: v)


def department(day: Day, seed: int) -> Dispatcher:
    """Category queues served by their department's windows only (no shared skills)."""
    views = [replace(w.view, secondary=()) for w in day.windows]
    return LateBinding("dept-queues", WeightedHeadOfLine(day.routing), views,
                       [frozenset(w.view.skills) for w in day.windows], day.categories,
                       adapt=lambda v: replace(v, secondary=()))


def pooled(day: Day, seed: int) -> Dispatcher:
    """Reference: every window has every skill at full speed, no secondary penalty."""
    views = [replace(w.view, secondary=tuple(c for c in day.categories if c != w.view.primary))
             for w in day.windows]
    cfg = day.routing.model_copy(update={"secondary_penalty_min": 0.0})
    return LateBinding("pooled", WeightedHeadOfLine(cfg), views,
                       [frozenset(day.categories)] * len(views), day.categories, slowdown=False)


def _bound(pick: str) -> PolicyFactory:
    def make(day: Day, seed: int) -> Dispatcher:
        return Bound(f"bound-{pick}", pick, day, seed)
    make.__doc__ = f"Baseline: bind at print time ({pick})."
    return make


POLICIES: dict[str, PolicyFactory] = {
    "production": production,
    "pooled": pooled,
    "dept-queues": department,
    "bound-random": _bound("random"),
    "bound-round-robin": _bound("round-robin"),
    "bound-shortest": _bound("shortest"),
    "bound-least-work": _bound("least-work"),
}
