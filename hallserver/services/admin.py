"""Administration (admin role): the hall layout, logins and the audit trail of both."""

from __future__ import annotations

from dataclasses import dataclass

from hallserver.services.admin_accounts import AccountAdmin
from hallserver.services.admin_audit import AuditEntry, audit_log
from hallserver.services.admin_layout import LayoutAdmin
from hallserver.services.auth import AuthService
from hallserver.services.devices import DeviceRegistry
from hallserver.services.hall import HallContext


@dataclass(frozen=True)
class AdminService:
    """What administrators change at run time; every change is audited."""

    ctx: HallContext
    layout: LayoutAdmin
    accounts: AccountAdmin

    @classmethod
    def build(cls, ctx: HallContext, devices: DeviceRegistry, auth: AuthService) -> AdminService:
        """Wire the administration around a hall's services."""
        return cls(ctx=ctx, layout=LayoutAdmin(ctx, devices, auth), accounts=AccountAdmin(ctx))

    def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        """Administration changes, newest first."""
        return audit_log(self.ctx.db, self.ctx.hall_id, limit)
