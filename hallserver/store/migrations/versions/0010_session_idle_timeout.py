"""auth_sessions.last_seen_at: sessions end after 30 minutes without a request

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 19:40:00.000000

Written at most once a minute per session. Sessions from before have none: their idle time
counts from their login.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE: SQLite >= 3.35 adds columns in place
    op.add_column('auth_sessions', sa.Column('last_seen_at', sa.DateTime(timezone=True),
                                             nullable=True))


def downgrade() -> None:
    op.drop_column('auth_sessions', 'last_seen_at')
