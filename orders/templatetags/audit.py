"""Audit entries in words, and before/after diffs that keep JSON types exact."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from orders import changes, display
from orders.links import url_for
from orders.models import AuditEntry
from orders.selectors.memo import Memo
from orders.services.extensions import SCOPES, same_value
from orders.services.resources import RESOURCE_LABELS
from orders.templatetags.display import row_html, when

register = template.Library()

# CDP stamps these on every write; they are not what anyone changed.
TIMESTAMP_FIELDS = frozenset({"ref", "createdAt", "modifiedAt", "href"})
_MISSING = object()


def resource_label(resource_type: str) -> str:
    if resource_type in RESOURCE_LABELS:
        return RESOURCE_LABELS[resource_type]
    if resource_type in SCOPES:
        return f"{SCOPES[resource_type].label} extension"
    return resource_type.replace("_", " ")


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class DiffRow:
    name: str
    before: str
    after: str
    changed: bool


def _show(value: Any) -> str:
    return "—" if value is _MISSING else json.dumps(value, ensure_ascii=False)


def diff_rows(before: Any, after: Any) -> list[DiffRow]:
    """Every field or key of either side, changed ones first, values shown as JSON text."""
    old, new = _as_dict(before), _as_dict(after)
    rows = []
    for name in sorted(old.keys() | new.keys()):
        left, right = old.get(name, _MISSING), new.get(name, _MISSING)
        changed = (left is _MISSING) != (right is _MISSING) or not same_value(left, right)
        rows.append(
            DiffRow(name, _show(left), _show(right), changed and name not in TIMESTAMP_FIELDS)
        )
    return sorted(rows, key=lambda row: not row.changed)


@register.filter
def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)


@register.filter
def resource_name(resource_type: str) -> str:
    return resource_label(resource_type)


@register.filter
def change_sentence(entry: AuditEntry) -> str:
    """The entry in the shared vocabulary (`orders.changes`): "demo changed Status: …"."""
    return changes.change_sentence(entry)


@register.filter
def change_of(event: Any) -> changes.ChangeView:
    """An (intent, outcome) event as a `ChangeView`, for the shared partials."""
    return changes.change_view(event.entry, event.outcome)


# The timeline, the audit list and the home page show these three cells for every row: as
# tags (one call each, URLs filled in by `url_for`) they cost a fraction of an {% include %}
# per cell. format_html escapes every value, as the templates did.


def audit_detail_url(pk: Any) -> str:
    return url_for("audit-detail", int(pk))


def order_detail_url(order_ref: str) -> str:
    return url_for("order-detail", order_ref)


def _can_read_trail(context: template.Context) -> bool:
    perms = context.get("perms")
    return perms is not None and "orders.view_auditentry" in perms


def _sentence(change: changes.ChangeView, link: bool) -> SafeString:
    """The change's sentence, a link to its audit entry for those who may read the trail."""
    if link:
        return row_html(
            '<a href="{}" class="change-sentence">{}</a>',
            audit_detail_url(change.entry.pk),
            change.sentence,
        )
    return row_html('<span class="change-sentence">{}</span>', change.sentence)


# A change's row, by the versions of the rows it shows and all else it depends on, but for
# the time's words: "5 minutes ago" is written anew for each page (see orders.selectors.memo).
_CHANGE_ROWS: Memo[tuple[Any, ...], tuple[str, str, str, dt.datetime | None]] = Memo(4_000)


def _version(row: Any) -> tuple[Any, Any] | None:
    version = getattr(row, "row_version", None)
    return None if version is None else (row.pk, version)


def _row_opening(change: changes.ChangeView, kind: str) -> SafeString:
    if kind == "timeline":
        return SafeString('<tr class="timeline-change">')
    return row_html(
        '<tr class="audit-row audit-{}" data-entry="{}">', change.entry.phase, change.entry.pk
    )


def _change_row_parts(
    change: changes.ChangeView, kind: str, link: bool, show_order: bool
) -> tuple[str, str, str, dt.datetime | None]:
    """The row up to its time's words, the absolute time, the rest, and the instant."""
    # Every piece is escaped where it is made (row_html in each helper); joining safe pieces
    # needs no second escape.
    order = f"<td>{order_label_cell(change)}</td>" if show_order else ""
    rest = (
        f"</td><td>{_sentence(change, link)}</td>{order}<td>{change_outcome_cell(change)}</td></tr>"
    )
    opening = _row_opening(change, kind)
    found = display.moment(change.entry.at)
    if found is None:
        return f"{opening}<td>—", "", rest, None
    start = row_html('{}<td><time datetime="{}" title="{}">', opening, found.iso, found.full)
    return start, row_html("{}", found.absolute), f"</time>{rest}", display.aware(change.entry.at)


def _change_rows(
    views: Iterable[changes.ChangeView], kind: str, link: bool, show_order: bool
) -> str:
    """Changes as table rows: when, what, (order,) outcome; `kind` is "audit" or "timeline"."""
    now, zone, prefix = timezone.now(), timezone.get_current_timezone(), get_script_prefix()
    rows = []
    for change in views:
        entry, outcome = _version(change.entry), _version(change.outcome)
        key = None
        if entry is not None and (outcome is not None or change.outcome is None):
            label = change.order_label if show_order else ""
            key = (entry, outcome, kind, link, show_order, label, zone, prefix)
        parts = _CHANGE_ROWS.get(key) if key is not None else None
        if parts is None:
            parts = _change_row_parts(change, kind, link, show_order)
            if key is not None:
                _CHANGE_ROWS.put(key, parts)
        start, absolute, rest, instant = parts
        if instant is None:
            rows.append(start + rest)
        else:
            # The relative words are digits and fixed English: nothing in them to escape.
            rows.append(f"{start}{display.relative(instant, now) or absolute}{rest}")
    return "\n".join(rows)


@register.simple_tag(takes_context=True)
def audit_rows(
    context: template.Context, views: Iterable[changes.ChangeView], show_order: bool = False
) -> SafeString:
    """The rows of an audit history table: when, what, (order,) outcome."""
    return SafeString(_change_rows(views, "audit", _can_read_trail(context), show_order))


@register.simple_tag(takes_context=True)
def timeline_rows(context: template.Context, events: Iterable[dict[str, Any]]) -> SafeString:
    """The order page's timeline rows: its notes and its recorded changes, as given."""
    link = _can_read_trail(context)
    rows = []
    for event in events:
        note = event.get("note")
        if note is None:
            rows.append(SafeString(_change_rows([event["change"]], "timeline", link, False)))
        else:
            rows.append(
                format_html(
                    '<tr class="timeline-note"><td>{}</td><td>{} wrote a note: {}</td>'
                    "<td>—</td></tr>",
                    when(event["at"]),
                    note.author_username,
                    Truncator(note.text).chars(120),
                )
            )
    return format_html_join("\n", "{}", ((row,) for row in rows))


@register.simple_tag
def change_outcome_cell(change: changes.ChangeView) -> SafeString:
    result = change.result
    word = row_html('<span class="outcome outcome-{}">{}</span>', result.tone, result.word)
    if not result.reason:
        return word
    return row_html(
        '{}<span class="outcome-reason">: {}</span>', word, Truncator(result.reason).chars(120)
    )


@register.simple_tag
def order_label_cell(change: changes.ChangeView) -> SafeString | str:
    if not change.order_ref:
        return "—"
    return row_html(
        '<a href="{}" title="Order ref {}" class="order-label">{}</a>',
        order_detail_url(change.order_ref),
        change.order_ref,
        change.order_label,
    )
