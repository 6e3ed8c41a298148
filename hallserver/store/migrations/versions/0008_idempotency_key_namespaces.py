"""idempotency_keys.key: one namespace per channel (http:, mqtt:), 160 characters

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:20:00.000000

HTTP `Idempotency-Key`s were stored as sent, in the namespace of the device bus's keys
(`mqtt:<device>:<request id>`): an HTTP caller who knew a kiosk's request id got that kiosk's
ticket, and its public token. HTTP keys are now stored as `http:<key>`; the keys already
stored that are not the bus's get the prefix, and the column grows from 128 to 160
characters so that a 128-character header still fits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: PostgreSQL alters the column in place; SQLite copies this small table (nothing
    # references it)
    with op.batch_alter_table('idempotency_keys') as batch:
        batch.alter_column('key', existing_type=sa.String(128), type_=sa.String(160),
                           existing_nullable=False)
    op.execute("UPDATE idempotency_keys SET key = 'http:' || key "
               "WHERE key NOT LIKE 'mqtt:%'")


def downgrade() -> None:
    op.execute("UPDATE idempotency_keys SET key = substr(key, 6) WHERE key LIKE 'http:%'")
    with op.batch_alter_table('idempotency_keys') as batch:
        batch.alter_column('key', existing_type=sa.String(160), type_=sa.String(128),
                           existing_nullable=False)
