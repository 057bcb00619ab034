"""The change vocabulary: one sentence per action type, outcomes in words, orders by name."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from orders.changes import change_sentence, change_view, export_description, outcome_text
from orders.display import moment, money, relative, status_label

pytestmark = pytest.mark.unit

ORDER_REF = "f6f62c28-e927-4b48-af62-e63a1a5356b5"
JOB = "3f2a9c1e-0000-4000-8000-000000000000"


def row(action: str, *, phase: str = "intent", **fields: Any) -> SimpleNamespace:
    values = {
        "resource_type": action.split(".")[1],
        "phase": phase,
        "action": action,
        "order_ref": ORDER_REF,
        "actor_username": "demo",
        "request_payload": None,
        "before": None,
        "after": None,
        "outcome": "",
        "cdp_status": None,
        "error_message": "",
        "intent_id": None,
        "reverts_id": None,
        "job_id": "",
    }
    values.update(fields)
    return SimpleNamespace(**values)


SENTENCES = [
    (
        row("orders.order.create", request_payload={"referenceId": "DEMO-9", "price": 10}),
        "demo created order DEMO-9",
    ),
    (
        row(
            "orders.order.patch",
            request_payload={"status": "CANCELLED"},
            before={"status": "PURCHASED", "referenceId": "DEMO-1"},
        ),
        "demo changed Status: Purchased → Cancelled",
    ),
    (
        row(
            "orders.order.replace",
            request_payload={"price": 980, "channel": "WEB"},
            before={"price": 1024.99, "channel": "WEB"},
        ),
        "demo changed Price: 1,024.99 → 980.00",
    ),
    (
        row("orders.order.patch", request_payload={"status": "X"}, before={"status": "X"}),
        "demo saved the order unchanged",
    ),
    (row("orders.order.delete", before={"referenceId": "DEMO-1"}), "demo deleted order DEMO-1"),
    (
        row("orders.order_item.create", request_payload={"name": "DUB-JFK Flight"}),
        "demo added the item “DUB-JFK Flight”",
    ),
    (
        row(
            "orders.order_item.patch",
            request_payload={"quantity": 3},
            before={"name": "DUB-JFK Flight", "quantity": 2},
        ),
        "demo changed Quantity: 2 → 3 on the item “DUB-JFK Flight”",
    ),
    (
        row("orders.order_item.delete", before={"name": "Checked bag 23kg"}),
        "demo deleted the item “Checked bag 23kg”",
    ),
    (
        row("orders.contact.create", request_payload={"firstName": "Jane", "lastName": "Doe"}),
        "demo added the contact Jane Doe",
    ),
    (
        row(
            "orders.contact.patch",
            request_payload={"emails": ["j@example.com"]},
            before={"firstName": "Jane", "emails": []},
        ),
        "demo changed Emails: none → j@example.com on the contact Jane",
    ),
    (row("orders.consumer.delete", before={"lastName": "Doe"}), "demo deleted the consumer Doe"),
    (
        row("orders.order_extension.set", request_payload={"campaign": "spring26"}, job_id=JOB),
        "demo set campaign = spring26 (bulk job 3f2a9c1e)",
    ),
    (
        row("orders.order_item_extension.set", request_payload={"vip": True, "seat": 12}),
        "demo set vip = true; seat = 12 on an item",
    ),
    (
        row(
            "orders.order_extension.delete_keys",
            request_payload={"name": ["campaign", "ghost"]},
            before={"campaign": "spring26"},
        ),
        "demo removed campaign (was spring26); ghost",
    ),
    (
        row("orders.order_extension.replace", request_payload={"a": 1}, before={"b": 2}),
        "demo replaced every pair with a = 1",
    ),
    (row("orders.order_extension.replace", request_payload={}), "demo emptied the data extension"),
    (
        row(
            "orders.order.observed_change",
            phase="observed",
            actor_username="",
            before={"status": "PURCHASED", "modifiedAt": "a"},
            after={"status": "REFUNDED", "modifiedAt": "b"},
        ),
        "Someone outside cdpadmin changed Status: Purchased → Refunded",
    ),
    (
        row("orders.order_extension.set", request_payload={"campaign": None}, reverts_id=12),
        "demo reverted change #12: set campaign = nothing",
    ),
    (
        row(
            "audit.chain.reseal",
            resource_type="audit_chain",
            phase="observed",
            actor_username="ops",
            request_payload={"reason": "Restored backup"},
            before={"checkpoint": "cp-0002.json", "row_count": 20},
            after={"row_count": 15},
        ),
        "ops declared that the trail was restored from a backup: rewound from checkpoint "
        "cp-0002.json to row 15.",
    ),
    (row("orders.something.new"), "demo did orders.something.new"),
]


@pytest.mark.parametrize(("entry", "sentence"), SENTENCES, ids=[s for _, s in SENTENCES])
def test_every_action_type_reads_as_one_sentence(entry, sentence) -> None:
    assert change_sentence(entry) == sentence


def test_typed_changes_count_and_long_lists_are_cut() -> None:
    entry = row(
        "orders.order_extension.set", request_payload={f"k{i}": i for i in range(5)}, before={}
    )
    assert change_sentence(entry) == "demo set k0 = 0; k1 = 1; k2 = 2 and 2 more"
    flipped = row("orders.order.patch", request_payload={"paid": False}, before={"paid": 0})
    assert change_sentence(flipped) == "demo changed Paid: 0 → false"


def test_odd_recorded_values_never_break_a_sentence() -> None:
    entry = row("orders.order.patch", request_payload=["not", "a", "dict"], before="<b>x</b>")
    assert change_sentence(entry) == "demo saved the order unchanged"
    hostile = row("orders.order_item.create", request_payload={"name": "<script>x</script>"})
    assert change_sentence(hostile) == "demo added the item “<script>x</script>”"


@pytest.mark.parametrize(
    ("outcome", "word"),
    [
        (None, "Outcome unknown"),
        (SimpleNamespace(outcome="success", cdp_status=200, error_message=""), "Done"),
        (SimpleNamespace(outcome="failure", cdp_status=409, error_message="No."), "Refused by CDP"),
        (SimpleNamespace(outcome="failure", cdp_status=None, error_message="Timeout"), "Failed"),
    ],
)
def test_outcomes_are_words_without_http_status(outcome, word) -> None:
    result = outcome_text(row("orders.order.patch"), outcome)
    assert result.word == word
    assert "200" not in result.word and "409" not in result.word


def test_observed_changes_have_no_outcome_to_wait_for() -> None:
    assert outcome_text(row("orders.order.observed_change", phase="observed")).word == "Seen in CDP"
    reseal = row("audit.chain.reseal", resource_type="audit_chain", phase="observed")
    assert outcome_text(reseal).word == "Declared by an operator"


def test_orders_are_named_by_reference_id_from_the_row_or_from_what_is_known() -> None:
    own = change_view(row("orders.order.patch", before={"referenceId": "DEMO-1"}))
    assert (own.order_label, own.order_ref) == ("DEMO-1", ORDER_REF)
    item = change_view(row("orders.order_item.delete"), reference_ids={ORDER_REF: "DEMO-2"})
    assert item.order_label == "DEMO-2"
    unknown = change_view(row("orders.order_item.delete"))
    assert unknown.order_label == "f6f62c28…"


def test_the_csv_describes_intents_and_outcome_rows() -> None:
    intent = vars(row("orders.order.patch", request_payload={"status": "CANCELLED"}))
    assert export_description(intent) == "demo changed Status: nothing → Cancelled"
    outcome = vars(row("orders.order.patch", phase="outcome", outcome="failure", intent_id=7))
    outcome.update(cdp_status=400, error_message="CDP refused the price.")
    assert (
        export_description(outcome)
        == "Outcome of change #7: Refused by CDP: CDP refused the price."
    )


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("PARTIALY_REFUNDED", "Partially refunded"),
        ("PARTIALLY_REFUNDED", "Partially refunded"),
        ("purchased", "Purchased"),
        ("WEIRD_NEW", "WEIRD_NEW"),
        (None, "—"),
        (42, "42"),
    ],
)
def test_statuses_read_as_words_and_unknown_ones_as_they_are(value, label) -> None:
    assert status_label(value) == label


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1024.99, "EUR", "1,024.99 EUR"),
        (480, "EUR", "480.00 EUR"),
        ("29.9", "GBP", "29.90 GBP"),
        (None, "EUR", "— EUR"),
        ("lots", "", "lots"),
        (True, "EUR", "True EUR"),
    ],
)
def test_money_has_two_decimals_and_the_currency(amount, currency, text) -> None:
    assert money(amount, currency) == text


def test_one_date_format_without_double_full_stops() -> None:
    at = dt.datetime(2026, 12, 1, 7, 14, 5, tzinfo=dt.UTC)
    found = moment(at, now=at + dt.timedelta(days=2, hours=1))
    assert found is not None
    assert found.absolute == "1 Dec 2026, 07:14"
    assert found.relative == "2 days ago"
    assert found.full == "Tuesday 1 December 2026, 07:14:05 UTC"
    assert ".." not in found.full
    assert moment("not a date") is None


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (dt.timedelta(seconds=20), "just now"),
        (dt.timedelta(minutes=1), "1 minute ago"),
        (dt.timedelta(hours=5), "5 hours ago"),
        (dt.timedelta(days=1, hours=2), "yesterday"),
        (dt.timedelta(days=-3), "in 3 days"),
        (dt.timedelta(days=45), ""),
    ],
)
def test_relative_time_where_it_helps(delta, words) -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert relative(now - delta, now) == words
