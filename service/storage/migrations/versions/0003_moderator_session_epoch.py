"""Moderators: a session epoch, so that logging out or disabling an account ends its sessions.

The login session is a signed cookie; clearing it on logout left a copy of it valid. Each session now
carries the account's epoch, and logging out or disabling (or enabling) the account moves the epoch on.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("moderators") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("moderators") as batch:
        batch.drop_column("session_epoch")
