"""Review queue: items, campaigns (MinHash-LSH bands), decisions (audit), feedback, moderators.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("page_id", sa.String(200), nullable=False),
        sa.Column("url", sa.Text, nullable=False, server_default=""),
        sa.Column("site", sa.String(255), nullable=False, server_default=""),
        sa.Column("language", sa.String(16), nullable=False, server_default=""),
        sa.Column("model_version", sa.String(64), nullable=False, server_default=""),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("top_label", sa.String(32), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("uncertainty", sa.Float, nullable=False),
        sa.Column("quality", sa.Float, nullable=False, server_default="0"),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("proposed_labels", sa.JSON, nullable=False),
        sa.Column("label_set", sa.String(100), nullable=False, server_default=" none "),
        sa.Column("reason_codes", sa.Text, nullable=False, server_default=""),
        sa.Column("verdict", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("html", sa.Text, nullable=True),
        sa.Column("html_truncated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("search_text", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("classified_at", TZ, nullable=False),
        sa.Column("enqueued_at", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("campaign_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("campaign_size", sa.Integer, nullable=False, server_default="0"),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("final_labels", sa.JSON, nullable=True),
        sa.Column("final_spans", sa.JSON, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
    )
    op.create_index("ix_review_items_page_id", "review_items", ["page_id"], unique=True)
    for column in ("site", "language", "model_version", "action", "top_label", "source", "campaign_id",
                   "classified_at"):
        op.create_index(f"ix_review_items_{column}", "review_items", [column])
    op.create_index("ix_review_items_status_uncertainty", "review_items", ["status", "uncertainty", "id"])
    op.create_index("ix_review_items_status_classified", "review_items", ["status", "classified_at", "id"])
    op.create_index("ix_review_items_status_campaign", "review_items",
                    ["status", "campaign_size", "campaign_id", "id"])

    op.create_table(
        "review_campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("excerpt", sa.Text, nullable=False, server_default=""),
        sa.Column("size", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "review_campaign_spans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("review_campaigns.id"), nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
    )
    op.create_index("ix_review_campaign_spans_item_id", "review_campaign_spans", ["item_id"])
    op.create_index("ix_review_campaign_spans_campaign_id", "review_campaign_spans", ["campaign_id"])
    op.create_table(
        "review_campaign_bands",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("band_key", sa.String(40), nullable=False),
        sa.Column("span_id", sa.Integer, sa.ForeignKey("review_campaign_spans.id", ondelete="CASCADE"),
                  nullable=False),
    )
    op.create_index("ix_review_campaign_bands_band_key", "review_campaign_bands", ["band_key"])
    op.create_index("ix_review_campaign_bands_span_id", "review_campaign_bands", ["span_id"])

    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("moderator", sa.String(200), nullable=False),
        sa.Column("via", sa.String(16), nullable=False, server_default="ui"),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("old_labels", sa.JSON, nullable=True),
        sa.Column("new_labels", sa.JSON, nullable=True),
        sa.Column("old_spans", sa.JSON, nullable=True),
        sa.Column("new_spans", sa.JSON, nullable=True),
        sa.Column("model_version", sa.String(64), nullable=False, server_default=""),
        sa.Column("item_version", sa.Integer, nullable=False),
        sa.Column("bulk_id", sa.String(40), nullable=True),
        sa.Column("reverts_id", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("reverted_by", sa.String(200), nullable=True),
        sa.Column("reverted_at", TZ, nullable=True),
    )
    for column in ("item_id", "moderator", "status", "bulk_id", "created_at"):
        op.create_index(f"ix_review_decisions_{column}", "review_decisions", [column])

    op.create_table(
        "review_feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("page_id", sa.String(200), nullable=False),
        sa.Column("reporter", sa.String(64), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id", ondelete="SET NULL"), nullable=True),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("spans", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_review_feedback_page_id", "review_feedback", ["page_id"])
    op.create_index("ix_review_feedback_item_id", "review_feedback", ["item_id"])
    op.create_index("ux_review_feedback_page_reporter", "review_feedback", ["page_id", "reporter"], unique=True)

    op.create_table(
        "moderators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_moderators_username", "moderators", ["username"], unique=True)


def downgrade() -> None:
    op.drop_table("moderators")
    op.drop_table("review_feedback")
    op.drop_table("review_decisions")
    op.drop_table("review_campaign_bands")
    op.drop_table("review_campaign_spans")
    op.drop_table("review_campaigns")
    op.drop_table("review_items")
