"""The rows of the audit tables and the order timeline, rendered in Python: escaped, linked."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from orders.changes import change_view
from orders.selectors.memo import Memo
from orders.templatetags.display import row_html
from tests.orders.test_changes_vocabulary import ORDER_REF, row

pytestmark = pytest.mark.unit

AT = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
HOSTILE = '<script>alert("x")</script>'


def hostile_change() -> object:
    entry = row(
        "orders.order_item.create",
        request_payload={"name": HOSTILE, "referenceId": HOSTILE},
        order_ref=ORDER_REF.upper(),
        pk=41,
        at=AT,
    )
    failure = SimpleNamespace(outcome="failure", cdp_status=400, error_message=HOSTILE, after=None)
    return change_view(entry, failure, {ORDER_REF.upper(): HOSTILE})


def audit_table(perms: set[str]) -> str:
    context = {"changes": [hostile_change()], "show_order": True, "perms": perms}
    return render_to_string("orders/includes/audit_history.html", context)


def test_hostile_values_are_escaped_in_every_cell() -> None:
    html = audit_table({"orders.view_auditentry"})
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") == 3  # sentence, order label, CDP's reason
    assert '<tr class="audit-row audit-intent" data-entry="41">' in html
    assert '<span class="outcome outcome-bad">Refused by CDP</span>' in html


def test_the_sentence_links_to_the_entry_only_for_those_who_read_the_trail() -> None:
    linked = audit_table({"orders.view_auditentry"})
    assert '<a href="/audit/41/" class="change-sentence">' in linked
    html = audit_table(set())
    assert "/audit/41/" not in html
    assert '<span class="change-sentence">demo added the item' in html


def test_the_order_label_links_to_the_order_by_its_canonical_ref() -> None:
    assert f'<a href="/orders/{ORDER_REF}/" title="Order ref {ORDER_REF.upper()}"' in audit_table(
        set()
    )


def test_an_empty_table_says_so() -> None:
    html = render_to_string(
        "orders/includes/audit_history.html", {"changes": [], "filtered": True, "perms": set()}
    )
    assert "No changes recorded that match these filters." in html


def test_the_timeline_shows_notes_and_changes_escaped() -> None:
    note = SimpleNamespace(author_username="<b>ann</b>", text=HOSTILE)
    timeline = [{"at": AT, "note": note}, {"at": AT, "change": hostile_change()}]
    html = render_to_string(
        "orders/includes/order_history.html", {"timeline": timeline, "perms": set()}
    )
    assert "<script>" not in html and "<b>" not in html
    assert '<tr class="timeline-note">' in html and '<tr class="timeline-change">' in html
    assert "&lt;b&gt;ann&lt;/b&gt; wrote a note: &lt;script&gt;" in html
    assert "No changes recorded yet." in render_to_string(
        "orders/includes/order_history.html", {"timeline": [], "perms": set()}
    )


class Marked:
    def __html__(self) -> str:
        return "<b>marked</b>"


@pytest.mark.parametrize(
    "value",
    [HOSTILE, "plain", "", 41, None, 1.5, mark_safe("<i>safe</i>"), gettext_lazy("<&>"), Marked()],
)
def test_row_markup_is_escaped_exactly_as_format_html_escapes(value: object) -> None:
    template = '<a href="{}" title="{}">{}</a>'
    assert row_html(template, value, value, value) == format_html(template, value, value, value)
    assert isinstance(row_html(template, value, value, value), SafeString)


def versioned_change(version: str, price: int) -> object:
    entry = row(
        "orders.order.patch",
        request_payload={"price": price},
        before={"price": 1},
        pk=77,
        at=AT,
        row_version=version,
    )
    success = SimpleNamespace(pk=78, row_version=version, outcome="success", after=None)
    return change_view(entry, success)


def rows_at(monkeypatch: pytest.MonkeyPatch, now: dt.datetime, change: object, perms: set[str]):
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    context = {"changes": [change], "show_order": True, "perms": perms}
    return render_to_string("orders/includes/audit_history.html", context)


def test_a_rows_markup_is_reused_but_its_time_is_written_for_each_page(monkeypatch) -> None:
    change = versioned_change("v1", 5)
    first = rows_at(monkeypatch, AT + dt.timedelta(seconds=5), change, set())
    later = rows_at(monkeypatch, AT + dt.timedelta(hours=2), change, set())

    assert ">just now</time>" in first and ">2 hours ago</time>" in later
    assert first.replace("just now", "2 hours ago") == later
    far = rows_at(monkeypatch, AT + dt.timedelta(days=90), change, set())
    assert ">1 May 2026, 10:00</time>" in far


def test_a_row_is_written_anew_for_a_new_row_version_or_another_reader(monkeypatch) -> None:
    now = AT + dt.timedelta(minutes=1)
    assert "Price: 1.00 → 5.00" in rows_at(monkeypatch, now, versioned_change("v1", 5), set())
    assert "Price: 1.00 → 9.00" in rows_at(monkeypatch, now, versioned_change("v2", 9), set())
    linked = rows_at(monkeypatch, now, versioned_change("v2", 9), {"orders.view_auditentry"})
    assert '<a href="/audit/77/" class="change-sentence">' in linked


def test_the_row_memo_forgets_the_oldest_beyond_its_size() -> None:
    memo: Memo[int, str] = Memo(2)
    for n in range(3):
        memo.put(n, f"row {n}")

    assert [memo.get(n) for n in range(3)] == [None, "row 1", "row 2"]
