"""Taking a number, and the citizen's view of it by public token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from hallserver.api.deps import ServicesDep, TicketIssuer
from hallserver.api.problems import problems
from hallserver.services.views import IssuedTicket, IssueTicketRequest, TicketStatus

router = APIRouter(prefix="/api/tickets", tags=["tickets"])

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=128, pattern=r"^[\x21-\x7e]+$",
           description="same key, same body: the same ticket; same key, other body: 422"),
]


@router.post("", status_code=status.HTTP_201_CREATED, responses={
    200: {"model": IssuedTicket,
          "description": "a replay: the ticket issued before with this Idempotency-Key"},
    **problems(404, 409)})
def issue_ticket(body: IssueTicketRequest, services: ServicesDep, response: Response,
                 request: Request, issuer: TicketIssuer,
                 idempotency_key: IdempotencyKey = None) -> IssuedTicket:
    """Take a number: for the hall's own devices (HTTP Basic: device id and secret) and
    signed-in staff (the service desk), 401 for anyone else; each issuer at most
    HALL_RATE_LIMIT_ISSUE (429). Refusals (hours, daily cap) are 409 with the reason."""
    limits = request.app.state.rate_limits
    if limits is not None:
        limits.hit("issue", issuer.key)
    # HTTP keys live in their own namespace: the device bus's are `mqtt:<device>:<request>`.
    key = None if idempotency_key is None else f"http:{idempotency_key}"
    issued = services.tickets.issue(body, channel=issuer.channel, idempotency_key=key)
    if issued.replayed:
        response.status_code = status.HTTP_200_OK
    return issued


@router.get("/public/{token}", responses=problems(404))
def ticket_status(token: str, services: ServicesDep) -> TicketStatus:
    """Live status for the citizen's phone: position, predicted wait, window when called."""
    return services.tickets.status(token)


@router.post("/public/{token}/rejoin", responses=problems(404, 409))
def rejoin(token: str, services: ServicesDep) -> TicketStatus:
    """A no-show queues again (at the back) within the grace period."""
    return services.tickets.rejoin(token)


@router.post("/public/{token}/cancel", responses=problems(404, 409))
def cancel(token: str, services: ServicesDep) -> TicketStatus:
    """The citizen gives the ticket up."""
    return services.tickets.cancel(token)
