"""tickets.first_called_at: the first call, kept through requeue, transfer and rejoin

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 12:40:00.000000

"Called within 20 minutes" on the dashboard and in the reports counts from the first call;
`called_at` is cleared when a ticket goes back to a queue. Existing tickets take their first
call from the audit trail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE (no batch copy): SQLite >= 3.35 adds and drops columns in place, so
    # a hall's tickets table, which other tables reference, is never recreated
    op.add_column('tickets', sa.Column('first_called_at', sa.DateTime(timezone=True),
                                       nullable=True))
    op.execute(
        "UPDATE tickets SET first_called_at = (SELECT MIN(e.at) FROM ticket_events e "
        "WHERE e.ticket_id = tickets.id AND e.action = 'call')")


def downgrade() -> None:
    op.drop_column('tickets', 'first_called_at')
