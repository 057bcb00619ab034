"""Audit selectors: filters, keyset pages, intents paired with outcomes in constant queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from orders.audit import append_entry
from orders.models import AuditEntry, OpenIntent
from orders.selectors import (
    AuditFilters,
    Outcome,
    audit_entries,
    audit_entries_for_order,
    key_history,
)
from tests.orders.audit_helpers import ORDER_A, ORDER_B, record_change

pytestmark = pytest.mark.integration


def ext_set(actor, key, old, new, order_ref=ORDER_A):
    return record_change(
        actor=actor,
        action="orders.order_extension.set",
        resource_type="order_extension",
        order_ref=order_ref,
        payload={key: new},
        before={} if old is None else {key: old},
        after={key: new},
    )


def test_first_page_is_newest_first_with_outcomes_paired(cs_user) -> None:
    first, first_outcome = record_change(actor=cs_user, payload={"price": 1})
    second, second_outcome = record_change(actor=cs_user, payload={"price": 2})

    page = audit_entries(filters=AuditFilters())

    assert [(e.entry, e.outcome) for e in page] == [
        (second, second_outcome),
        (first, first_outcome),
    ]
    assert page.next_before_id is None


def test_keyset_pages_cover_every_event_once_without_overlap(cs_user) -> None:
    made = [record_change(actor=cs_user, payload={"price": n})[0].pk for n in range(7)]

    seen, before_id = [], None
    while True:
        page = audit_entries(filters=AuditFilters(), before_id=before_id, limit=3)
        seen += [event.entry.pk for event in page]
        before_id = page.next_before_id
        if before_id is None:
            break

    assert seen == sorted(made, reverse=True)


@pytest.mark.parametrize("page_size", [1, 5, 20])
def test_a_page_costs_four_queries_whatever_its_size_and_two_once_its_rows_are_held(
    cs_user, page_size, django_assert_num_queries
) -> None:
    for n in range(25):
        record_change(actor=cs_user, payload={"price": n})

    # The rows' keys, the rows, their outcomes' keys, the outcomes.
    with django_assert_num_queries(4):
        page = audit_entries(filters=AuditFilters(), limit=page_size)
        assert all(event.outcome is not None for event in page)
    with django_assert_num_queries(2):
        again = audit_entries(filters=AuditFilters(), limit=page_size)

    assert len(page) == page_size
    assert [(e.entry.pk, e.outcome.pk) for e in again] == [(e.entry.pk, e.outcome.pk) for e in page]
    assert [e.entry.request_payload for e in again] == [
        {"price": n} for n in range(24, 24 - page_size, -1)
    ]


def test_a_later_outcome_is_paired_though_its_intent_was_held(cs_user) -> None:
    intent, _ = record_change(actor=cs_user, payload={"price": 3}, outcome=None)
    assert audit_entries(filters=AuditFilters()).events[0].outcome is None

    # CDP's answer, recorded later (a change in doubt resolved).
    outcome = append_entry(
        action=intent.action, phase="outcome", intent=intent, outcome="success", cdp_status=200
    )

    event = audit_entries(filters=AuditFilters()).events[0]
    assert (event.entry.pk, event.outcome.pk if event.outcome else None) == (intent.pk, outcome.pk)


@pytest.mark.django_db(transaction=True)
def test_a_row_rewritten_behind_the_trail_is_read_again(cs_user) -> None:
    intent, outcome = record_change(actor=cs_user, payload={"price": 1})
    event = audit_entries(filters=AuditFilters()).events[0]
    assert (event.entry.request_payload, event.outcome.error_message) == ({"price": 1}, "")

    # As someone with DDL rights could, in a transaction of their own: a new row version.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE orders_auditentry DISABLE TRIGGER USER")
        try:
            cursor.execute(
                "UPDATE orders_auditentry SET request_payload = '{\"price\": 9}' WHERE id = %s",
                [intent.pk],
            )
            cursor.execute(
                "UPDATE orders_auditentry SET error_message = 'rewritten' WHERE id = %s",
                [outcome.pk],
            )
        finally:
            cursor.execute("ALTER TABLE orders_auditentry ENABLE TRIGGER USER")

    event = audit_entries(filters=AuditFilters()).events[0]
    assert (event.entry.request_payload, event.outcome.error_message) == ({"price": 9}, "rewritten")


def test_order_ref_filter_keeps_only_that_orders_events(cs_user) -> None:
    mine, _ = record_change(actor=cs_user, order_ref=ORDER_A)
    record_change(actor=cs_user, order_ref=ORDER_B)

    page = audit_entries_for_order(order_ref=ORDER_A.upper().lower())

    assert [event.entry for event in page] == [mine]


def test_username_filter_finds_the_users_events_and_an_unknown_user_none(
    cs_user, marketing_user
) -> None:
    record_change(actor=cs_user)
    theirs, _ = record_change(actor=marketing_user)

    assert [e.entry for e in audit_entries(filters=AuditFilters(username="morgan"))] == [theirs]
    assert len(audit_entries(filters=AuditFilters(username="nobody"))) == 0


def test_action_and_resource_type_filters(cs_user) -> None:
    record_change(actor=cs_user)
    ext, _ = ext_set(cs_user, "loyaltyTier", None, "gold")

    by_action = audit_entries(filters=AuditFilters(action="orders.order_extension.set"))
    by_type = audit_entries(filters=AuditFilters(resource_type="order_extension"))

    assert [e.entry for e in by_action] == [ext]
    assert [e.entry for e in by_type] == [ext]


def test_outcome_filters_tell_success_failure_unknown_and_observed_apart(cs_user) -> None:
    ok, _ = record_change(actor=cs_user)
    failed, _ = record_change(actor=cs_user, outcome=AuditEntry.Outcome.FAILURE)
    unknown, _ = record_change(actor=cs_user, outcome=None)
    observed = append_entry(
        action="orders.order.observed_change",
        phase=AuditEntry.Phase.OBSERVED,
        resource_type="order",
        order_ref=ORDER_A,
        before={"price": 1},
        after={"price": 2},
    )

    def only(outcome: str) -> list[AuditEntry]:
        return [e.entry for e in audit_entries(filters=AuditFilters(outcome=outcome))]

    assert only(Outcome.SUCCESS) == [ok]
    assert only(Outcome.FAILURE) == [failed]
    assert only(Outcome.UNKNOWN) == [unknown]
    assert only(Outcome.OBSERVED) == [observed]


def test_key_filter_finds_sets_removals_and_observed_changes_of_that_key(cs_user) -> None:
    set_entry, _ = ext_set(cs_user, "loyaltyTier", None, "gold")
    ext_set(cs_user, "seatPreference", None, "aisle")
    removal, _ = record_change(
        actor=cs_user,
        action="orders.order_extension.delete_keys",
        resource_type="order_extension",
        payload={"name": ["loyaltyTier"]},
        before={"loyaltyTier": "gold"},
        after={},
    )
    observed = append_entry(
        action="orders.order_extension.observed_change",
        phase=AuditEntry.Phase.OBSERVED,
        resource_type="order_extension",
        order_ref=ORDER_A,
        before={"loyaltyTier": 0, "seatPreference": "aisle"},
        after={"loyaltyTier": False, "seatPreference": "aisle"},
    )
    append_entry(  # seatPreference did not change in this one
        action="orders.order_extension.observed_change",
        phase=AuditEntry.Phase.OBSERVED,
        resource_type="order_extension",
        order_ref=ORDER_B,
        before={"loyaltyTier": 1, "seatPreference": "aisle"},
        after={"loyaltyTier": 1.0, "seatPreference": "aisle"},
    )

    page = audit_entries(filters=AuditFilters(key="loyaltyTier"))

    assert [e.entry.pk for e in page][1:] == [observed.pk, removal.pk, set_entry.pk]
    assert page.events[0].entry.order_ref == ORDER_B  # 1 → 1.0 is a change of type
    seat = [e.entry.pk for e in audit_entries(filters=AuditFilters(key="seatPreference"))]
    assert observed.pk not in seat


def test_key_history_gives_old_and_new_values_with_exact_types(cs_user) -> None:
    ext_set(cs_user, "vip", None, 0)
    ext_set(cs_user, "vip", 0, False)

    changes, _ = key_history(key="vip")

    assert [(c.old, c.new) for c in changes] == [(0, False), (None, 0)]
    assert type(changes[0].new) is bool


def test_date_range_filter_uses_whole_days(cs_user) -> None:
    today = timezone.localdate()
    entry, _ = record_change(actor=cs_user)

    assert len(audit_entries(filters=AuditFilters(since=today, until=today))) == 1
    assert len(audit_entries(filters=AuditFilters(until=today - dt.timedelta(days=1)))) == 0
    assert len(audit_entries(filters=AuditFilters(since=today + dt.timedelta(days=1)))) == 0
    assert entry.pk


def test_date_bounds_keep_a_row_stamped_out_of_order_by_less_than_an_hour(cs_user) -> None:
    day = dt.date(2026, 3, 2)

    def at(hour: int, minute: int) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    early, _ = record_change(actor=cs_user, at=at(10, 0))
    late, _ = record_change(actor=cs_user, at=at(23, 30))
    next_day, _ = record_change(actor=cs_user, at=at(23, 59) + dt.timedelta(minutes=31))
    # Written after the next day's row, stamped before midnight: the clock stepped back.
    straggler, _ = record_change(actor=cs_user, at=at(23, 50))
    much_later, _ = record_change(actor=cs_user, at=at(23, 0) + dt.timedelta(days=3))

    def ids(**filters: dt.date) -> list[int]:
        return [event.entry.pk for event in audit_entries(filters=AuditFilters(**filters))]

    assert ids(until=day) == [straggler.pk, late.pk, early.pk]
    assert ids(since=day + dt.timedelta(days=1)) == [much_later.pk, next_day.pk]
    assert ids(since=day, until=day) == [straggler.pk, late.pk, early.pk]
    assert ids(since=day + dt.timedelta(days=3)) == [much_later.pk]


def every_page(filters: AuditFilters, *, limit: int) -> list[Any]:
    """Every event `filters` lists, page after page of `limit`."""
    events: list[Any] = []
    before_id = None
    while True:
        page = audit_entries(filters=filters, before_id=before_id, limit=limit)
        events += list(page)
        before_id = page.next_before_id
        if before_id is None:
            return events


def test_failure_filter_pages_through_failures_in_chunks_with_other_filters(
    cs_user, monkeypatch
) -> None:
    monkeypatch.setattr("orders.selectors.audit.FIRST_FAILURE_CHUNK", 1)
    failed_on_a = []
    for n in range(6):
        order_ref = ORDER_A if n % 2 == 0 else ORDER_B
        intent, _ = record_change(actor=cs_user, order_ref=order_ref, outcome="failure")
        record_change(actor=cs_user, order_ref=ORDER_A)  # succeeded: never listed
        if order_ref == ORDER_A:
            failed_on_a.append(intent.pk)

    listed = every_page(AuditFilters(outcome=Outcome.FAILURE, order_ref=ORDER_A), limit=2)
    seen = [(event.entry.pk, event.status) for event in listed]

    assert seen == [(pk, Outcome.FAILURE) for pk in reversed(failed_on_a)]


@pytest.mark.parametrize("few_user_rows", [1, 10_000])
def test_a_users_failures_are_the_same_whichever_rows_are_walked(
    cs_user, marketing_user, monkeypatch, few_user_rows: int
) -> None:
    # Walking the trail's failures (a user with many rows) or the user's own rows (few)
    # lists the same changes, page by page.
    monkeypatch.setattr("orders.selectors.audit.FEW_USER_ROWS", few_user_rows)
    monkeypatch.setattr("orders.selectors.audit.FIRST_FAILURE_CHUNK", 1)
    monkeypatch.setattr("orders.selectors.audit.FIRST_USER_CHUNK", 1)
    theirs = []
    for _ in range(3):
        theirs.append(record_change(actor=cs_user, outcome="failure")[0].pk)
        record_change(actor=cs_user)  # succeeded: never listed
        record_change(actor=marketing_user, outcome="failure")  # someone else's
    record_change(actor=cs_user, outcome=None)  # no outcome yet: not a failure

    listed = every_page(AuditFilters(outcome=Outcome.FAILURE, username=cs_user.username), limit=2)
    seen = [(event.entry.pk, event.status) for event in listed]

    assert seen == [(pk, Outcome.FAILURE) for pk in reversed(theirs)]


def test_failure_filter_with_dates_keeps_to_the_days(cs_user, monkeypatch) -> None:
    monkeypatch.setattr("orders.selectors.audit.FIRST_FAILURE_CHUNK", 1)
    day = dt.date(2026, 3, 2)

    def failed_on(offset: int) -> int:
        at = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(12)))
        return record_change(actor=cs_user, outcome="failure", at=at)[0].pk

    first, second, third = failed_on(0), failed_on(1), failed_on(2)

    def ids(**filters: dt.date) -> list[int]:
        page = audit_entries(filters=AuditFilters(outcome=Outcome.FAILURE, **filters))
        return [event.entry.pk for event in page]

    assert ids(since=day + dt.timedelta(days=1)) == [third, second]
    assert ids(until=day + dt.timedelta(days=1)) == [second, first]
    assert ids(since=day + dt.timedelta(days=1), until=day + dt.timedelta(days=1)) == [second]
    assert ids(since=day + dt.timedelta(days=3)) == []


def test_order_filter_finds_a_create_whose_outcome_names_the_order(cs_user) -> None:
    # A create learns the order's ref from CDP's answer: only its outcome row carries it.
    create, _ = record_change(actor=cs_user, action="orders.order.create", order_ref="")
    record_change(actor=cs_user, order_ref=ORDER_B)
    patch, _ = record_change(actor=cs_user, order_ref=ORDER_A)
    append_entry(
        action="orders.order.create",
        phase=AuditEntry.Phase.OUTCOME,
        resource_type="order",
        order_ref=ORDER_A,
        intent=create,
        outcome=AuditEntry.Outcome.SUCCESS,
    )

    page = audit_entries_for_order(order_ref=ORDER_A)

    assert [event.entry.pk for event in page] == [patch.pk, create.pk]


def test_success_filter_keeps_accepted_changes_and_successful_lookups(cs_user) -> None:
    accepted, _ = record_change(actor=cs_user)
    record_change(actor=cs_user, outcome=AuditEntry.Outcome.FAILURE)
    record_change(actor=cs_user, outcome=None)
    lookup = append_entry(
        action="guests.lookup",
        phase=AuditEntry.Phase.READ,
        resource_type="guest",
        outcome=AuditEntry.Outcome.SUCCESS,
    )

    page = audit_entries(filters=AuditFilters(outcome=Outcome.SUCCESS))

    assert [(event.entry.pk, event.status) for event in page] == [
        (lookup.pk, Outcome.SUCCESS),
        (accepted.pk, Outcome.SUCCESS),
    ]


def unknown_pages(filters: AuditFilters, limit: int) -> list[int]:
    seen, before_id = [], None
    while True:
        page = audit_entries(filters=filters, before_id=before_id, limit=limit)
        assert all(event.status == Outcome.UNKNOWN for event in page)
        seen += [event.entry.pk for event in page]
        before_id = page.next_before_id
        if before_id is None:
            return seen


def test_key_and_unknown_filters_page_through_chunks_newest_first(cs_user) -> None:
    in_doubt = []
    for n in range(9):
        key = "loyaltyTier" if n % 3 else "seatPreference"
        intent, _ = ext_set(cs_user, key, None, n)  # answered: never listed
        if n % 2:
            intent, _ = record_change(
                actor=cs_user,
                action="orders.order_extension.set",
                resource_type="order_extension",
                payload={key: n},
                outcome=None,
            )
            if key == "loyaltyTier":
                in_doubt.append(intent.pk)
        record_change(actor=cs_user, outcome=None)  # in doubt, another resource

    filters = AuditFilters(key="loyaltyTier", outcome=Outcome.UNKNOWN)

    assert len(in_doubt) == 3
    assert unknown_pages(filters, limit=1) == sorted(in_doubt, reverse=True)
    assert unknown_pages(filters, limit=2) == sorted(in_doubt, reverse=True)


def test_unknown_filter_drops_an_intent_resolved_later_or_by_someone_else(
    cs_user, marketing_user
) -> None:
    open_intent, _ = record_change(actor=cs_user, outcome=None)
    resolved, _ = record_change(actor=cs_user, outcome=None)
    record_change(actor=cs_user)
    # Resolved afterwards, its outcome written by another user and as another resource type:
    # it has an outcome all the same.
    append_entry(
        actor=marketing_user,
        action="orders.order.patch",
        phase=AuditEntry.Phase.OUTCOME,
        resource_type="order_item",
        intent=resolved,
        outcome=AuditEntry.Outcome.SUCCESS,
    )
    theirs, _ = record_change(actor=marketing_user, resource_type="order_item", outcome=None)

    def ids(**filters: Any) -> list[int]:
        return unknown_pages(AuditFilters(outcome=Outcome.UNKNOWN, **filters), limit=1)

    assert ids() == [theirs.pk, open_intent.pk]
    assert ids(username=cs_user.username) == [open_intent.pk]
    assert ids(username="morgan") == [theirs.pk]
    assert ids(resource_type="order") == [open_intent.pk]
    assert ids(username="nobody") == []
    assert ids(lookups=True) == []  # a lookup is a read, never a change in doubt


def test_open_intents_follow_the_trail_whoever_writes_it(cs_user) -> None:
    resolved, _ = record_change(actor=cs_user)
    in_doubt, _ = record_change(actor=cs_user, outcome=None)
    later, _ = record_change(actor=cs_user, outcome=None)
    # Another writer, in SQL of its own: an intent, and the outcome of `later`.
    with connection.cursor() as cursor:
        for phase, intent_id in (("intent", None), ("outcome", later.pk), ("read", None)):
            cursor.execute(
                "INSERT INTO orders_auditentry (at, actor_username, action, phase, resource_type,"
                " resource_ref, order_ref, method, cdp_path, outcome, error_message, request_id,"
                " intent_id, job_id, prev_hash, hash) VALUES (now(), '', 'orders.order.patch',"
                " %s, 'order', '', '', '', '', '', '', '', %s, '', '', md5(random()::text))"
                " RETURNING id",
                [phase, intent_id],
            )
            if phase == "intent":
                theirs = cursor.fetchone()[0]

    open_ids = set(OpenIntent.objects.values_list("intent_id", flat=True))

    assert open_ids == {in_doubt.pk, theirs}
    assert resolved.pk not in open_ids
    assert unknown_pages(AuditFilters(outcome=Outcome.UNKNOWN), limit=1) == [theirs, in_doubt.pk]


def test_unknown_filter_asks_the_trail_not_only_the_open_intents(cs_user) -> None:
    resolved, _ = record_change(actor=cs_user)
    in_doubt, _ = record_change(actor=cs_user, outcome=None)
    OpenIntent.objects.create(intent_id=resolved.pk)  # left behind by a hand edit

    assert unknown_pages(AuditFilters(outcome=Outcome.UNKNOWN), limit=1) == [in_doubt.pk]


def test_unknown_filter_with_dates_keeps_to_the_days(cs_user) -> None:
    day = dt.date(2026, 3, 2)

    def open_on(offset: int) -> int:
        at = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(12)))
        record_change(actor=cs_user, at=at)
        return record_change(actor=cs_user, outcome=None, at=at)[0].pk

    first, second, third = open_on(0), open_on(1), open_on(2)

    def ids(**filters: dt.date) -> list[int]:
        return unknown_pages(AuditFilters(outcome=Outcome.UNKNOWN, **filters), limit=1)

    assert ids(since=day + dt.timedelta(days=1)) == [third, second]
    assert ids(until=day + dt.timedelta(days=1)) == [second, first]
    assert ids(since=day + dt.timedelta(days=1), until=day + dt.timedelta(days=1)) == [second]
    assert ids(since=day + dt.timedelta(days=3)) == []


def test_user_and_key_filters_page_through_the_users_rows_in_chunks(
    cs_user, marketing_user, monkeypatch
) -> None:
    monkeypatch.setattr("orders.selectors.audit.FIRST_USER_CHUNK", 1)
    theirs = []
    for n in range(5):
        theirs.append(ext_set(cs_user, "loyaltyTier", None, n)[0].pk)
        ext_set(cs_user, "seatPreference", None, n)
        ext_set(marketing_user, "loyaltyTier", None, n)

    seen, before_id = [], None
    while True:
        page = audit_entries(
            filters=AuditFilters(username=cs_user.username, key="loyaltyTier"),
            before_id=before_id,
            limit=2,
        )
        seen += [event.entry.pk for event in page]
        before_id = page.next_before_id
        if before_id is None:
            break

    assert seen == sorted(theirs, reverse=True)
    assert len(audit_entries(filters=AuditFilters(username="nobody", key="loyaltyTier"))) == 0
