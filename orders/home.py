"""The home page's reads (recent orders, my changes, jobs, changes to check) and the one
small write it needs: remembering which orders a user opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import DatabaseError, connection
from django.utils import timezone

from orders.changes import ChangeView, change_view, order_reference_id
from orders.models import AuditEntry, BulkJob, RecentlyViewedOrder
from orders.selectors import AuditFilters, Event, Outcome, audit_entries

KEEP_RECENT = 20
_RECENT = RecentlyViewedOrder._meta.db_table
_RECORD_VIEW_SQL = f"""
WITH upserted AS (
    INSERT INTO {_RECENT} (user_id, order_ref, reference_id, viewed_at)
    VALUES (%(user)s, %(ref)s, %(reference_id)s, %(at)s)
    ON CONFLICT (user_id, order_ref)
    DO UPDATE SET reference_id = EXCLUDED.reference_id, viewed_at = EXCLUDED.viewed_at
    RETURNING id
)
DELETE FROM {_RECENT}
WHERE user_id = %(user)s AND order_ref <> %(ref)s AND id NOT IN (
    SELECT id FROM {_RECENT} WHERE user_id = %(user)s AND order_ref <> %(ref)s
    ORDER BY viewed_at DESC, id DESC LIMIT %(others)s
)
"""


def record_order_view(*, user: Any, order_ref: str, reference_id: str) -> None:
    """Remember that `user` opened the order; keeps the newest KEEP_RECENT per user.

    Best effort: the order page must not fail because this bookkeeping did.
    """
    if not getattr(user, "is_authenticated", False):
        return
    # One round trip: upsert this order and drop the user's others beyond the newest
    # KEEP_RECENT - 1 (the DELETE sees the table as it was before the upsert). The two
    # statements run as one implicit transaction that does not wait for the WAL to reach the
    # disk: a crash may forget the last views, and the page does not wait on a flush for them.
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL synchronous_commit TO OFF; " + _RECORD_VIEW_SQL,
                {
                    "user": user.pk,
                    "ref": order_ref,
                    "reference_id": str(reference_id or "")[:255],
                    "at": timezone.now(),
                    "others": KEEP_RECENT - 1,
                },
            )
    except DatabaseError:
        pass


def recently_viewed(*, user: Any, limit: int = 10) -> list[RecentlyViewedOrder]:
    return list(RecentlyViewedOrder.objects.filter(user=user).order_by("-viewed_at")[:limit])


def _recorded_reference_id(column: str) -> str:
    # `order_reference_id`'s test in SQL: a non-empty string, else NULL.
    return (
        f"CASE WHEN jsonb_typeof({column} -> 'referenceId') = 'string'"
        f" THEN NULLIF({column} ->> 'referenceId', '') END"
    )


# What order pages showed (0), then each order's newest own audit row that recorded a
# referenceId (1); one statement, the refs as one array parameter.
_REFERENCE_IDS_SQL = f"""
SELECT 0, order_ref, reference_id FROM {_RECENT}
WHERE order_ref = ANY(%(refs)s) AND reference_id <> ''
UNION ALL (
    SELECT DISTINCT ON (order_ref) 1, order_ref, COALESCE(
        {_recorded_reference_id("request_payload")},
        {_recorded_reference_id("before")},
        {_recorded_reference_id("after")}
    )
    FROM {AuditEntry._meta.db_table}
    WHERE order_ref = ANY(%(refs)s) AND resource_type = 'order'
        AND (before ? 'referenceId' OR after ? 'referenceId')
    ORDER BY order_ref, id DESC
)
"""


def reference_ids_for(order_refs: Iterable[str]) -> dict[str, str]:
    """referenceIds cdpadmin already holds for these orders (no CDP call): from what order
    pages showed, else from the orders' own audit rows. One query.
    """
    wanted = sorted({ref for ref in order_refs if ref})
    found: dict[str, str] = {}
    if not wanted:
        return found
    with connection.cursor() as cursor:
        cursor.execute(_REFERENCE_IDS_SQL, {"refs": wanted})
        rows = cursor.fetchall()
    for _source, order_ref, reference_id in sorted(rows, key=lambda row: row[0]):
        if reference_id:
            found.setdefault(order_ref, reference_id)
    return found


def change_views(
    events: Iterable[Event], known: Mapping[str, str] | None = None
) -> list[ChangeView]:
    """Events in the shared vocabulary, each order named by its referenceId when known.

    `known` maps order refs to referenceIds the caller already has (the order page).
    """
    events = list(events)
    names = dict(known or {})
    unnamed = [
        e.entry.order_ref
        for e in events
        if e.entry.order_ref not in names and not order_reference_id(e.entry, e.outcome)
    ]
    names.update(reference_ids_for(unnamed))
    return [change_view(event.entry, event.outcome, names) for event in events]


def my_recent_changes(*, user: Any, limit: int = 10) -> list[ChangeView]:
    page = audit_entries(filters=AuditFilters(username=user.get_username()), limit=limit)
    return change_views(page)


def changes_to_check(*, user: Any | None = None, limit: int = 10) -> list[ChangeView]:
    """Changes recorded as intents with no outcome (CDP may or may not have applied them);
    only `user`'s own when one is given."""
    username = user.get_username() if user is not None else ""
    page = audit_entries(
        filters=AuditFilters(username=username, outcome=Outcome.UNKNOWN), limit=limit
    )
    return change_views(page)


def latest_jobs(*, user: Any | None = None, limit: int = 5) -> list[BulkJob]:
    jobs = BulkJob.objects.select_related("created_by").order_by("-created_at")
    if user is not None:
        jobs = jobs.filter(created_by=user)
    return list(jobs[:limit])
