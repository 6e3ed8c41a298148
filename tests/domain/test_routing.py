"""Call-time routing: the oldest weighted head of line, its credits, reasons and early exit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import pytest
from domain_support import MONDAY, TicketFactory, at
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hallserver.config.models import RoutingConfig
from hallserver.domain.routing import (
    Choice,
    Queues,
    WeightedHeadOfLine,
    WindowView,
    base_credit_terms,
    base_score,
    call_order,
    cap_term,
    people_ahead,
)
from hallserver.domain.tickets import Ticket

NOW = at(MONDAY, "11:00")
CATEGORIES = ("social", "medical", "housing", "business")


def queues_of(tickets: Iterable[Ticket]) -> dict[str, list[Ticket]]:
    """Waiting tickets per category, oldest first (the contract of `Queues`)."""
    out: dict[str, list[Ticket]] = {}
    for t in tickets:
        out.setdefault(t.category, []).append(t)
    for q in out.values():
        q.sort(key=lambda t: t.queued_at)
    return out


def eligible(window: WindowView, queues: Queues) -> list[Ticket]:
    """Every ticket the window may call, in the policy's scan order."""
    return [t for c in window.skills for t in queues.get(c, ())
            if t.target_window is None or t.target_window == window.number]


def score_at(policy: WeightedHeadOfLine, window: WindowView, t: Ticket, now: datetime) -> float:
    return sum(term.minutes for term in policy.terms(window, t, now))


def brute_force(policy: WeightedHeadOfLine, window: WindowView, queues: Queues,
                now: datetime) -> tuple[Ticket, float, float | None] | None:
    """(best ticket, its score, second-best score) by scoring every eligible ticket."""
    scored = [(score_at(policy, window, t, now), t) for t in eligible(window, queues)]
    if not scored:
        return None
    best_score = max(s for s, _ in scored)
    best = next(t for s, t in scored if s == best_score)  # ties: first in scan order
    others = [s for s, t in scored if t is not best]
    return best, best_score, (max(others) if others else None)


@pytest.fixture
def policy(cfg: RoutingConfig) -> WeightedHeadOfLine:
    return WeightedHeadOfLine(cfg)


@pytest.fixture
def tk() -> TicketFactory:
    return TicketFactory(NOW)


def choose(policy: WeightedHeadOfLine, window: WindowView, tickets: Sequence[Ticket],
           now: datetime = NOW) -> Choice:
    choice = policy.choose(window, queues_of(tickets), now)
    assert choice is not None
    return choice


# ---------------------------------------------------------------- fixture sanity

def test_windows_form_a_chain(views: dict[int, WindowView]) -> None:
    # each of windows 1-3 has the next one's primary as a secondary skill
    for n in (1, 2, 3):
        assert views[n + 1].primary in views[n].secondary
    assert views[4].priority_lane
    assert views[5].express
    assert not views[1].priority_lane
    assert not views[1].express


# ---------------------------------------------------------------- basic ordering

def test_oldest_head_of_line_wins_among_served(policy: WeightedHeadOfLine,
                                               views: dict[int, WindowView],
                                               tk: TicketFactory, cfg: RoutingConfig) -> None:
    w1 = views[1]  # social (primary), medical (secondary)
    assert "housing" not in w1.skills
    social = [tk("social", 10), tk("social", 5)]
    medical = [tk("medical", 10 + cfg.secondary_penalty_min + 20), tk("medical", 2)]
    housing = [tk("housing", 500)]  # oldest in the hall, but window 1 does not serve it
    choice = choose(policy, w1, social + medical + housing)
    assert choice.ticket is medical[0]
    assert choice.policy == policy.name
    assert choice.score == pytest.approx(medical[0].wait_minutes(NOW) - cfg.secondary_penalty_min)


def test_within_a_queue_the_oldest_wins(policy: WeightedHeadOfLine,
                                        views: dict[int, WindowView], tk: TicketFactory) -> None:
    tickets = [tk("social", age) for age in (3, 17, 9, 1)]
    assert choose(policy, views[1], tickets).ticket is tickets[1]


@pytest.mark.parametrize(("extra", "primary_wins"), [(-1, True), (0, True), (1, False)])
def test_primary_preferred_within_secondary_penalty(
    policy: WeightedHeadOfLine, views: dict[int, WindowView], tk: TicketFactory,
    cfg: RoutingConfig, extra: float, primary_wins: bool,
) -> None:
    primary = tk("social", 20)
    secondary = tk("medical", 20 + cfg.secondary_penalty_min + extra)
    choice = choose(policy, views[1], [primary, secondary])
    assert (choice.ticket is primary) is primary_wins
    # the same pair at a window whose primary is medical: the medical ticket always wins
    assert choose(policy, views[2], [secondary]).ticket is secondary


@pytest.mark.parametrize(("extra", "priority_wins"), [(-1, False), (1, True)])
def test_priority_credit(policy: WeightedHeadOfLine, views: dict[int, WindowView],
                         tk: TicketFactory, cfg: RoutingConfig, extra: float,
                         priority_wins: bool) -> None:
    plain = tk("social", 30)
    prio = tk("social", 30 - cfg.priority_credit_min + extra, priority=True)
    choice = choose(policy, views[1], [plain, prio])
    assert (choice.ticket is prio) is priority_wins
    terms = {t.en: t.minutes for t in policy.terms(views[1], prio, NOW)}
    assert terms["priority lane"] == cfg.priority_credit_min


@pytest.mark.parametrize(("slot_in", "due"), [
    (-30.0, True),  # the slot has passed
    (0.0, True),
    (4.0, True),  # within appointment_due_before_min (5)
    (5.0, True),
    (6.0, False),
    (60.0, False),
])
def test_appointment_credit_only_once_due(policy: WeightedHeadOfLine,
                                          views: dict[int, WindowView], tk: TicketFactory,
                                          cfg: RoutingConfig, slot_in: float, due: bool) -> None:
    assert due is (slot_in <= cfg.appointment_due_before_min)
    plain = tk("social", 20)
    appt = tk("social", 20 - cfg.appointment_credit_min + 1,
              appointment_at=NOW + timedelta(minutes=slot_in))
    choice = choose(policy, views[1], [plain, appt])
    assert (choice.ticket is appt) is due
    names = [t.en for t in policy.terms(views[1], appt, NOW)]
    assert ("appointment due" in names) is due


def test_priority_lane_window_gives_extra_credit(policy: WeightedHeadOfLine,
                                                 views: dict[int, WindowView],
                                                 tk: TicketFactory, cfg: RoutingConfig) -> None:
    lane, plain_window = views[4], views[3]  # both serve business: 4 as primary, 3 secondary
    assert "business" in plain_window.skills
    gap = cfg.priority_credit_min + cfg.priority_lane_window_credit_min
    old = tk("business", 40)
    prio = tk("business", 40 - gap + 1, priority=True)
    assert choose(policy, lane, [old, prio]).ticket is prio
    assert choose(policy, plain_window, [old, prio]).ticket is old
    # the lane credit goes to priority tickets only
    names = [t.en for t in policy.terms(lane, old, NOW)]
    assert "priority-lane window" not in names


@pytest.mark.parametrize(("minutes", "quick"), [(1.0, True), (10.0, True), (10.5, False),
                                                (None, False)])
def test_express_window_credit_only_for_quick_items(
    policy: WeightedHeadOfLine, views: dict[int, WindowView], tk: TicketFactory,
    cfg: RoutingConfig, minutes: float | None, quick: bool,
) -> None:
    assert quick is (minutes is not None and minutes <= cfg.express_max_minutes)
    express, plain_window = views[5], views[1]  # both have social as primary
    slow = tk("social", 30, expected_minutes=60.0)
    item = tk("social", 30 - cfg.express_credit_min + 1, expected_minutes=minutes)
    assert (choose(policy, express, [slow, item]).ticket is item) is quick
    assert choose(policy, plain_window, [slow, item]).ticket is slow


def test_transfer_credit_only_at_the_target(policy: WeightedHeadOfLine,
                                            views: dict[int, WindowView], tk: TicketFactory,
                                            cfg: RoutingConfig) -> None:
    old = tk("social", 30)
    moved = tk("social", 30 - cfg.priority_credit_min + 1, target_window=5)
    assert choose(policy, views[5], [old, moved]).ticket is moved
    assert "transferred to this window" in [t.en for t in policy.terms(views[5], moved, NOW)]


# ---------------------------------------------------------------- reservations, nothing to do

def test_tickets_reserved_for_another_window_are_skipped(policy: WeightedHeadOfLine,
                                                         views: dict[int, WindowView],
                                                         tk: TicketFactory) -> None:
    reserved = tk("social", 120, target_window=4)
    young = tk("social", 1)
    assert choose(policy, views[1], [reserved, young]).ticket is young
    assert choose(policy, views[4], [reserved, young]).ticket is reserved
    # reserved alone: window 1 has nothing it may call
    assert policy.choose(views[1], queues_of([reserved]), NOW) is None


def test_window_serving_nothing_waiting_gets_none(policy: WeightedHeadOfLine,
                                                  views: dict[int, WindowView],
                                                  tk: TicketFactory) -> None:
    w1 = views[1]
    others = [tk(c, 60) for c in CATEGORIES if c not in w1.skills]
    assert others
    assert policy.choose(w1, queues_of(others), NOW) is None
    assert policy.choose(w1, {}, NOW) is None
    assert policy.choose(w1, {"social": [], "medical": []}, NOW) is None


# ---------------------------------------------------------------- reasons

def test_reason_mentions_number_and_both_languages(policy: WeightedHeadOfLine,
                                                   views: dict[int, WindowView],
                                                   tk: TicketFactory) -> None:
    winner = tk("medical", 50, priority=True)
    other = tk("social", 20)
    choice = choose(policy, views[1], [winner, other])
    assert choice.ticket is winner
    reason = choice.reason
    assert reason.startswith(f"{winner.number}: ")
    zh, en = reason.split(" | ")
    for part in (zh, en):
        assert other.number in part  # the runner-up is named in both languages
    for word in ("等待", "绿色通道", "兼办", "优于"):
        assert word in zh
    for word in ("waited", "priority lane", "secondary skill", "ahead of"):
        assert word in en
    assert f"{choice.score:.1f}" in zh
    assert f"{choice.score:.1f}" in en


def test_terms_sum_to_score(policy: WeightedHeadOfLine, views: dict[int, WindowView],
                            tk: TicketFactory) -> None:
    t = tk("social", 25, priority=True, appointment_at=NOW, expected_minutes=3.0)
    choice = choose(policy, views[4], [t])
    assert choice.score == pytest.approx(sum(term.minutes for term in choice.terms))
    assert choice.runner_up is None
    assert "优于" not in choice.reason


# ---------------------------------------------------------------- runner-up

def test_runner_up_is_second_best_by_brute_force(policy: WeightedHeadOfLine,
                                                 views: dict[int, WindowView],
                                                 tk: TicketFactory) -> None:
    tickets = [tk("social", 40), tk("medical", 44), tk("social", 38, priority=True),
               tk("medical", 10), tk("social", 2)]
    w = views[1]
    queues = queues_of(tickets)
    choice = policy.choose(w, queues, NOW)
    expected = brute_force(policy, w, queues, NOW)
    assert choice is not None
    assert expected is not None
    assert choice.ticket is expected[0]
    assert choice.runner_up is not None
    assert choice.runner_up[1] == pytest.approx(expected[2])


def test_runner_up_found_when_the_best_is_far_ahead(policy: WeightedHeadOfLine,
                                                    views: dict[int, WindowView],
                                                    tk: TicketFactory) -> None:
    old, young = tk("social", 100), tk("social", 1)
    choice = choose(policy, views[1], [old, young])
    assert choice.ticket is old
    assert choice.runner_up is not None
    assert choice.runner_up[0] == young.number
    assert choice.runner_up[1] == pytest.approx(young.wait_minutes(NOW))


# ---------------------------------------------------------------- bounded credit (no starvation)

def test_ticket_that_waited_max_credit_longer_always_wins(policy: WeightedHeadOfLine,
                                                          views: dict[int, WindowView],
                                                          tk: TicketFactory,
                                                          cfg: RoutingConfig) -> None:
    lane = views[4]
    young = tk("business", 5, priority=True, appointment_at=NOW)
    old = tk("business", 5 + cfg.max_credit_min + 1)
    assert choose(policy, lane, [old, young]).ticket is old


def test_stacked_credits_are_capped_and_still_found(policy: WeightedHeadOfLine,
                                                   views: dict[int, WindowView],
                                                   tk: TicketFactory,
                                                   cfg: RoutingConfig) -> None:
    lane = views[4]
    stacked = tk("business", 12, priority=True, appointment_at=NOW, target_window=4)
    capped = score_at(policy, lane, stacked, NOW)
    assert capped == pytest.approx(12 + cfg.max_credit_min)  # four credits, one cap
    # an older ticket that still scores below the capped one: the scan must not stop early
    old = tk("business", 12 + cfg.max_credit_min - 1)
    choice = policy.choose(lane, queues_of([old, stacked]), NOW)
    assert choice is not None
    assert choice.ticket is stacked
    assert "封顶" in choice.reason and "credit cap" in choice.reason
    # one that waited longer than the cap allows wins despite all the credits
    older = tk("business", 12 + cfg.max_credit_min + 1)
    assert policy.choose(lane, queues_of([older, stacked]), NOW).ticket is older


# ---------------------------------------------------------------- early exit == brute force

WINDOW_NUMBERS = st.integers(1, 2)  # few numbers: transfers often target the window


def _window(number: int, primary: str, secondary: list[str], lane: bool,
            express: bool) -> WindowView:
    return WindowView(number, primary, tuple(c for c in secondary if c != primary),
                      priority_lane=lane, express=express)


windows = st.builds(_window, WINDOW_NUMBERS, st.sampled_from(CATEGORIES),
                    st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=3),
                    st.booleans(), st.booleans())

# credits of the same order as the waits, so early exits and near-ties are common
_credit = st.one_of(st.sampled_from([0.0, 5.0, 10.0, 20.0]), st.integers(0, 60).map(float))
routing_configs = st.builds(
    RoutingConfig,
    priority_credit_min=_credit,
    priority_lane_window_credit_min=_credit,
    appointment_credit_min=_credit,
    appointment_due_before_min=_credit,
    secondary_penalty_min=_credit,
    express_credit_min=_credit,
    express_max_minutes=st.integers(1, 60).map(float),
)


_TICKET_FIELDS = st.tuples(
    st.one_of(st.integers(0, 90).map(float), st.floats(0, 240, allow_nan=False)),  # age
    st.sampled_from(CATEGORIES),
    st.booleans(),  # priority
    st.none() | st.integers(-60, 90),  # appointment slot, minutes from now
    st.none() | st.integers(1, 60).map(float),  # expected minutes
    st.none() | WINDOW_NUMBERS,  # transferred to a window
)


def _tickets(rows: list[tuple[float, str, bool, int | None, float | None, int | None]],
             stacking: bool) -> list[Ticket]:
    out = []
    for i, (age, category, priority, slot_in, expected, target) in enumerate(rows):
        queued = NOW - timedelta(minutes=age)
        appointment = None
        if slot_in is not None and (stacking or not priority):
            appointment = NOW + timedelta(minutes=slot_in)
        out.append(Ticket(number=f"T{i + 1:03d}", category=category, service_day=MONDAY,
                          issued_at=queued, queued_at=queued, priority=priority,
                          appointment_at=appointment, expected_minutes=expected,
                          target_window=target))
    return out


def ticket_sets(*, stacking: bool = True) -> st.SearchStrategy[list[Ticket]]:
    """Random waiting tickets; without `stacking`, none is both priority and appointment."""
    return st.lists(_TICKET_FIELDS, max_size=20).map(lambda rows: _tickets(rows, stacking))


def _check_choice(cfg: RoutingConfig, window: WindowView, tickets: list[Ticket]) -> None:
    policy = WeightedHeadOfLine(cfg)
    queues = queues_of(tickets)
    choice = policy.choose(window, queues, NOW)
    expected = brute_force(policy, window, queues, NOW)
    if expected is None:
        assert choice is None
        return
    assert choice is not None
    assert choice.score == pytest.approx(expected[1])
    assert choice.ticket is expected[0]
    assert choice.ticket.target_window in (None, window.number)
    assert choice.ticket.category in window.skills


PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cfg=routing_configs, window=windows, tickets=ticket_sets(stacking=False))
@example(RoutingConfig(), WindowView(4, "business", (), priority_lane=True), [
    # the early exit must allow for the transfer credit on top of max_credit_min
    Ticket("D001", "business", MONDAY, NOW - timedelta(minutes=50),
           NOW - timedelta(minutes=50)),
    Ticket("D002", "business", MONDAY, NOW - timedelta(minutes=22),
           NOW - timedelta(minutes=22), priority=True, target_window=4),
])
def test_early_exit_matches_brute_force(cfg: RoutingConfig, window: WindowView,
                                        tickets: list[Ticket]) -> None:
    _check_choice(cfg, window, tickets)


@st.composite
def near_the_ceiling(draw: st.DrawFn) -> tuple[RoutingConfig, WindowView, list[Ticket]]:
    """An old head of line and younger tickets whose credits may just make up the gap.

    The largest credit a ticket can get without stacking priority and appointment is
    priority + lane window + express + transfer; younger tickets sit around that distance.
    """
    cfg = draw(routing_configs)
    window = draw(windows)
    category = draw(st.sampled_from(window.skills))
    old_age = draw(st.integers(60, 240))
    reach = int(2 * cfg.priority_credit_min + cfg.priority_lane_window_credit_min
                + cfg.express_credit_min)
    tickets = [Ticket("H001", category, MONDAY, NOW - timedelta(minutes=old_age),
                      NOW - timedelta(minutes=old_age))]
    for i in range(draw(st.integers(1, 4))):
        age = max(0, old_age - draw(st.integers(0, reach + 5)))
        queued = NOW - timedelta(minutes=age)
        tickets.append(Ticket(
            f"Y{i + 1:03d}", category, MONDAY, queued, queued, priority=draw(st.booleans()),
            expected_minutes=draw(st.sampled_from([None, 1.0])),
            target_window=draw(st.sampled_from([None, window.number])),
        ))
    return cfg, window, tickets


@PROPERTY
@given(near_the_ceiling())
def test_early_exit_matches_brute_force_near_the_ceiling(
    case: tuple[RoutingConfig, WindowView, list[Ticket]]
) -> None:
    _check_choice(*case)


def _stacked_counterexample() -> tuple[RoutingConfig, WindowView, list[Ticket]]:
    old = NOW - timedelta(minutes=50)
    young = NOW - timedelta(minutes=12)
    return (RoutingConfig(), WindowView(4, "business", (), priority_lane=True), [
        Ticket("D001", "business", MONDAY, old, old),
        Ticket("D002", "business", MONDAY, young, young, priority=True, appointment_at=NOW,
               target_window=4),
    ])


@PROPERTY
@given(cfg=routing_configs, window=windows, tickets=ticket_sets(stacking=True))
@example(*_stacked_counterexample())
def test_early_exit_matches_brute_force_with_stacked_credits(
    cfg: RoutingConfig, window: WindowView, tickets: list[Ticket]
) -> None:
    _check_choice(cfg, window, tickets)


@PROPERTY
@given(cfg=routing_configs, window=windows, tickets=ticket_sets(stacking=False))
@example(RoutingConfig(), WindowView(1, "social"), [
    Ticket("A001", "social", MONDAY, NOW - timedelta(minutes=100),
           NOW - timedelta(minutes=100)),
    Ticket("A002", "social", MONDAY, NOW - timedelta(minutes=1), NOW - timedelta(minutes=1)),
])
def test_runner_up_matches_brute_force(cfg: RoutingConfig, window: WindowView,
                                       tickets: list[Ticket]) -> None:
    policy = WeightedHeadOfLine(cfg)
    queues = queues_of(tickets)
    choice = policy.choose(window, queues, NOW)
    expected = brute_force(policy, window, queues, NOW)
    if expected is None:
        return
    assert choice is not None
    if expected[2] is None:
        assert choice.runner_up is None
    else:
        assert choice.runner_up is not None
        assert choice.runner_up[1] == pytest.approx(expected[2])



# ---------------------------------------------------------------- fast scoring == terms

def full_path_choose(policy: WeightedHeadOfLine, window: WindowView, queues: Queues,
                     now: datetime) -> tuple[Ticket, float, tuple[str, float] | None] | None:
    """The choice as it was made before scoring skipped the terms: every scanned ticket's
    terms built and summed, same scan order and early exit."""
    ceiling = policy.config.max_credit_min
    best: tuple[float, Ticket] | None = None
    second: tuple[str, float] | None = None
    for category in window.skills:
        for ticket in queues.get(category, ()):
            if second is not None and ticket.wait_minutes(now) + ceiling < second[1]:
                break
            if ticket.target_window is not None and ticket.target_window != window.number:
                continue
            score = sum(t.minutes for t in policy.terms(window, ticket, now))
            if best is None or score > best[0]:
                if best is not None:
                    second = (best[1].number, best[0])
                best = (score, ticket)
            elif second is None or score > second[1]:
                second = (ticket.number, score)
    return None if best is None else (best[1], best[0], second)


@PROPERTY
@given(cfg=routing_configs, window=windows, tickets=ticket_sets(stacking=True))
@example(*_stacked_counterexample())
def test_fast_scoring_makes_the_same_choice_as_summing_terms(
    cfg: RoutingConfig, window: WindowView, tickets: list[Ticket]
) -> None:
    policy = WeightedHeadOfLine(cfg)
    queues = queues_of(tickets)
    for t in tickets:  # the same float, not just close
        assert policy.score(window, t, NOW) == score_at(policy, window, t, NOW)
        credits = base_credit_terms(t, NOW, cfg)
        assert base_score(t, NOW, cfg) == t.wait_minutes(NOW) + sum(
            c.minutes for c in [*credits, *cap_term(credits, cfg)])
    choice = policy.choose(window, queues, NOW)
    expected = full_path_choose(policy, window, queues, NOW)
    if expected is None:
        assert choice is None
        return
    assert choice is not None
    assert (choice.ticket, choice.score, choice.runner_up) == expected
    assert choice.score == sum(t.minutes for t in choice.terms)


# ---------------------------------------------------------------- people ahead

def test_people_ahead_counts_in_call_order(cfg: RoutingConfig, tk: TicketFactory) -> None:
    queue = [tk("social", 30), tk("social", 20), tk("social", 12, priority=True),
             tk("social", 5), tk("social", 0)]
    queue.sort(key=lambda t: t.queued_at)
    order = sorted(queue, key=lambda t: (-base_score(t, NOW, cfg), t.queued_at))
    for t in queue:
        assert people_ahead(t, queue, NOW, cfg) == order.index(t)
    # the priority ticket (12 min + 10 credit = 22) is ahead of the 20-minute one
    prio = queue[2]
    assert prio.priority
    assert people_ahead(prio, queue, NOW, cfg) == 1


def test_people_ahead_of_a_new_ticket(cfg: RoutingConfig, tk: TicketFactory) -> None:
    queue = [tk("social", age) for age in (40, 25, 3)]
    new = tk("social", 0)
    assert people_ahead(new, [*queue, new], NOW, cfg) == len(queue)
    new_prio = tk("social", 0, priority=True)
    # only tickets older than the priority credit stay ahead of a green-channel ticket
    expected = sum(1 for t in queue if t.wait_minutes(NOW) >= cfg.priority_credit_min)
    assert people_ahead(new_prio, [*queue, new_prio], NOW, cfg) == expected


@settings(max_examples=60, deadline=None)
@given(tickets=ticket_sets(), cfg=routing_configs)
def test_people_ahead_is_a_ranking(tickets: list[Ticket], cfg: RoutingConfig) -> None:
    # with distinct queue times, people_ahead over a queue is a permutation of 0..n-1 and
    # agrees with the call order the kiosk explains
    seen: dict[datetime, Ticket] = {}
    for t in tickets:
        seen.setdefault(t.queued_at, t)
    queue = sorted(seen.values(), key=lambda t: t.queued_at)
    ranks = [people_ahead(t, queue, NOW, cfg) for t in queue]
    assert sorted(ranks) == list(range(len(queue)))
    order = call_order(queue, NOW, cfg)
    assert [order.index(t) for t in queue] == ranks


def test_people_ahead_with_equal_issue_times(cfg: RoutingConfig) -> None:
    # two kiosks issue in the same clock tick (or the store keeps whole seconds)
    a = Ticket("A001", "social", MONDAY, NOW, NOW, id=1)
    b = Ticket("A002", "social", MONDAY, NOW, NOW, id=2)
    queue = [a, b]
    assert people_ahead(a, queue, NOW, cfg) + people_ahead(b, queue, NOW, cfg) == 1
