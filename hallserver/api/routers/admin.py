"""Administration API (admin role only): hall layout, logins, audit trail.

Devices are read through `GET /api/devices` (they are provisioned from files with secrets,
not edited here; see docs/admin.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from hallserver.api.deps import ServicesDep, require_roles
from hallserver.api.problems import problems
from hallserver.services.admin import AdminService
from hallserver.services.admin_accounts import CreateUser, UpdateUser, UserView
from hallserver.services.admin_audit import AuditEntry
from hallserver.services.admin_layout import (
    LayoutDocument,
    LayoutSave,
    LayoutSaved,
    LayoutVersion,
)
from hallserver.services.views import Principal

router = APIRouter(prefix="/api/admin", tags=["admin"])

AdminUser = Annotated[Principal, Depends(require_roles("admin"))]


def get_admin(services: ServicesDep) -> AdminService:
    """The administration use cases (stateless: built over the hall's services)."""
    return AdminService.build(services.ctx, services.devices, services.auth)


AdminDep = Annotated[AdminService, Depends(get_admin)]


@router.get("/layout")
def layout(admin: AdminDep, _user: AdminUser) -> LayoutDocument:
    """The whole current layout document (roster included) with its version."""
    return admin.layout.current()


@router.put("/layout", responses=problems(409))
def save_layout(req: LayoutSave, admin: AdminDep, user: AdminUser) -> LayoutSaved:
    """Save an edited layout as the next version: validated like hall.yaml (422 naming each
    field), refused if `version` is not the current one (409 stale_version) or if the
    running hall still uses what it removes (409 layout_in_use)."""
    return admin.layout.save(req, user)


@router.get("/layout/versions")
def layout_versions(admin: AdminDep, _user: AdminUser,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[LayoutVersion]:
    """Stored layout versions, newest first: when, by whom, from where."""
    return admin.layout.history(limit)


@router.get("/users")
def users(admin: AdminDep, _user: AdminUser) -> list[UserView]:
    """Every login (never a password or its hash)."""
    return admin.accounts.list()


@router.post("/users", status_code=status.HTTP_201_CREATED, responses=problems(409))
def create_user(req: CreateUser, admin: AdminDep, user: AdminUser) -> UserView:
    """Create a login (staff, manager or admin)."""
    return admin.accounts.create(req, user)


@router.patch("/users/{username}", responses=problems(404, 409))
def update_user(username: str, req: UpdateUser, admin: AdminDep,
                user: AdminUser) -> UserView:
    """Rename, change role, enable/disable or reset the password of a login."""
    return admin.accounts.update(username, req, user)


@router.get("/audit")
def audit(admin: AdminDep, _user: AdminUser,
          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AuditEntry]:
    """Administration changes, newest first: who, when, what."""
    return admin.audit_log(limit)
