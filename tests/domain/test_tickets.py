"""The ticket lifecycle: legal and illegal transitions, recall, rejoin, transfer, requeue."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from hallserver.domain.errors import DomainError, IllegalTransition
from hallserver.domain.tickets import (
    AT_WINDOW_STATES,
    FINAL_STATES,
    Outcome,
    Ticket,
    TicketState,
)

S = TicketState
GRACE = timedelta(minutes=30)
MIN = timedelta(minutes=1)


def _new(now: datetime) -> Ticket:
    issued = now - timedelta(minutes=20)
    return Ticket(number="A007", category="social", service_day=now.date(),
                  issued_at=issued, queued_at=issued, id=7)


def state_of(t: Ticket) -> TicketState:
    """The state read afresh (keeps type checkers from carrying narrowing across calls)."""
    return t.state


def ticket_in(state: TicketState, now: datetime) -> Ticket:
    """A ticket brought into `state` through legal transitions only."""
    t = _new(now)
    if state is S.WAITING:
        return t
    if state is S.CANCELLED:
        t.cancel(now)
        return t
    t.call(1, now)
    if state is S.CALLED:
        return t
    if state is S.NO_SHOW:
        t.no_show(now)
        return t
    t.start(now)
    if state is S.SERVING:
        return t
    t.complete(now)
    assert state is S.DONE
    return t


# action name -> (how to perform it at `now`, states that allow it, state afterwards)
Action = Callable[[Ticket, datetime], None]
ACTIONS: dict[str, tuple[Action, frozenset[TicketState], TicketState]] = {
    "call": (lambda t, now: t.call(2, now), frozenset({S.WAITING}), S.CALLED),
    "recall": (lambda t, now: t.recall(now), frozenset({S.CALLED}), S.CALLED),
    "start": (lambda t, now: t.start(now), frozenset({S.CALLED}), S.SERVING),
    "complete": (lambda t, now: t.complete(now, Outcome.ACCEPTED), frozenset({S.SERVING}),
                 S.DONE),
    "no_show": (lambda t, now: t.no_show(now), frozenset({S.CALLED}), S.NO_SHOW),
    "rejoin": (lambda t, now: t.rejoin(now, GRACE), frozenset({S.NO_SHOW}), S.WAITING),
    "requeue": (lambda t, now: t.requeue(), frozenset({S.CALLED}), S.WAITING),
    "transfer": (lambda t, now: t.transfer("medical"), frozenset({S.CALLED, S.SERVING}),
                 S.WAITING),
    "cancel": (lambda t, now: t.cancel(now), frozenset({S.WAITING, S.CALLED, S.NO_SHOW}),
               S.CANCELLED),
}

CASES = [(state, name) for state in TicketState for name in ACTIONS]
LEGAL_CASES = [(s, n) for s, n in CASES if s in ACTIONS[n][1]]
ILLEGAL_CASES = [(s, n) for s, n in CASES if s not in ACTIONS[n][1]]


def test_table_covers_every_state_and_action() -> None:
    assert len(LEGAL_CASES) + len(ILLEGAL_CASES) == len(TicketState) * len(ACTIONS)
    # final states admit nothing; every non-final state admits something
    for state in TicketState:
        allowed = [n for n, (_, states, _) in ACTIONS.items() if state in states]
        assert (not allowed) == (state in FINAL_STATES), state


@pytest.mark.parametrize(("state", "action"), LEGAL_CASES)
def test_legal_transition(state: TicketState, action: str, t0: datetime) -> None:
    t = ticket_in(state, t0 - 5 * MIN)
    perform, _, after = ACTIONS[action]
    perform(t, t0)
    assert t.state is after
    if after in AT_WINDOW_STATES:
        assert t.window is not None
    if after is S.WAITING:
        assert t.window is None
        assert t.called_at is None
        assert t.finished_at is None
    if after in FINAL_STATES or after is S.NO_SHOW:
        assert t.finished_at == t0


@pytest.mark.parametrize(("state", "action"), ILLEGAL_CASES)
def test_illegal_transition_raises_and_changes_nothing(
    state: TicketState, action: str, t0: datetime
) -> None:
    t = ticket_in(state, t0 - 5 * MIN)
    before = copy.copy(t)
    perform, _, _ = ACTIONS[action]
    with pytest.raises(IllegalTransition) as info:
        perform(t, t0)
    err = info.value
    assert isinstance(err, DomainError)
    assert err.state == state.value
    assert err.code == "illegal_transition"
    assert "A007" in err.message_zh
    assert "A007" in err.message_en
    assert err.as_dict()["code"] == "illegal_transition"
    assert t == before


def test_call_records_window_and_time(t0: datetime) -> None:
    t = _new(t0)
    t.call(3, t0)
    assert (t.state, t.window, t.called_at, t.recalls) == (S.CALLED, 3, t0, 0)


def test_recall_increments_and_keeps_the_first_call_time(t0: datetime) -> None:
    t = ticket_in(S.CALLED, t0)
    first = t.called_at
    for n in range(1, 4):
        t.recall(t0 + n * MIN)
        assert t.recalls == n
        assert t.called_at == first
        assert t.state is S.CALLED
        assert t.window == 1


def test_recalls_reset_when_called_again(t0: datetime) -> None:
    t = ticket_in(S.CALLED, t0)
    t.recall(t0)
    t.no_show(t0 + MIN)
    t.rejoin(t0 + 2 * MIN, GRACE)
    assert t.recalls == 0
    t.call(2, t0 + 3 * MIN)
    assert t.recalls == 0


@pytest.mark.parametrize("after", [MIN, GRACE / 2, GRACE])
def test_rejoin_within_grace_goes_to_the_back(after: timedelta, t0: datetime) -> None:
    t = ticket_in(S.NO_SHOW, t0)
    issued = t.issued_at
    t.rejoin(t0 + after, GRACE)
    assert t.state is S.WAITING
    assert t.queued_at == t0 + after  # the back of the queue: age counts from now
    assert t.issued_at == issued
    assert t.window is None
    assert t.wait_minutes(t0 + after) == 0


def test_rejoin_after_grace_raises(t0: datetime) -> None:
    t = ticket_in(S.NO_SHOW, t0)
    with pytest.raises(IllegalTransition) as info:
        t.rejoin(t0 + GRACE + timedelta(seconds=1), GRACE)
    assert "30" in info.value.state
    assert t.state is S.NO_SHOW


@pytest.mark.parametrize("state", [S.CALLED, S.SERVING])
def test_transfer_keeps_issue_time_and_clears_window(state: TicketState, t0: datetime) -> None:
    t = ticket_in(state, t0)
    if state is S.CALLED:
        t.recall(t0)
    t.transfer("housing")
    assert t.state is S.WAITING
    assert t.category == "housing"
    assert t.queued_at == t.issued_at  # 一票到底: the new queue counts from the issue time
    assert t.queued_at < t0
    assert t.window is None
    assert t.serving_at is None
    assert t.recalls == 0
    assert t.target_window is None


def test_transfer_after_rejoin_restores_issue_time(t0: datetime) -> None:
    t = ticket_in(S.NO_SHOW, t0)
    t.rejoin(t0 + MIN, GRACE)
    assert t.queued_at > t.issued_at
    t.call(1, t0 + 2 * MIN)
    t.transfer("medical")
    assert t.queued_at == t.issued_at


def test_transfer_to_a_window_reserves_it(t0: datetime) -> None:
    t = ticket_in(S.SERVING, t0)
    t.transfer("housing", target_window=3)
    assert t.target_window == 3
    with pytest.raises(IllegalTransition) as info:
        t.call(2, t0 + MIN)
    assert "3" in info.value.state
    assert t.state is S.WAITING
    assert t.window is None
    t.call(3, t0 + MIN)
    assert state_of(t) is S.CALLED
    assert t.window == 3


def test_requeue_keeps_place(t0: datetime) -> None:
    t = ticket_in(S.CALLED, t0)
    queued = t.queued_at
    t.requeue()
    assert t.state is S.WAITING
    assert t.queued_at == queued
    assert t.window is None
    assert t.called_at is None


@pytest.mark.parametrize("back", ["requeue", "transfer", "rejoin"])
def test_the_first_call_survives_going_back_to_a_queue(back: str, t0: datetime) -> None:
    """`called_at` is the current call; `first_called_at` the first one ever, which the
    "called within 20 minutes" numbers count to."""
    t = _new(t0)
    t.call(2, t0)
    assert t.first_called_at == t0
    if back == "requeue":
        t.requeue()
    elif back == "transfer":
        t.transfer("housing")
    else:
        t.no_show(t0 + MIN)
        t.rejoin(t0 + 2 * MIN, GRACE)
    assert t.called_at is None and t.first_called_at == t0
    t.call(4, t0 + 40 * MIN)
    assert t.called_at == t0 + 40 * MIN and t.first_called_at == t0


def test_complete_records_outcome(t0: datetime) -> None:
    t = ticket_in(S.SERVING, t0)
    t.complete(t0 + 4 * MIN, Outcome.RETURNED)
    assert t.outcome is Outcome.RETURNED
    assert t.finished_at == t0 + 4 * MIN
    t2 = ticket_in(S.SERVING, t0)
    t2.complete(t0)
    assert t2.outcome is Outcome.COMPLETED


def test_wait_minutes(t0: datetime) -> None:
    t = _new(t0)
    assert t.wait_minutes(t0) == pytest.approx(20.0)
    assert t.wait_minutes(t0 + timedelta(seconds=90)) == pytest.approx(21.5)
