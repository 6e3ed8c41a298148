"""window_states.pause_code: why a window pauses, in words fit for the public

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 19:30:00.000000

The staff member's own words (`pause_reason`) are for staff and managers; the window LED and
anonymous views show 暂停服务 and, when a preset was chosen, its fixed words. Existing pauses
have no code: the public sees 暂停服务 only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE: SQLite >= 3.35 adds columns in place
    op.add_column('window_states', sa.Column('pause_code', sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column('window_states', 'pause_code')
