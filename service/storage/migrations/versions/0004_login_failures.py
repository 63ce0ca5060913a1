"""Failed logins to /review, shared by every worker.

Failed logins were counted in each worker's memory and per username alone: anyone could lock a moderator out by
typing a wrong password five times, and with several workers the limit was several times five. They are now rows,
counted per username and address (and per address across usernames).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.Float, nullable=False),
    )
    op.create_index("ix_login_failures_address_time", "login_failures", ["address", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_address_time", table_name="login_failures")
    op.drop_table("login_failures")
