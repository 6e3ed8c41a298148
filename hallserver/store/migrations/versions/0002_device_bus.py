"""device bus

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 04:45:45.654165
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("hall_id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("device_type", sa.String(length=16), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=True),
        sa.Column("software", sa.String(length=200), nullable=True),
        sa.Column("paper", sa.String(length=16), nullable=True),
        sa.Column("cover_open", sa.Boolean(), nullable=True),
        sa.Column("printer_online", sa.Boolean(), nullable=True),
        sa.Column("printer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_print_ok", sa.Boolean(), nullable=True),
        sa.Column("last_print_error", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("hall_id", "device_id"),
    )
    op.create_table(
        "helper_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("device_type", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall_id", "device_id", "request_id"),
    )
    with op.batch_alter_table("helper_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_helper_requests_hall_id"), ["hall_id"], unique=False)

    op.create_table(
        "inbox",
        sa.Column("hall_id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("hall_id", "device_id", "msg_id"),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_received_at"))

    op.drop_table("inbox")
    with op.batch_alter_table("helper_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helper_requests_hall_id"))

    op.drop_table("helper_requests")
    op.drop_table("devices")
