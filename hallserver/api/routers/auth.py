"""Login, logout, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from hallserver.api.deps import SESSION_COOKIE, CurrentUser, ServicesDep, session_token
from hallserver.services.auth import SESSION_HOURS
from hallserver.services.views import LoginRequest, LoginResult, Principal

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login")
def login(body: LoginRequest, response: Response, request: Request,
          services: ServicesDep) -> LoginResult:
    """Open a session: returns a bearer token and sets an HttpOnly cookie."""
    result = services.auth.login(body.username, body.password)
    response.set_cookie(
        SESSION_COOKIE, result.token, httponly=True, samesite="lax",
        secure=request.app.state.settings.cookie_secure, max_age=SESSION_HOURS * 3600,
    )
    return result


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, services: ServicesDep) -> None:
    """End the current session."""
    token = session_token(request)
    if token:
        services.auth.logout(token)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me")
def me(user: CurrentUser) -> Principal:
    """The logged-in user."""
    return user
