"""Tables. Every schema change goes through an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


# The largest value an ``Integer`` column holds on every backend (32-bit signed on PostgreSQL). Ids and
# versions that arrive from clients are checked against it, so a larger one is a 404 or a 400, not a 500.
MAX_ROW_ID = 2**31 - 1


class _WithoutNul(TypeDecorator):
    """A string column that PostgreSQL can always take: its text type cannot hold NUL (0x00), and scraped pages,
    their ids and urls, notes and query strings can carry one. Every string bound to the column, stored or compared
    with, has its NULs replaced by U+FFFD, on every backend alike, so a filter matches what was stored."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


class String(_WithoutNul):
    impl = sa.String
    cache_ok = True  # SQLAlchemy reads it from each class itself


class Text(_WithoutNul):
    impl = sa.Text
    cache_ok = True


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    """A client credential. Only the sha256 of the key is stored; the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to recognise a key in logs
    role: Mapped[str] = mapped_column(String(16))  # crawler | moderator | admin
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


# --- review queue (migration 0002) -------------------------------------------------------------
# Columns that the list view filters or sorts on are plain, indexed columns; the rest of the
# verdict (spans, reasons, probabilities) is kept whole in ``verdict`` (JSON) for the item view.


class ReviewItem(Base):
    """One page waiting for (or settled by) a moderator; one row per classified page id."""

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[str] = mapped_column(String(200), index=True, unique=True)
    url: Mapped[str] = mapped_column(Text, default="")
    site: Mapped[str] = mapped_column(String(255), default="", index=True)
    language: Mapped[str] = mapped_column(String(16), default="", index=True)
    model_version: Mapped[str] = mapped_column(String(64), default="", index=True)
    action: Mapped[str] = mapped_column(String(16), index=True)  # the model's action
    top_label: Mapped[str] = mapped_column(String(32), index=True)  # most probable page label
    score: Mapped[float] = mapped_column(Float)  # probability of top_label
    # Distance of the closest label probability to its flag threshold (0 = on the threshold).
    uncertainty: Mapped[float] = mapped_column(Float)
    quality: Mapped[float] = mapped_column(Float, default=0.0)
    flags: Mapped[list] = mapped_column(JSON, default=list)  # labels at or over their thresholds
    proposed_labels: Mapped[list] = mapped_column(JSON, default=list)  # flags + labels in the review band
    label_set: Mapped[str] = mapped_column(String(100), default=" none ")  # " a b " of proposed_labels, for LIKE
    reason_codes: Mapped[str] = mapped_column(Text, default="")  # space-separated, for display and search
    verdict: Mapped[dict] = mapped_column(JSON)  # labels, spans, reasons, flags, action, quality
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text, nullable=True)
    html_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")  # normalised url + text, for LIKE search
    source: Mapped[str] = mapped_column(String(16), index=True)  # review | sample | feedback
    classified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | decided
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock for decisions
    campaign_id: Mapped[int] = mapped_column(Integer, default=0, index=True)  # 0 = in no campaign
    campaign_size: Mapped[int] = mapped_column(Integer, default=0)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    final_labels: Mapped[list | None] = mapped_column(JSON, nullable=True)
    final_spans: Mapped[list | None] = mapped_column(JSON, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        Index("ix_review_items_status_uncertainty", "status", "uncertainty", "id"),
        Index("ix_review_items_status_classified", "status", "classified_at", "id"),
        Index("ix_review_items_status_campaign", "status", "campaign_size", "campaign_id", "id"),
        Index("ix_review_items_classified_at", "classified_at"),
    )


class Campaign(Base):
    """Items sharing a near-duplicate injected or link-farm block, across sites."""

    __tablename__ = "review_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(32))  # block label of the first span seen
    excerpt: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer, default=0)  # items in the campaign
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CampaignSpan(Base):
    """A bad span's MinHash signature and the campaign it joined; bands index it for LSH."""

    __tablename__ = "review_campaign_spans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("review_campaigns.id"), index=True)
    signature: Mapped[str] = mapped_column(Text)  # hex of the MinHash values


class CampaignBand(Base):
    """One LSH band key of a span's signature (spans sharing a band are candidates)."""

    __tablename__ = "review_campaign_bands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    band_key: Mapped[str] = mapped_column(String(40), index=True)
    span_id: Mapped[int] = mapped_column(ForeignKey("review_campaign_spans.id", ondelete="CASCADE"), index=True)


class Decision(Base):
    """Audit trail: every decision attempt, applied, rejected (lost a race) or reverted."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    moderator: Mapped[str] = mapped_column(String(200), index=True)
    via: Mapped[str] = mapped_column(String(16), default="ui")  # ui | api
    decision: Mapped[str] = mapped_column(String(16))  # confirm | not_spam | relabel | skip | revert
    status: Mapped[str] = mapped_column(String(16), index=True)  # applied | rejected | reverted
    old_labels: Mapped[list | None] = mapped_column(JSON, nullable=True)
    new_labels: Mapped[list | None] = mapped_column(JSON, nullable=True)
    old_spans: Mapped[list | None] = mapped_column(JSON, nullable=True)
    new_spans: Mapped[list | None] = mapped_column(JSON, nullable=True)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    item_version: Mapped[int] = mapped_column(Integer)  # the version the moderator had loaded
    bulk_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    reverts_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # for decision == revert
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    reverted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reverted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Feedback(Base):
    """A client's report on a page: one row per (page id, reporting key); a repeat corrects it."""

    __tablename__ = "review_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[str] = mapped_column(String(200), index=True)
    reporter: Mapped[str] = mapped_column(String(64))  # key prefix (or "spool" when replayed unknown)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("review_items.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    label: Mapped[str] = mapped_column(String(32))
    spans: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ux_review_feedback_page_reporter", "page_id", "reporter", unique=True),)


class Moderator(Base):
    """A person who logs in to /review (distinct from API keys, which are for programs)."""

    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # moved on when the account logs out or is disabled or enabled: the sessions made before end (migration 0003)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginFailure(Base):
    """A failed login to /review: who was tried, from which address, when (seconds since the epoch). Failures are
    counted here, not in each worker's memory, so every worker throttles alike (migration 0004)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_login_failures_address_time", "address", "failed_at"),)
