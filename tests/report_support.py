"""A simulated hall day for the report tests: tickets issued, staff signed in, calls,
starts, completions, no-shows, cancellations, ratings (some bad) and a rectification case,
all through the real services on a fake clock."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from support import SHANGHAI, FakeClock

from hallserver.config.models import StaffRole
from hallserver.domain.ratings import FollowUpAction
from hallserver.domain.tickets import Outcome
from hallserver.services import Services
from hallserver.services.followups import FollowUpActionRequest
from hallserver.services.views import CompleteRequest, IssueTicketRequest, Principal
from hallserver.store.models import RatingArmRow

# Windows 1-4 serve 企业开办 (qiye) first and 税务 (shuiwu) second; 10001-10004 are their A.
WINDOWS = {1: "10001", 2: "10002", 3: "10003", 4: "10004"}
ITEMS = ["QY-001", "QY-002", "SW-001", "SW-003", None]
MANAGER = Principal(username="manager", display_name="Manager", role="manager")


@dataclass
class DayLog:
    """What the simulation did (for sanity checks; the tests count from the database)."""

    issued: int = 0
    completed: int = 0
    no_shows: int = 0
    cancelled: int = 0
    ratings: int = 0
    followups: list[str] = field(default_factory=list)


def staff(username: str) -> Principal:
    """A member of staff as the services see them."""
    return Principal(username=username, display_name=username, role="staff")


def _arm_token(services: Services, window: int) -> str:
    with services.ctx.db.read() as session:
        token = session.scalars(select(RatingArmRow.token).where(
            RatingArmRow.window == window, RatingArmRow.used_at.is_(None),
            RatingArmRow.expires_at > services.ctx.clock(),
            RatingArmRow.armed_at <= services.ctx.clock())
            .order_by(RatingArmRow.armed_at.desc())).first()
    assert token is not None
    return str(token)


def simulate_day(services: Services, clock: FakeClock, start: datetime, *, seed: int = 7,
                 minutes: int = 300, windows: dict[int, str] | None = None) -> DayLog:
    """Run the hall from `start` for `minutes` (1-minute steps), then sign everyone out."""
    rng = random.Random(seed)
    log = DayLog()
    windows = windows or WINDOWS
    clock.now = start.astimezone(SHANGHAI)
    for number, username in windows.items():
        services.windows.sign_in(number, staff(username), StaffRole.A)
    serving_until: dict[int, datetime] = {}
    tokens: list[str] = []
    for minute in range(minutes):
        # Arrivals: a busy first hour, quieter later (so waits vary from 0 to 60+ minutes).
        arrivals = rng.choice([0, 1, 1, 2]) if minute < 90 else rng.choice([0, 0, 0, 1])
        for _ in range(arrivals):
            item = rng.choice(ITEMS)
            req = (IssueTicketRequest(item_code=item) if item
                   else IssueTicketRequest(category=rng.choice(["qiye", "shuiwu"])))
            issued = services.tickets.issue(req, channel="kiosk")
            log.issued += 1
            tokens.append(issued.public_token)
        if tokens and rng.random() < 0.05:  # somebody gives up before being called
            token = tokens.pop(rng.randrange(len(tokens)))
            if services.tickets.status(token).state == "waiting":
                services.tickets.cancel(token)
                log.cancelled += 1
        for number, username in windows.items():
            user = staff(username)
            info = services.windows.get(number)
            current = info.current
            now = clock()
            if current is None:
                services.windows.call_next(number, user)
            elif current.state == "called":
                if rng.random() < 0.1:
                    services.windows.no_show(number, user)
                    log.no_shows += 1
                else:
                    services.windows.start(number, user)
                    serving_until[number] = now + timedelta(minutes=rng.choice(
                        [1, 3, 4, 6, 9, 12, 25]))
            elif current.state == "serving" and now >= serving_until[number]:
                outcome = rng.choice([Outcome.COMPLETED, Outcome.COMPLETED, Outcome.ACCEPTED,
                                      Outcome.RETURNED])
                services.windows.complete(number, user, CompleteRequest(outcome=outcome))
                log.completed += 1
                clock.advance(seconds=5)
                if rng.random() < 0.8:
                    level = rng.choice([5, 5, 5, 4, 4, 3, 2, 1])
                    reasons = ["wait-too-long"] if level <= 2 else []
                    with services.ctx.db.write() as session:
                        result = services.ratings.rate(
                            session, pad_id=f"pad-{number}", pad_window=number,
                            token=_arm_token(services, number), level=level, reasons=reasons,
                            comment=None)
                    assert result.accepted, result
                    log.ratings += 1
                    if result.followup:
                        log.followups.append(result.followup)
        clock.advance(minutes=1)
    for number, username in windows.items():
        info = services.windows.get(number)
        if info.current is not None and info.current.state == "serving":
            services.windows.complete(number, staff(username), CompleteRequest())
            log.completed += 1
        services.windows.sign_out(number, staff(username))
    if log.followups:  # one case answered the same day: on time
        case_no = log.followups[0]
        services.followups.record(case_no, FollowUpActionRequest(
            action=FollowUpAction.CALLBACK, note="电话回访", citizen_answer="accepted"), MANAGER)
        services.followups.record(case_no, FollowUpActionRequest(
            action=FollowUpAction.CLOSE, note="已整改"), MANAGER)
    return log
