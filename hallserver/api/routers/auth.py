"""Login, logout, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from pydantic import Field

from hallserver.api.deps import (
    SESSION_COOKIE,
    CurrentUser,
    ServicesDep,
    client_address,
    session_token,
)
from hallserver.api.problems import problems
from hallserver.services.auth import SESSION_HOURS
from hallserver.services.views import LoginRequest, LoginResult, Principal

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", responses=problems(401))
def login(body: LoginRequest, response: Response, request: Request,
          services: ServicesDep) -> LoginResult:
    """Open a session: returns a bearer token and sets an HttpOnly cookie. Wrong passwords
    lock the account (after 5) and the address (after 20) for 30 s, doubling to 15 min: 429
    with Retry-After."""
    result = services.auth.login(body.username, body.password, client_address(request))
    response.set_cookie(
        SESSION_COOKIE, result.token, httponly=True, samesite="lax",
        secure=request.app.state.settings.secure_cookies(), max_age=SESSION_HOURS * 3600,
    )
    return result


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, services: ServicesDep) -> None:
    """End the current session."""
    token = session_token(request)
    if token:
        services.auth.logout(token)
    response.delete_cookie(SESSION_COOKIE)


class Me(Principal):
    """The logged-in user and, for staff, the windows the roster allows (A/B角)."""

    role_a: list[int] = Field(default_factory=list)
    role_b: list[int] = Field(default_factory=list)


@router.get("/me")
def me(user: CurrentUser, services: ServicesDep) -> Me:
    """The logged-in user (staff: with the windows of their roster roles)."""
    with services.ctx.db.read() as session:
        cfg = services.layout.current(session)
    seed = next((s for s in cfg.staff if s.id == user.username), None)
    return Me(**user.model_dump(), role_a=list(seed.role_a) if seed else [],
              role_b=list(seed.role_b) if seed else [])
