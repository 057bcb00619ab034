"""Reading the audit trail: keyset-paged lists, an order's history, a key's history, export.

Lists are made of *events*: an intent row (paired with its outcome row, if any) or an observed
external change. Pages are keyset-paged on `id` (newest first): no COUNT, no OFFSET, so a page
costs the same at a million rows as at a hundred. The outcomes of a page of intents are
fetched in one query.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

from orders.audit import GENESIS_HASH, HASHED_FIELDS, canonical_time
from orders.cdp.vocabulary import REF_RE
from orders.models import EXTENSION_RESOURCE_TYPES, AuditEntry, OpenIntent
from orders.selectors.compiled import CompiledQuery
from orders.selectors.memo import Memo

EVENT_PHASES = (AuditEntry.Phase.INTENT, AuditEntry.Phase.OBSERVED, AuditEntry.Phase.READ)
# Guest lookups and the guests opened from them (orders.services.guests).
LOOKUP_ACTIONS = ("guests.lookup", "guests.open")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Outcome:
    """Values of the `outcome` filter (what happened to an event)."""

    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"
    OBSERVED = "observed"
    CHOICES = (
        (SUCCESS, "CDP accepted the change"),
        (FAILURE, "CDP refused the change or did not answer"),
        (UNKNOWN, "Intent without outcome"),
        (OBSERVED, "Changed outside cdpadmin"),
    )


@dataclass(frozen=True)
class AuditFilters:
    """The filters of the audit list; every one is optional and they combine with AND."""

    username: str = ""
    action: str = ""
    resource_type: str = ""
    order_ref: str = ""
    key: str = ""
    outcome: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    lookups: bool = False
    lookup_hmac: str = ""

    def is_empty(self) -> bool:
        return self == AuditFilters()


class Event(NamedTuple):
    """One line of the trail: an intent with its outcome (or None), or an observed change.

    A pair, so callers and templates can unpack `intent, outcome`.
    """

    entry: AuditEntry
    outcome: AuditEntry | None = None

    @property
    def outcome_unknown(self) -> bool:
        return self.entry.phase == AuditEntry.Phase.INTENT and self.outcome is None

    @property
    def status(self) -> str:
        """One of the `Outcome` values."""
        if self.entry.phase == AuditEntry.Phase.OBSERVED:
            return Outcome.OBSERVED
        if self.entry.phase == AuditEntry.Phase.READ:
            return self.entry.outcome or Outcome.UNKNOWN
        if self.outcome is None:
            return Outcome.UNKNOWN
        return self.outcome.outcome or Outcome.UNKNOWN


@dataclass(frozen=True)
class EventPage:
    events: list[Event] = field(default_factory=list)
    next_before_id: int | None = None

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


def _key_q(key: str) -> Q:
    """Events that touched extension key `key` (a set, a removal, a replace, an observed change).

    Needs the `key_old`/`key_new` aliases of `_with_key_text`. Every branch carries a
    condition the extension GIN indexes answer (an observed change has the key on one side at
    least), and the intent branch is "not observed" rather than `phase = 'intent'`, so the
    planner has no reason to AND the GIN bitmaps with the half-million-row phase index.
    """
    observed_changed = (
        Q(phase=AuditEntry.Phase.OBSERVED)
        & (Q(before__has_key=key) | Q(after__has_key=key))
        & (
            Q(key_old__isnull=True, key_new__isnull=False)
            | Q(key_old__isnull=False, key_new__isnull=True)
            | (Q(key_old__isnull=False, key_new__isnull=False) & ~Q(key_old=F("key_new")))
        )
    )
    touched = (
        ~Q(phase=AuditEntry.Phase.OBSERVED)
        & (
            Q(request_payload__has_key=key)
            | Q(action__endswith=".delete_keys", cdp_path__regex=_named_in_query(key))
            | Q(before__has_key=key)
        )
    ) | observed_changed
    return Q(resource_type__in=EXTENSION_RESOURCE_TYPES) & touched


def _named_in_query(key: str) -> str:
    # `…/fields?name=a|b`, with the bar as sent (`%7C`) or as older rows recorded it.
    bar = r"(\||%7C)"
    return rf"[?&]name=([^&]*{bar})?{re.escape(key)}({bar}|&|$)"


def _with_key_text(rows: QuerySet[AuditEntry], key: str) -> QuerySet[AuditEntry]:
    # Comparing JSON text, not JSON values: `1` → `1.0` and `0` → `false` are changes.
    return rows.alias(
        key_old=Cast(KeyTransform(key, "before"), TextField()),
        key_new=Cast(KeyTransform(key, "after"), TextField()),
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# `at` is stamped under the chain lock, so it rises with `id` unless the clock steps back.
# A date bound is also turned into an id bound one hour wider, which lets the list start (or
# stop) its walk down the primary key at the right place; a row would be missed only after a
# clock step back of more than an hour.
CLOCK_SLACK = dt.timedelta(hours=1)
NO_ID = 2**63 - 1
# Ids no row of the dates can be at or below, or at or above (None: no bound).
IdBounds = tuple[int, int | None]


def _first_from(instant: dt.datetime) -> QuerySet[AuditEntry, tuple[int]]:
    """The id of the first row stamped at or after `instant` (none when there is none)."""
    return AuditEntry.objects.filter(at__gte=instant).order_by("at", "id").values_list("id")[:1]


def _last_before(instant: dt.datetime) -> QuerySet[AuditEntry, tuple[int]]:
    """The id of the last row stamped before `instant` (none when there is none)."""
    return AuditEntry.objects.filter(at__lt=instant).order_by("-at", "-id").values_list("id")[:1]


def _outcome_exists(**conditions: Any) -> Exists:
    # An outcome is written after its intent. Saying so (`id > pk`) makes the correlation
    # more than an equality, which keeps PostgreSQL from answering an EXISTS under an OR with
    # a hash of every matching outcome (half the table read to show one page).
    return Exists(
        AuditEntry.objects.filter(
            intent_id=OuterRef("pk"),
            id__gt=OuterRef("pk"),
            phase=AuditEntry.Phase.OUTCOME,
            **conditions,
        )
    )


def _failed_intent_ids() -> QuerySet[AuditEntry, int]:
    return (
        AuditEntry.objects.filter(
            phase=AuditEntry.Phase.OUTCOME, outcome=AuditEntry.Outcome.FAILURE
        )
        .order_by("-intent_id")
        .values_list("intent_id", flat=True)
    )


def _user_ids(username: str) -> list[int]:
    # A list, not a subquery: the planner estimates the user's rows from the actor's id.
    users = get_user_model().objects.filter(username=username)
    return list(users.values_list("pk", flat=True))


def filtered_events(filters: AuditFilters) -> QuerySet[AuditEntry]:
    """Intent and observed rows matching `filters`, newest first (not yet limited)."""
    rows = _filtered_events(filters)
    if filters.outcome == Outcome.FAILURE:
        rows = rows.filter(pk__in=_failed_intent_ids().order_by())
    return rows


def _filtered_events(filters: AuditFilters, bounds: IdBounds | None = None) -> QuerySet[AuditEntry]:
    """`filtered_events` but for the failure filter, which `_failed_page` walks its own way.

    `bounds` are the dates' `_id_bounds`, when the caller has them.
    """
    rows = AuditEntry.objects.filter(phase__in=EVENT_PHASES)
    if filters.username:
        rows = rows.filter(actor_id__in=_user_ids(filters.username))
    if filters.action:
        rows = rows.filter(action=filters.action)
    if filters.resource_type:
        rows = rows.filter(resource_type=filters.resource_type)
    if filters.order_ref:
        order_ref = filters.order_ref.lower()
        # An order's create only learns its ref from CDP's answer, so its outcome names it.
        # One set of ids from the order_ref index, not an OR the planner answers by reading
        # every row newest first.
        named_by_outcome = AuditEntry.objects.filter(
            order_ref=order_ref, phase=AuditEntry.Phase.OUTCOME
        ).values_list("intent_id")
        named = AuditEntry.objects.filter(order_ref=order_ref).values_list("id")
        rows = rows.filter(pk__in=named.union(named_by_outcome))
    if filters.lookups or filters.lookup_hmac:
        rows = rows.filter(phase=AuditEntry.Phase.READ, action__in=LOOKUP_ACTIONS)
    if filters.lookup_hmac:
        # The hash of the value a reviewer typed, never the value (orders.services.guests).
        rows = rows.filter(request_payload__value_hmac=filters.lookup_hmac)
    if filters.key:
        rows = _with_key_text(rows, filters.key).filter(_key_q(filters.key))
    if filters.outcome == Outcome.OBSERVED:
        rows = rows.filter(phase=AuditEntry.Phase.OBSERVED)
    elif filters.outcome == Outcome.SUCCESS:
        rows = rows.filter(
            _outcome_exists(outcome=filters.outcome)
            | Q(phase=AuditEntry.Phase.READ, outcome=filters.outcome)
        )
    elif filters.outcome == Outcome.UNKNOWN:
        rows = rows.filter(phase=AuditEntry.Phase.INTENT).exclude(_outcome_exists())
    if filters.since or filters.until:
        # The dates' rows are found by their ids. The planner judges an id range well: ids are
        # dense, and it reads the newest from the index. It misjudges a date range whose rows
        # are new since the last ANALYZE (a busy day looked like 4 rows where 16,000 were),
        # or packed (the trail's first day), and then read every row of the range by the
        # index on `at` and sorted them, to show fifty. `at` is then compared unindexed.
        floor, ceiling = bounds or _id_bounds(filters)
        rows = rows.filter(id__gt=floor)
        if ceiling is not None:
            rows = rows.filter(id__lt=ceiling)
    if filters.since:
        rows = rows.filter(GreaterThanOrEqual(_UNINDEXED_AT, _day_start(filters.since)))
    if filters.until:
        end = _day_start(filters.until + dt.timedelta(days=1))
        rows = rows.filter(LessThan(_UNINDEXED_AT, end))
    return rows.order_by("-id")


# `at` as an expression no index serves, with the default estimate (a third) for a bound on it.
_UNINDEXED_AT = ExpressionWrapper(F("at") + Value(dt.timedelta(0)), output_field=DateTimeField())


# What pages read of an event's outcome (its words, CDP's answer, when and by whom); the
# rest of the row (hashes, the request it answers) is loaded only if something asks for it.
OUTCOME_FIELDS = (
    "id",
    "intent_id",
    "phase",
    "at",
    "actor_username",
    "outcome",
    "cdp_status",
    "error_message",
    "after",
)


# A row's id and PostgreSQL's version of it: what a page reads first (see `orders.selectors.memo`).
RowKey = tuple[int, str]
RowKeys = QuerySet[AuditEntry, RowKey]
ROW_VERSION = RawSQL(f'"{AuditEntry._meta.db_table}"."xmin"::text', (), TextField())
_EVENTS: Memo[RowKey, AuditEntry] = Memo(1_000)
_OUTCOMES: Memo[RowKey, AuditEntry] = Memo(1_000)


def _keys(rows: QuerySet[AuditEntry]) -> RowKeys:
    return rows.annotate(row_version=ROW_VERSION).values_list("id", "row_version")


@functools.cache
def _rows_sql(kind: str) -> str:
    """Rows by id (param: an array of ids) with their version, as `_loaded` reads them.

    Raw SQL: compiling `id__in=[fifty ids]` costs the ORM more than the query itself, on
    every page of every list.
    """
    quote = connection.ops.quote_name
    meta = AuditEntry._meta
    fields = [
        field
        for field in meta.concrete_fields
        if kind == "event" or field.attname in OUTCOME_FIELDS
    ]
    columns = ", ".join(quote(str(field.column)) for field in fields)
    return (
        f"SELECT {columns}, {ROW_VERSION.sql} AS row_version FROM {quote(meta.db_table)}"
        f" WHERE {quote('id')} = ANY(%s)"
    )


def _loaded(
    keys: Iterable[RowKey], memo: Memo[RowKey, AuditEntry], kind: str
) -> dict[int, AuditEntry]:
    """The rows of `keys` by id: those this process holds at that version, the rest read."""
    found: dict[int, AuditEntry] = {}
    missing = []
    for key in keys:
        row = memo.get(key)
        if row is None:
            missing.append(key[0])
        else:
            found[key[0]] = row
    if missing:
        for row in AuditEntry.objects.raw(_rows_sql(kind), [missing]):
            found[row.pk] = memo.put((row.pk, row.row_version), row)  # type: ignore[attr-defined]
    return found


@functools.cache
def _outcome_keys_sql() -> str:
    """The outcome rows' keys of some intents (params: the phase, an array of intent ids)."""
    quote = connection.ops.quote_name
    return (
        f"SELECT {quote('id')}, {ROW_VERSION.sql}, {quote('intent_id')}"
        f" FROM {quote(AuditEntry._meta.db_table)}"
        f" WHERE {quote('phase')} = %s AND {quote('intent_id')} = ANY(%s) ORDER BY {quote('id')}"
    )


def _pair_outcomes(entries: Sequence[AuditEntry]) -> list[Event]:
    intent_ids = [e.pk for e in entries if e.phase == AuditEntry.Phase.INTENT]
    if not intent_ids:
        return [Event(entry) for entry in entries]
    latest: dict[int, RowKey] = {}
    with connection.cursor() as cursor:
        cursor.execute(_outcome_keys_sql(), [AuditEntry.Phase.OUTCOME.value, intent_ids])
        for outcome_id, version, intent_id in cursor.fetchall():
            # The latest outcome stands: a change in doubt can be resolved by a later one.
            latest[intent_id] = (outcome_id, version)
    outcomes = _loaded(latest.values(), _OUTCOMES, "outcome")
    by_intent = {intent_id: outcomes.get(key[0]) for intent_id, key in latest.items()}
    return [Event(entry, by_intent.get(entry.pk)) for entry in entries]


# Takes the rows' keys (already below `before_id`), `before_id` and how many to find.
Walk = Callable[[RowKeys, int | None, int], list[RowKey]]


def _page(
    rows: QuerySet[AuditEntry], before_id: int | None, limit: int, *, walk: Walk | None = None
) -> EventPage:
    limit = _page_size(limit)
    if before_id is not None:
        rows = rows.filter(id__lt=before_id)
    keys = _keys(rows)
    found = list(keys[: limit + 1]) if walk is None else walk(keys, before_id, limit + 1)
    return _event_page(found, limit)


def _page_size(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def _event_page(keys: Sequence[RowKey], limit: int) -> EventPage:
    """The first `limit` of the rows of `keys` (read one beyond, to know whether more follow)."""
    more = len(keys) > limit
    keys = keys[:limit]
    entries = _loaded(keys, _EVENTS, "event")
    shown = [entries[pk] for pk, _ in keys if pk in entries]
    return EventPage(_pair_outcomes(shown), keys[-1][0] if more else None)


FIRST_FAILURE_CHUNK = 500
FIRST_USER_CHUNK = 500
MAX_CHUNK_GROWTH = 8
# A user with fewer rows than this has their failures found by walking their own rows.
FEW_USER_ROWS = 10_000


def _has_few_rows(username: str) -> bool:
    """Whether the user's rows in the trail are fewer than FEW_USER_ROWS (counted up to it)."""
    theirs = AuditEntry.objects.filter(actor_id__in=_user_ids(username)).values("id")
    return theirs[:FEW_USER_ROWS].count() < FEW_USER_ROWS


def _id_bounds(filters: AuditFilters) -> IdBounds:
    """Ids no matching row can be at or below, or at or above (None: no bound), by the dates."""
    floor, ceiling = 0, None
    if filters.since:
        last = _last_before(_day_start(filters.since) - CLOCK_SLACK).first()
        floor = last[0] if last else 0
    if filters.until:
        first = _first_from(_day_start(filters.until + dt.timedelta(days=1)) + CLOCK_SLACK).first()
        ceiling = first[0] if first else None
    return floor, ceiling


def _failed_entries(
    bounds: IdBounds, rows: RowKeys, before_id: int | None, count: int
) -> list[RowKey]:
    """The first `count` of `rows` whose intent failed, walking failures newest first.

    Failures are a few percent of the trail, with their own index. Left to itself the planner
    misjudges how many rows both match the other filters and failed (it cannot know they
    correlate), and reads every candidate of a broad filter such as a key; so the failed
    intents' ids are taken from that index in growing chunks, newest first, and the other
    filters applied to each chunk, until the page is full or the walk leaves the dates' bounds.
    """
    failed = _failed_intent_ids()
    return _entries_among(failed, "intent_id", FIRST_FAILURE_CHUNK, bounds, rows, before_id, count)


def _users_entries(
    filters: AuditFilters,
    bounds: IdBounds,
    rows: RowKeys,
    before_id: int | None,
    count: int,
) -> list[RowKey]:
    """The first `count` of `rows` (a user's, with a key), walking the user's rows newest first.

    A user's rows are a few percent of the trail, and so are a key's; the planner takes the
    two as independent and reads the whole trail newest first for the few rows both match.
    """
    theirs = (
        AuditEntry.objects.filter(actor_id__in=_user_ids(filters.username))
        .order_by("-id")
        .values_list("id", flat=True)
    )
    return _entries_among(theirs, "id", FIRST_USER_CHUNK, bounds, rows, before_id, count)


def _entries_among(
    ids: QuerySet[Any, int],
    column: str,
    chunk_size: int,
    bounds: IdBounds,
    rows: RowKeys,
    before_id: int | None,
    count: int,
) -> list[RowKey]:
    """The first `count` of `rows` whose id is among `ids` (by `column`, newest first).

    The ids are taken in chunks and the filters applied to each, until the page is full or
    the walk leaves the dates' bounds. Each chunk is at least twice the last, and more where
    the matches found so far in the ids walked say the page needs more (a quarter more, so
    that one more chunk is usually enough); after a chunk without a match, or at most,
    `MAX_CHUNK_GROWTH` times the last. Matches cluster (a user's failures in one afternoon),
    so a chunk that found none says more than the rate so far.
    """
    floor, ceiling = bounds
    ids = ids.filter(**{f"{column}__gt": floor})
    found: list[RowKey] = []
    below = min((bound for bound in (before_id, ceiling) if bound is not None), default=None)
    walked = 0
    while len(found) < count:
        window = ids if below is None else ids.filter(**{f"{column}__lt": below})
        # A subquery, not a list of ids: planning a list of thousands costs more than the walk.
        matches = list(rows.filter(pk__in=window[:chunk_size])[: count - len(found)])
        found += matches
        edge = list(window[chunk_size - 1 : chunk_size])
        if not edge:
            break
        below, walked = edge[0], walked + chunk_size
        wanted = (count - len(found)) * walked * 5 // (4 * len(found)) if matches else NO_ID
        chunk_size = min(max(wanted, chunk_size * 2), chunk_size * MAX_CHUNK_GROWTH)
    return found


def _open_intent_ids(filters: AuditFilters) -> QuerySet[OpenIntent, int]:
    """The open intents' ids, newest first, narrowed by the filters an open intent holds."""
    open_ids = OpenIntent.objects.order_by("-intent_id")
    if filters.username:
        open_ids = open_ids.filter(actor_id__in=_user_ids(filters.username))
    if filters.resource_type:
        open_ids = open_ids.filter(resource_type=filters.resource_type)
    elif filters.key:
        open_ids = open_ids.filter(resource_type__in=EXTENSION_RESOURCE_TYPES)
    return open_ids.values_list("intent_id", flat=True)


def _open_entries(
    filters: AuditFilters,
    bounds: IdBounds,
    rows: RowKeys,
    before_id: int | None,
    count: int,
) -> list[RowKey]:
    """The first `count` of `rows` (intents without an outcome), walking open intents newest first.

    A change in doubt is about one intent in a hundred, and no index on the trail can hold
    "has no outcome yet": combined with a broad filter such as a key, the planner reads every
    candidate of that filter and looks for its outcome. The open intents are kept apart
    (`OpenIntent`, with their actor and resource type), so their ids are taken in chunks,
    newest first, and the other filters (the outcome's absence among them) applied to each.
    Most of a chunk matches, so the first is sized by the page.
    """
    return _entries_among(
        _open_intent_ids(filters),
        "intent_id",
        2 * count,
        bounds,
        rows,
        before_id,
        count,
    )


def audit_entries(
    *, filters: AuditFilters, before_id: int | None = None, limit: int = DEFAULT_LIMIT
) -> EventPage:
    """One page of events matching `filters`, newest first; `next_before_id` for the next."""
    if before_id is None and filters.is_empty():
        # The audit list as it opens: its SQL is compiled once per process.
        limit = _page_size(limit)
        return _event_page(_newest_events(limit + 1).tuples(), limit)
    bounds = _id_bounds(filters)
    rows = _filtered_events(filters, bounds)
    if filters.outcome == Outcome.FAILURE:
        if filters.username and _has_few_rows(filters.username):
            # Their rows are fewer than the trail's failures: walk theirs, keeping the failed.
            failed = rows.filter(pk__in=_failed_intent_ids().order_by())
            return _page(failed, before_id, limit, walk=partial(_users_entries, filters, bounds))
        return _page(rows, before_id, limit, walk=partial(_failed_entries, bounds))
    # An order's (or the lookups') few rows are cheaper to check one by one than to walk to.
    few = filters.order_ref or filters.lookups or filters.lookup_hmac
    if filters.outcome == Outcome.UNKNOWN and not few:
        return _page(rows, before_id, limit, walk=partial(_open_entries, filters, bounds))
    if filters.username and filters.key and not few:
        return _page(rows, before_id, limit, walk=partial(_users_entries, filters, bounds))
    return _page(rows, before_id, limit)


@functools.cache
def _newest_events(limit: int) -> CompiledQuery[AuditEntry]:
    return CompiledQuery(lambda: _keys(_filtered_events(AuditFilters()))[:limit])


_SAMPLE_ORDER_REF = "00000000-0000-4000-8000-5a3b1e0f0c1d"


@functools.cache
def _order_events(limit: int) -> CompiledQuery[AuditEntry]:
    return CompiledQuery(
        lambda order_ref: _keys(_filtered_events(AuditFilters(order_ref=order_ref)))[:limit],
        order_ref=_SAMPLE_ORDER_REF,
    )


def audit_entries_for_order(
    *, order_ref: str, before_id: int | None = None, limit: int = 20
) -> EventPage:
    """An order's history (the order, its items, people and extensions), newest first.

    The first page, which every order page shows, runs SQL compiled once per process.
    """
    if before_id is None and REF_RE.fullmatch(order_ref):
        limit = _page_size(limit)
        return _event_page(_order_events(limit + 1).tuples(order_ref=order_ref.lower()), limit)
    return audit_entries(
        filters=AuditFilters(order_ref=order_ref), before_id=before_id, limit=limit
    )


@dataclass(frozen=True)
class KeyChange:
    """One change to an extension key: where, old → new, who, and what CDP said."""

    event: Event
    old: Any
    new: Any
    removed: bool


def _key_change(event: Event, key: str) -> KeyChange:
    entry = event.entry
    before = entry.before if isinstance(entry.before, dict) else {}
    old = before.get(key)
    if entry.phase == AuditEntry.Phase.OBSERVED:
        after = entry.after if isinstance(entry.after, dict) else {}
        return KeyChange(event, old, after.get(key), key not in after)
    payload = entry.request_payload if isinstance(entry.request_payload, dict) else {}
    if entry.action.endswith(".delete_keys") or (
        entry.action.endswith(".replace") and key not in payload
    ):
        return KeyChange(event, old, None, True)
    return KeyChange(event, old, payload.get(key), False)


def key_history(
    *, key: str, before_id: int | None = None, limit: int = DEFAULT_LIMIT
) -> tuple[list[KeyChange], int | None]:
    """Every recorded change to extension key `key`, newest first, keyset-paged."""
    page = audit_entries(filters=AuditFilters(key=key), before_id=before_id, limit=limit)
    return [_key_change(event, key) for event in page], page.next_before_id


def chain_head() -> tuple[int, str]:
    """The id and hash of the newest row (0 and the genesis hash when the trail is empty)."""
    head = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
    return head if head else (0, GENESIS_HASH)


# --- Export format -------------------------------------------------------------------------

EXPORT_COLUMNS = ("id", "hash", *HASHED_FIELDS)
# The export's header: the hashed columns, then the change in words (not hashed; ignored on
# verification, so an export verifies the same with or without it).
DESCRIPTION_COLUMN = "description"
DESCRIBED_COLUMNS = (*EXPORT_COLUMNS, DESCRIPTION_COLUMN)
JSON_COLUMNS = frozenset({"request_payload", "before", "after"})
NULLABLE_INT_COLUMNS = frozenset({"actor_id", "cdp_status", "intent_id", "reverts_id"})
HEAD_MARKER = "# chain head at export time"
# A spreadsheet runs a cell starting with one of these as a formula; `'` is guarded too so
# that un-guarding is exact (a value that really starts with `'` keeps it).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def guard_cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def unguard_cell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def export_cells(row: Mapping[str, Any]) -> list[str]:
    """One exported row: every hashed field as text, guarded against formula injection."""
    cells = []
    for name in EXPORT_COLUMNS:
        value = row[name]
        if name in JSON_COLUMNS:
            text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        elif isinstance(value, dt.datetime):
            text = canonical_time(value)
        else:
            text = "" if value is None else str(value)
        cells.append(guard_cell(text))
    return cells


def parse_export_cells(cells: Sequence[str]) -> dict[str, Any]:
    """The inverse of `export_cells`: the row's values as `orders.audit.compute_hash` sees them.

    `at` stays the canonical string, which hashes the same as the datetime it came from.
    """
    if len(cells) == len(DESCRIBED_COLUMNS):
        cells = cells[: len(EXPORT_COLUMNS)]
    if len(cells) != len(EXPORT_COLUMNS):
        raise ValueError(f"expected {len(EXPORT_COLUMNS)} cells, found {len(cells)}")
    row: dict[str, Any] = {}
    for name, cell in zip(EXPORT_COLUMNS, cells, strict=True):
        text = unguard_cell(cell)
        if name in JSON_COLUMNS:
            row[name] = json.loads(text)
        elif name == "id" or name in NULLABLE_INT_COLUMNS:
            row[name] = int(text) if text else None
        else:
            row[name] = text
    return row


def export_rows(
    filters: AuditFilters, *, up_to_id: int, batch_size: int = 2000
) -> Iterator[dict[str, Any]]:
    """The rows to export, in keyset batches (constant memory), none newer than `up_to_id`.

    Unfiltered, that is the whole chain in id order. Filtered, each matching event is
    followed by its outcome rows, so a change is exported whole.
    """
    if filters.is_empty():
        rows = AuditEntry.objects.filter(id__lte=up_to_id).order_by("id")
    else:
        rows = filtered_events(filters).filter(id__lte=up_to_id).order_by("id")
    last_id = 0
    while True:
        batch = list(rows.filter(id__gt=last_id).values(*EXPORT_COLUMNS)[:batch_size])
        if not batch:
            return
        last_id = batch[-1]["id"]
        if filters.is_empty():
            yield from batch
            continue
        outcomes: dict[int, list[dict[str, Any]]] = {}
        for outcome in (
            AuditEntry.objects.filter(intent_id__in=[row["id"] for row in batch], id__lte=up_to_id)
            .order_by("id")
            .values(*EXPORT_COLUMNS)
        ):
            outcomes.setdefault(outcome["intent_id"], []).append(outcome)
        for row in batch:
            yield row
            yield from outcomes.get(row["id"], ())
