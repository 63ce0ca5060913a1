"""The queue's list view as a query: filters, sorts, keyset paging and counts per filter.

Paging is by keyset (the sort key plus the id of the last row seen), never
by OFFSET, so a deep page costs what the first one does; every sort has a
composite index that starts with ``status`` (the list is almost always
"pending"). Full-text search is a ``LIKE '%term%'`` on a normalised copy of
the url and the first ``store.SEARCH_CHARS`` characters of the text (NFKC,
simplified script, lower case): Chinese has no word
boundaries for a tokenizer to use, and the same SQL runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Text as SqlText
from sqlalchemy import and_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from service.analysis.text import drop_format_characters, normalize
from service.errors import ApiError
from service.model import LABELS
from service.storage.models import MAX_ROW_ID, ReviewItem

STATUSES = ("pending", "decided", "all")
ACTIONS = ("keep", "strip", "review", "drop")
SOURCES = ("review", "sample", "feedback")
ITEM_LABELS = (*LABELS, "none")
SORTS = {
    "uncertainty": ((ReviewItem.uncertainty, "asc"), (ReviewItem.id, "asc")),
    "newest": ((ReviewItem.classified_at, "desc"), (ReviewItem.id, "desc")),
    "campaign": ((ReviewItem.campaign_size, "desc"), (ReviewItem.campaign_id, "asc"), (ReviewItem.id, "asc")),
}
MAX_LIMIT = 200
SUMMARY_COLUMNS = (ReviewItem.id, ReviewItem.page_id, ReviewItem.url, ReviewItem.site, ReviewItem.language,
                   ReviewItem.model_version, ReviewItem.action, ReviewItem.top_label, ReviewItem.score,
                   ReviewItem.uncertainty, ReviewItem.quality, ReviewItem.flags, ReviewItem.proposed_labels,
                   ReviewItem.reason_codes, ReviewItem.source, ReviewItem.classified_at, ReviewItem.status,
                   ReviewItem.version, ReviewItem.campaign_id, ReviewItem.campaign_size, ReviewItem.decision,
                   ReviewItem.final_labels, ReviewItem.decided_by, ReviewItem.decided_at)


@dataclass
class Filters:
    status: str = "pending"
    label: str | None = None
    action: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    site: str | None = None
    language: str | None = None
    model_version: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    campaign: int | None = None
    source: str | None = None
    q: str | None = None

    def to_args(self) -> dict[str, str]:
        """Query-string form (what the UI links carry from page to page)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value != "":
                out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out


def _bad(name: str, message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", f"'{name}': {message}", name)


def _choice(args: Mapping, name: str, choices, default=None):
    value = (args.get(name) or "").strip()
    if not value:
        return default
    if value not in choices:
        raise _bad(name, f"must be one of {', '.join(choices)} (got {value!r})")
    return value


def _number(args: Mapping, name: str, cast, low=None, high=None):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = cast(raw)
    except ValueError:
        raise _bad(name, f"must be a {'number' if cast is float else 'whole number'} (got {raw!r})") from None
    if value != value or (low is not None and value < low) or (high is not None and value > high):
        raise _bad(name, f"must be between {low} and {high} (got {raw!r})")
    return value


def _date(args: Mapping, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad(name, f"must be a date YYYY-MM-DD (got {raw!r})") from None


def _text(args: Mapping, name: str, limit: int = 200) -> str | None:
    value = (args.get(name) or "").strip()
    if len(value) > limit:
        raise _bad(name, f"longer than {limit} characters")
    return value or None


def parse_filters(args: Mapping) -> Filters:
    """Filters from query parameters; a 400 naming the parameter for anything malformed."""
    f = Filters(
        status=_choice(args, "status", STATUSES, "pending"), label=_choice(args, "label", ITEM_LABELS),
        action=_choice(args, "action", ACTIONS), score_min=_number(args, "score_min", float, 0.0, 1.0),
        score_max=_number(args, "score_max", float, 0.0, 1.0), site=_text(args, "site", 255),
        language=(_text(args, "language", 16) or "").lower() or None,  # codes are stored lower case: zh, en, und
        model_version=_text(args, "model_version", 64),
        date_from=_date(args, "date_from"), date_to=_date(args, "date_to"),
        campaign=_number(args, "campaign", int, 1, MAX_ROW_ID), source=_choice(args, "source", SOURCES),
        q=_text(args, "q"))
    if f.score_min is not None and f.score_max is not None and f.score_min > f.score_max:
        raise _bad("score_min", "is above score_max")
    if f.date_from is not None and f.date_to is not None and f.date_from > f.date_to:
        raise _bad("date_from", "is after date_to")
    return f


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _replace(expr, *pairs):
    for old, new in pairs:  # literal SQL, not bound parameters: PostgreSQL must see one expression in SELECT/GROUP BY
        expr = func.replace(expr, literal_column(f"'{old}'"), literal_column(f"'{new}'"))
    return expr


_DECIDED = ReviewItem.status == literal_column("'decided'")
_FINAL = cast(ReviewItem.final_labels, SqlText)  # '["link_farm", "injected_spam"]' on both databases
# The labels a filter by label and its counts look at: the moderator's final labels once an item is decided, the
# model's proposed ones before; " a b " (or " none ") either way, for LIKE '% a %'.
ITEM_LABEL_SET = case(
    (and_(_DECIDED, _FINAL.not_like(literal_column("'%\"%'"))), literal_column("' none '")),
    (_DECIDED, literal_column("' '", SqlText) + _replace(_FINAL, ("[", ""), ("]", ""), ('"', ""), (",", " ")) +
     literal_column("' '", SqlText)),
    else_=ReviewItem.label_set)


def conditions(f: Filters, skip: str | None = None) -> list:
    """SQL conditions for the filters; ``skip`` leaves one out (its own facet counts)."""
    c, R = [], ReviewItem
    if f.status != "all" and skip != "status":
        c.append(R.status == f.status)
    if f.label and skip != "label":
        c.append(ITEM_LABEL_SET.like(f"% {f.label} %"))
    if f.action and skip != "action":
        c.append(R.action == f.action)
    if f.score_min is not None:
        c.append(R.score >= f.score_min)
    if f.score_max is not None:
        c.append(R.score <= f.score_max)
    if f.site and skip != "site":
        c.append(R.site == f.site.lower())
    if f.language and skip != "language":
        c.append(R.language == f.language)
    if f.model_version and skip != "model_version":
        c.append(R.model_version == f.model_version)
    if f.date_from:
        c.append(R.classified_at >= _start_of(f.date_from))
    if f.date_to:
        c.append(R.classified_at < _start_of(f.date_to + timedelta(days=1)))
    if f.campaign:
        c.append(R.campaign_id == f.campaign)
    if f.source and skip != "source":
        c.append(R.source == f.source)
    if f.q:
        for term in normalize(drop_format_characters(f.q)).split(" "):  # stored page texts hold none
            c.append(R.search_text.like(f"%{_like_escape(term)}%", escape="\\"))
    return c


# -- keyset cursors ------------------------------------------------------------------------------

def _jsonable(value):
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value


def encode_cursor(sort: str, direction: str, row) -> str:
    values = [_jsonable(getattr(row, col.key)) for col, _ in SORTS[sort]]
    raw = json.dumps([sort, direction, values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[str, list]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cur_sort, direction, values = json.loads(raw)
        cols = SORTS[sort]
        if cur_sort != sort or direction not in {"next", "prev"} or len(values) != len(cols):
            raise ValueError
        out = []
        for (col, _), value in zip(cols, values):
            if col.key == "classified_at":
                value = datetime.fromisoformat(value)
            elif not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError
            out.append(value)
        return direction, out
    except (ValueError, TypeError, KeyError, json.JSONDecodeError):
        raise _bad("cursor", "not a cursor of this listing (use next_cursor/prev_cursor as given)") from None


def _after(sort: str, values: list, backwards: bool):
    """Rows strictly after ``values`` in the sort order (before, when ``backwards``)."""
    cols = SORTS[sort]
    ors = []
    for i, (col, direction) in enumerate(cols):
        forward = (direction == "asc") != backwards
        step = col > values[i] if forward else col < values[i]
        ors.append(and_(*[cols[j][0] == values[j] for j in range(i)], step))
    first, direction = cols[0]
    bound = first >= values[0] if (direction == "asc") != backwards else first <= values[0]
    return and_(bound, or_(*ors))  # the bound lets the index range-scan


def _order(sort: str, backwards: bool) -> list:
    return [(col.asc() if (d == "asc") != backwards else col.desc()) for col, d in SORTS[sort]]


@dataclass
class ItemPage:
    items: list[dict]
    next_cursor: str | None
    prev_cursor: str | None
    total: int | None


def summary(row) -> dict:
    out = {col.key: getattr(row, col.key) for col in SUMMARY_COLUMNS}
    for key in ("classified_at", "decided_at"):
        if out[key] is not None:
            out[key] = _jsonable(out[key])
    out["reason_codes"] = [c for c in (out["reason_codes"] or "").split(" ") if c]
    out["excerpt"] = row.excerpt
    return out


def list_items(session: Session, f: Filters, sort: str = "uncertainty", limit: int = 50,
               cursor: str | None = None, with_total: bool = True) -> ItemPage:
    """One page of the queue under the filters, in the sort order, after (or before) a cursor."""
    if sort not in SORTS:
        raise _bad("sort", f"must be one of {', '.join(SORTS)} (got {sort!r})")
    limit = max(1, min(int(limit), MAX_LIMIT))
    where = conditions(f)
    direction, backwards = "next", False
    if cursor:
        direction, values = decode_cursor(cursor, sort)
        backwards = direction == "prev"
        where.append(_after(sort, values, backwards))
    query = (select(*SUMMARY_COLUMNS, func.substr(ReviewItem.text, 1, 240).label("excerpt"))
             .where(*where).order_by(*_order(sort, backwards)).limit(limit + 1))
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_prev = bool(cursor) and (more if backwards else True)
    total = session.scalar(select(func.count()).select_from(ReviewItem).where(*conditions(f))) if with_total \
        else None
    return ItemPage(items=[summary(r) for r in rows],
                    next_cursor=encode_cursor(sort, "next", rows[-1]) if rows and has_next else None,
                    prev_cursor=encode_cursor(sort, "prev", rows[0]) if rows and has_prev else None,
                    total=total)


def neighbours(session: Session, f: Filters, sort: str, item: ReviewItem) -> tuple[int | None, int | None]:
    """Ids of the items just before and just after ``item`` in the listing (for j/k in the item view)."""
    values = [getattr(item, col.key) for col, _ in SORTS[sort]]
    out = []
    for backwards in (True, False):
        row = session.execute(select(ReviewItem.id).where(*conditions(f), _after(sort, values, backwards))
                              .order_by(*_order(sort, backwards)).limit(1)).first()
        out.append(row[0] if row else None)
    return out[0], out[1]


FACETS = ("status", "label", "action", "source", "language", "model_version", "site")
_COMBO = ("status", "label", "action", "source", "language", "model_version")


def _matches(f: Filters, facet: str, value: str) -> bool:
    """Whether a combination's value passes the filter of ``facet`` (the facet filters are equalities)."""
    wanted = getattr(f, facet)
    if facet == "status":
        return wanted == "all" or value == wanted
    if facet == "label":
        return not wanted or f" {wanted} " in value
    return not wanted or value == wanted


def facet_counts(session: Session, f: Filters, site_limit: int = 15) -> dict[str, dict[str, int]]:
    """Counts per value of each filter, under the other filters (so alternatives stay visible).

    Two scans, not one per facet: the equality facets are counted from one GROUP BY over their
    combinations (a few hundred rows), the site facet (many values) with a query of its own."""
    R = ReviewItem
    columns = (R.status, ITEM_LABEL_SET.label("labels"), R.action, R.source, R.language, R.model_version)
    base = conditions(Filters(score_min=f.score_min, score_max=f.score_max, site=f.site, date_from=f.date_from,
                              date_to=f.date_to, campaign=f.campaign, q=f.q, status="all"))
    combos = session.execute(select(*columns, func.count()).where(*base).group_by(*columns)).all()
    out: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for row in combos:
        values, n = dict(zip(_COMBO, row[:-1])), row[-1]
        passes = {facet: _matches(f, facet, values[facet] or "") for facet in _COMBO}
        for facet in _COMBO:
            if all(passes[other] for other in _COMBO if other != facet):
                keys = (values["label"] or " none ").split() if facet == "label" else [values[facet] or ""]
                for key in keys:
                    out[facet][key] = out[facet].get(key, 0) + n
    out["status"]["all"] = sum(v for k, v in out["status"].items() if k != "all")
    site_query = (select(R.site, func.count()).where(*conditions(f, skip="site")).group_by(R.site)
                  .order_by(func.count().desc()).limit(site_limit))
    out["site"] = {site or "": n for site, n in session.execute(site_query)}
    return out
