"""FastAPI dependencies: services, the current user, role checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status

from hallserver.api.problems import answers
from hallserver.services import Services
from hallserver.services.views import MAX_ID, Principal

SESSION_COOKIE = "ow_session"


def get_services(request: Request) -> Services:
    """The services of this app instance."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


# Path numbers in range: a window number as the layout allows, a row id as pages can hold
# (MAX_ID, 2**53 - 1: within the databases' 64-bit integers, where a larger one was a 500).
WindowNo = Annotated[int, Path(ge=1, le=999, description="the window's number")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="the record's id")]
WindowFilter = Annotated[int | None, Query(ge=1, le=999, description="one window only")]


def client_address(request: Request) -> str:
    """The address the request came from (the hall server is reached directly on the LAN;
    behind a proxy, run uvicorn with --proxy-headers so this is the citizen's)."""
    return request.client.host if request.client is not None else ""


def session_token(request: Request) -> str | None:
    """Bearer token from the Authorization header, else the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def optional_user(request: Request, services: ServicesDep) -> Principal | None:
    """The logged-in user, or None for anonymous requests."""
    token = session_token(request)
    return services.auth.resolve(token) if token else None


OptionalUser = Annotated[Principal | None, Depends(optional_user)]  # None: anonymous


@answers(401)
def current_user(user: OptionalUser) -> Principal:
    """The logged-in user; 401 when anonymous or the session ended."""
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail={"code": "login_required", "message": "请先登录",
                    "message_en": "login required"},
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting only the given roles (403 for others)."""
    @answers(403)
    def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail={"code": "forbidden", "message": "无权访问",
                        "message_en": f"requires role {' or '.join(roles)}"},
            )
        return user
    return check


StaffUser = Annotated[Principal, Depends(require_roles("staff", "manager", "admin"))]
ManagerUser = Annotated[Principal, Depends(require_roles("manager", "admin"))]


@dataclass(frozen=True)
class Issuer:
    """Who takes a number over HTTP: a signed-in user (the service desk, staff pages) or a
    hall device (kiosk, terminal) with its credential."""

    key: str  # "user:<username>" or "device:<id>": what the issue rate limit counts
    channel: str  # "http" for pages, the device's type for a device


@answers(401)
def ticket_issuer(request: Request, user: OptionalUser) -> Issuer:
    """The issuer of a ticket request; 401 for anyone else (citizens use the hall's kiosks:
    an open route would let one script take a day's numbers)."""
    if user is not None:
        return Issuer(f"user:{user.username}", "http")
    device = request.app.state.device_credentials.verify(
        request.headers.get("authorization", ""))
    if device is not None:
        return Issuer(f"device:{device.id}", device.type.value)
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail={"code": "login_required", "message": "请在大厅取号机或服务台取号",
                "message_en": "numbers are issued by the hall's kiosks and staff: sign in, "
                              "or send a kiosk's device credential"},
        headers={"WWW-Authenticate": 'Bearer, Basic realm="hall devices"'},
    )


TicketIssuer = Annotated[Issuer, Depends(ticket_issuer)]
