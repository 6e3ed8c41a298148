"""Windows: public state, and the actions of the staff member signed in there."""

from __future__ import annotations

from fastapi import APIRouter

from hallserver.api.deps import OptionalUser, ServicesDep, StaffUser, WindowNo
from hallserver.api.problems import problems
from hallserver.services.views import (
    CallResult,
    CompleteRequest,
    PauseRequest,
    SignInRequest,
    TransferRequest,
    WindowInfo,
)

router = APIRouter(prefix="/api/windows", tags=["windows"])


@router.get("")
def windows(services: ServicesDep, viewer: OptionalUser) -> list[WindowInfo]:
    """Every window: state, staff on duty (亮证), current ticket, flags; the last case
    (its receipt link opens it) only for a signed-in user."""
    return services.windows.list(public=viewer is None)


@router.get("/{number}", responses=problems(404))
def window(number: WindowNo, services: ServicesDep, viewer: OptionalUser) -> WindowInfo:
    """One window (the last case only for a signed-in user)."""
    return services.windows.get(number, public=viewer is None)


@router.post("/{number}/sign-in", responses=problems(404, 409))
def sign_in(number: WindowNo, body: SignInRequest, user: StaffUser,
            services: ServicesDep) -> WindowInfo:
    """Sign in at the window as role A or B (per the roster)."""
    return services.windows.sign_in(number, user, body.role)


@router.post("/{number}/sign-out", responses=problems(404, 409))
def sign_out(number: WindowNo, user: StaffUser, services: ServicesDep) -> WindowInfo:
    """Sign out; managers may sign anybody out."""
    return services.windows.sign_out(number, user)


@router.post("/{number}/call-next", responses=problems(404, 409))
def call_next(number: WindowNo, user: StaffUser, services: ServicesDep) -> CallResult:
    """Call the next ticket this window should serve, with the reason."""
    return services.windows.call_next(number, user)


@router.post("/{number}/recall", responses=problems(404, 409))
def recall(number: WindowNo, user: StaffUser, services: ServicesDep) -> WindowInfo:
    """Call the current ticket again."""
    return services.windows.recall(number, user)


@router.post("/{number}/start", responses=problems(404, 409))
def start(number: WindowNo, user: StaffUser, services: ServicesDep) -> WindowInfo:
    """The citizen arrived: start serving."""
    return services.windows.start(number, user)


@router.post("/{number}/complete", responses=problems(404, 409))
def complete(number: WindowNo, body: CompleteRequest, user: StaffUser,
             services: ServicesDep) -> WindowInfo:
    """Finish with an outcome (办结 / 受理 / 退回补正)."""
    return services.windows.complete(number, user, body)


@router.post("/{number}/no-show", responses=problems(404, 409))
def no_show(number: WindowNo, user: StaffUser, services: ServicesDep) -> WindowInfo:
    """The called citizen did not come (过号)."""
    return services.windows.no_show(number, user)


@router.post("/{number}/transfer", responses=problems(404, 409))
def transfer(number: WindowNo, body: TransferRequest, user: StaffUser,
             services: ServicesDep) -> WindowInfo:
    """Send the current ticket to another category or window (keeps its issue time)."""
    return services.windows.transfer(number, user, body)


@router.post("/{number}/pause", responses=problems(404, 409))
def pause(number: WindowNo, body: PauseRequest, user: StaffUser,
          services: ServicesDep) -> WindowInfo:
    """Pause with a reason."""
    return services.windows.pause(number, user, body.reason, body.code)


@router.post("/{number}/away", responses=problems(404, 409))
def away(number: WindowNo, user: StaffUser, services: ServicesDep) -> WindowInfo:
    """Step away from the desk (离岗)."""
    return services.windows.away(number, user)


@router.post("/{number}/resume", responses=problems(404, 409))
def resume(number: WindowNo, user: StaffUser, services: ServicesDep) -> WindowInfo:
    """Take calls again."""
    return services.windows.resume(number, user)
