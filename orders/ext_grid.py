"""What the data-extension grid renders: rows, the grid of one extension, key usage.

Not a view module: the order page builds one grid per extension with `ext_grid_context`, and
the grid's own views (`orders/views/extensions.py`) re-render rows and grids from these.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet

from orders.cdp.paths import field_name_problem
from orders.ext_forms import (
    TYPE_ARTICLES,
    TYPE_CHOICES,
    ExtValue,
    display_value,
    dump_seen,
    key_error,
    type_of,
)
from orders.links import url_for
from orders.models import AuditEntry
from orders.selectors.compiled import CompiledQuery
from orders.services.extensions import ORDER_EXTENSION, ORDER_ITEM_EXTENSION, ExtensionScope

# Key suggestions read only the latest outcome rows, so the cost stays flat however large the
# audit trail grows; 5,000 rows covers months of marketing edits and keeps the read ~10 ms.
USAGE_WINDOW = 5000


@dataclass(frozen=True)
class KeyUsage:
    """How one key has been typed on recent writes: `counts` maps type → distinct parents."""

    key: str
    counts: Mapping[str, int]
    usual_type: str = field(init=False)

    def __post_init__(self) -> None:
        usual = max(self.counts.items(), key=lambda item: (item[1], item[0]))[0]
        object.__setattr__(self, "usual_type", usual)

    @property
    def usual_count(self) -> int:
        return self.counts[self.usual_type]


def _successful_writes(scope_name: str) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        resource_type=scope_name,
        phase=AuditEntry.Phase.OUTCOME,
        outcome=AuditEntry.Outcome.SUCCESS,
    ).order_by("-id")


@functools.cache
def _newest_write(scope_name: str) -> CompiledQuery[AuditEntry]:
    """The newest successful write's row (its id only), compiled once per process."""
    return CompiledQuery(lambda: _successful_writes(scope_name).only("id")[:1])


@dataclass(frozen=True)
class _Counted:
    """Key usage as counted in this process: up to which row, over how many, per parent."""

    newest: int | None
    rows: int
    parents: dict[tuple[str, str], set[str]]
    usage: Mapping[str, KeyUsage]


_usage_counted: dict[str, _Counted] = {}
_usage_lock = threading.Lock()


def key_usage(scope: ExtensionScope) -> Mapping[str, KeyUsage]:
    """Keys written to extensions of this scope, from the latest successful audit outcomes.

    Read in Python rather than with a jsonb aggregate: `jsonb_typeof` calls `9` and `9.0`
    both "number", and the JSON decoded here keeps them apart. Every grid render and save
    asks for this, so the count is kept per process with the newest row it has counted: one
    indexed lookup decides whether it still holds, and when writes have been made since,
    only those are read and added. The count covers the latest USAGE_WINDOW writes and
    grows with new ones to twice that, when it is counted again from the latest.
    """
    newest = next((row.pk for row in _newest_write(scope.name).run()), None)
    counted = _usage_counted.get(scope.name)
    if counted is not None and counted.newest == newest:
        return counted.usage
    with _usage_lock:
        counted = _usage_counted.get(scope.name)
        if counted is None or counted.newest != newest:
            counted = _count_since(scope.name, counted)
            _usage_counted[scope.name] = counted
        return counted.usage


def _count_since(scope_name: str, counted: _Counted | None) -> _Counted:
    """`counted` with the writes since its newest row added, or a new count."""
    writes = _successful_writes(scope_name).values_list("id", "resource_ref", "after")
    if counted is not None and counted.newest is not None and counted.rows < 2 * USAGE_WINDOW:
        since = list(writes.filter(id__gte=counted.newest).reverse()[: USAGE_WINDOW + 1])
        # The row counted last is still the first one (a trail is append-only; a test's
        # rolled-back rows are not): only the writes after it are new. After a window's worth
        # of writes (a bulk job), counting from the latest reads less.
        if since and since[0][0] == counted.newest and len(since) <= USAGE_WINDOW:
            new = since[1:]
            parents = counted.parents
            _add_key_usage(parents, new)
            return _Counted(
                new[-1][0] if new else counted.newest,
                counted.rows + len(new),
                parents,
                _usage_of(parents),
            )
    latest = list(writes[:USAGE_WINDOW])
    parents = defaultdict(set)
    _add_key_usage(parents, latest)
    return _Counted(latest[0][0] if latest else None, len(latest), parents, _usage_of(parents))


def _add_key_usage(
    parents: dict[tuple[str, str], set[str]], writes: Iterable[tuple[int, str, Any]]
) -> None:
    for _, resource_ref, after in writes:
        if not isinstance(after, dict):
            continue
        for key, value in after.items():
            if type(value) in (str, bool, int, float):
                parents[(key, type_of(value))].add(resource_ref)


def _usage_of(parents: dict[tuple[str, str], set[str]]) -> Mapping[str, KeyUsage]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for (key, type_name), refs in parents.items():
        counts[key][type_name] = len(refs)
    return MappingProxyType({key: KeyUsage(key, dict(c)) for key, c in sorted(counts.items())})


def type_warning(
    scope: ExtensionScope, usage: Mapping[str, KeyUsage], key: str, value: ExtValue
) -> str:
    """A sentence when `value`'s type is not the key's usual one; empty otherwise."""
    known = usage.get(key)
    if known is None or known.usual_type == type_of(value):
        return ""
    noun = f"{scope.label}s" if known.usual_count != 1 else scope.label
    return (
        f"{key} is {TYPE_ARTICLES[known.usual_type]} on {known.usual_count} {noun}; "
        f"you saved {TYPE_ARTICLES[type_of(value)]}. Saved anyway: change it back if that "
        "was a slip."
    )


@dataclass(frozen=True)
class ExtPlace:
    """Which extension a request is about: the order's, or one of its items'."""

    order_ref: str
    item_ref: str = ""

    @property
    def scope(self) -> ExtensionScope:
        return ORDER_ITEM_EXTENSION if self.item_ref else ORDER_EXTENSION

    @property
    def parent_ref(self) -> str:
        return self.item_ref or self.order_ref

    def url(self, name: str, key: str | None = None) -> str:
        refs = (self.order_ref, self.item_ref) if self.item_ref else (self.order_ref,)
        prefix = "ext-item-" if self.item_ref else "ext-"
        return url_for(prefix + name, *refs, *(() if key is None else (key,)))


_JSON_KINDS = {dict: "object", list: "list", tuple: "list", type(None): "null"}
_VALUE_ARTICLES = {"object": "an object", "list": "a list", "null": "null", **TYPE_ARTICLES}


@dataclass(frozen=True)
class ExtRow:
    """One pair as CDP returned it, with what the templates need to show and edit it.

    Other systems write to CDP too: a key this application would not create, or a value that
    is not text, true/false or a number, gives a read-only row that says why (`readonly`).
    Such a pair can still be deleted by name when a field delete can name its key.
    """

    key: str
    value: Any
    place: ExtPlace

    @property
    def type(self) -> str:
        kind = _JSON_KINDS.get(type(self.value))
        if kind is None and isinstance(self.value, Mapping):
            kind = "object"
        return kind or type_of(self.value)

    @property
    def is_primitive(self) -> bool:
        return type(self.value) in (str, bool, int, float)

    @property
    def display(self) -> str:
        if self.is_primitive:
            return display_value(self.value)
        return json.dumps(self.value, ensure_ascii=False)

    @property
    def seen(self) -> str:
        return dump_seen(self.value) if self.is_primitive else "null"

    @property
    def readonly(self) -> str:
        """Why this row cannot be edited here; empty when it can."""
        if key_error(self.key):
            return (
                "Read-only: written outside this application, which would not create this key "
                "(it makes camelCase keys of letters and digits)."
            )
        if not self.is_primitive:
            return (
                f"Read-only: CDP holds {_VALUE_ARTICLES[self.type]} here; this application "
                "edits only text, true/false and numbers."
            )
        return ""

    @property
    def undeletable(self) -> str:
        """Why CDP's API cannot delete this pair by name; empty when it can."""
        problem = field_name_problem(self.key)
        return f"It cannot be deleted from here: {problem}." if problem else ""

    @property
    def dom_id(self) -> str:
        if not self.readonly:
            return f"ext-row-{self.place.parent_ref}-{self.key}"
        digest = hashlib.sha256(self.key.encode()).hexdigest()[:16]
        return f"ext-foreign-{self.place.parent_ref}-{digest}"

    @property
    def foreign_delete_url(self) -> str:
        return self.place.url("delete-foreign")

    @property
    def row_url(self) -> str:
        return self.place.url("row", self.key)

    @property
    def edit_url(self) -> str:
        return f"{self.place.url('row-edit', self.key)}?{urlencode({'seen': self.seen})}"

    @property
    def save_url(self) -> str:
        return self.place.url("save", self.key)

    @property
    def delete_url(self) -> str:
        return self.place.url("delete", self.key)


@dataclass(frozen=True)
class ExtGrid:
    """Everything `orders/includes/ext_grid.html` renders for one extension."""

    place: ExtPlace
    rows: tuple[ExtRow, ...] = ()
    exists: bool = False
    error: str = ""
    can_edit: bool = False
    usage: Mapping[str, KeyUsage] = field(default_factory=dict)
    type_choices: tuple[tuple[str, str], ...] = tuple(TYPE_CHOICES)

    @property
    def scope(self) -> ExtensionScope:
        return self.place.scope

    @property
    def parent_ref(self) -> str:
        return self.place.parent_ref

    @property
    def grid_url(self) -> str:
        return self.place.url("grid")

    @property
    def add_url(self) -> str:
        return self.place.url("add")

    @property
    def replace_url(self) -> str:
        return self.place.url("replace")


def ext_grid_context(
    scope: ExtensionScope,
    parent_ref: str,
    order_ref: str,
    pairs: Mapping[str, ExtValue] | None,
    error: str | None = None,
    can_edit: bool = False,
    usage: Mapping[str, KeyUsage] | None = None,
    foreign: Mapping[str, Any] | None = None,
) -> ExtGrid:
    """The grid of one extension; `pairs` None means CDP has no extension yet.

    `foreign` holds what else the extension carries (values that are not primitives): shown
    read-only after the pairs.

    The order page calls this once for the order and once per item; pass the same `usage`
    (from `key_usage(scope)`) to each item's grid to read the audit trail only once per scope.
    """
    place = ExtPlace(order_ref, parent_ref if scope is ORDER_ITEM_EXTENSION else "")
    return ExtGrid(
        place=place,
        rows=tuple(
            ExtRow(key, value, place) for key, value in {**(pairs or {}), **(foreign or {})}.items()
        ),
        exists=pairs is not None,
        error=error or "",
        can_edit=can_edit,
        usage=usage if usage is not None else (key_usage(scope) if can_edit else {}),
    )
