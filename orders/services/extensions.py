"""Key-scoped changes to order and order-item data extensions (CDP's `ext`).

Writes touch only the keys named: a new extension is created with POST, an existing one is
PATCHed with the changed pairs, and removed keys go through `DELETE …/fields?name=…`. Each
call can carry the values the user saw; if CDP's value of one of those keys has changed
since, nothing is written and `KeyConflict` says which key.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from orders.cdp import CdpNotFound, DataExtension, get_client
from orders.cdp.vocabulary import MAX_EXTENSION_PAIRS, ExtensionValue
from orders.models import AuditEntry
from orders.services.audited import (
    Actor,
    Audited,
    Change,
    ServiceError,
    audited_call,
    resource_lock,
)

ExtValue = ExtensionValue


class _Unread(enum.Enum):
    UNREAD = "unread"


# "Not read yet, read it now" for the `current` parameter of the writes below. None cannot
# say this: None already means "read, and the extension does not exist" (create with POST).
UNREAD: Final = _Unread.UNREAD
Current = Mapping[str, ExtValue] | None | _Unread


@dataclass(frozen=True)
class ExtensionScope:
    """Where an extension hangs, as the audit trail and the pages name it."""

    name: str
    label: str


ORDER_EXTENSION = ExtensionScope("order_extension", "order")
ORDER_ITEM_EXTENSION = ExtensionScope("order_item_extension", "order item")
SCOPES = {scope.name: scope for scope in (ORDER_EXTENSION, ORDER_ITEM_EXTENSION)}


def same_value(a: Any, b: Any) -> bool:
    """Exact JSON equality: `0`, `false`, `0.0` and `"0"` are four different values."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class KeyConflict(ServiceError):
    """CDP's value of a key changed after the user's row was rendered; nothing was written."""

    def __init__(self, key: str, yours: ExtValue | None, current: ExtValue | None) -> None:
        now = "removed it" if current is None else f"set it to {json.dumps(current)}"
        super().__init__(
            f"Someone else {now} while you were editing “{key}”. Choose which value to keep."
        )
        self.key = key
        self.yours = yours
        self.current = current


@dataclass(frozen=True)
class _Extension:
    """One extension's operations, bound to the client's methods for its parent."""

    resource_type: str
    parent_ref: str
    order_ref: str
    get: Callable[[], DataExtension]
    create: Callable[[dict[str, ExtValue]], DataExtension]
    patch: Callable[[dict[str, ExtValue]], DataExtension]
    replace: Callable[[dict[str, ExtValue]], DataExtension]
    delete_fields: Callable[[list[str]], DataExtension]

    def pairs(self) -> dict[str, ExtValue] | None:
        try:
            return dict(self.get().pairs)
        except CdpNotFound:
            return None


def _of_order(order_ref: str) -> _Extension:
    client = get_client()
    return _Extension(
        ORDER_EXTENSION.name,
        order_ref,
        order_ref,
        get=lambda: client.order_extension_get(order_ref),
        create=lambda pairs: client.order_extension_create(order_ref, pairs),
        patch=lambda pairs: client.order_extension_patch(order_ref, pairs),
        replace=lambda pairs: client.order_extension_replace(order_ref, pairs),
        delete_fields=lambda keys: client.order_extension_delete_fields(order_ref, keys),
    )


def _of_item(order_ref: str, item_ref: str) -> _Extension:
    client = get_client()
    return _Extension(
        ORDER_ITEM_EXTENSION.name,
        item_ref,
        order_ref,
        get=lambda: client.order_item_extension_get(item_ref),
        create=lambda pairs: client.order_item_extension_create(item_ref, pairs),
        patch=lambda pairs: client.order_item_extension_patch(item_ref, pairs),
        replace=lambda pairs: client.order_item_extension_replace(item_ref, pairs),
        delete_fields=lambda keys: client.order_item_extension_delete_fields(item_ref, keys),
    )


def _check_expected(
    current: Mapping[str, ExtValue],
    expected: Mapping[str, ExtValue | None] | None,
    yours: Mapping[str, ExtValue | None],
) -> None:
    for key, seen in (expected or {}).items():
        now = current.get(key)
        if not same_value(seen, now):
            raise KeyConflict(key, yours.get(key), now)


def _set_pairs(
    ext: _Extension,
    *,
    actor: Actor,
    pairs: Mapping[str, ExtValue],
    expected: Mapping[str, ExtValue | None] | None,
    current: Current,
    job_id: str,
    reverts: AuditEntry | None,
) -> Audited[DataExtension]:
    with resource_lock(f"{ext.resource_type}:{ext.parent_ref}"):
        now = ext.pairs() if current is UNREAD else (None if current is None else dict(current))
        _check_expected(now or {}, expected, pairs)
        added = [key for key in pairs if key not in (now or {})]
        if now is not None and added and len(now) + len(added) > MAX_EXTENSION_PAIRS:
            raise ServiceError(
                f"An extension holds at most {MAX_EXTENSION_PAIRS} pairs; delete one before adding."
            )
        send = ext.create if now is None else ext.patch
        return audited_call(
            Change(
                action=f"orders.{ext.resource_type}.set",
                resource_type=ext.resource_type,
                resource_ref=ext.parent_ref,
                order_ref=ext.order_ref,
                before={key: now[key] for key in pairs if now and key in now},
                job_id=job_id,
                reverts=reverts,
            ),
            lambda: send(dict(pairs)),
            actor=actor,
            after=lambda done: {key: done.pairs[key] for key in pairs if key in done.pairs},
        )


def _delete_keys(
    ext: _Extension,
    *,
    actor: Actor,
    keys: Sequence[str],
    expected: Mapping[str, ExtValue | None] | None,
    current: Current,
    job_id: str,
    reverts: AuditEntry | None,
) -> Audited[DataExtension]:
    if not keys:
        raise ValueError("No keys named; refusing to empty the whole extension.")
    with resource_lock(f"{ext.resource_type}:{ext.parent_ref}"):
        now = (ext.pairs() if current is UNREAD else current) or {}
        _check_expected(now, expected, {})
        return audited_call(
            Change(
                action=f"orders.{ext.resource_type}.delete_keys",
                resource_type=ext.resource_type,
                resource_ref=ext.parent_ref,
                order_ref=ext.order_ref,
                before={key: now[key] for key in keys if key in now},
                job_id=job_id,
                reverts=reverts,
            ),
            lambda: ext.delete_fields(list(keys)),
            actor=actor,
            after=lambda done: {key: done.pairs[key] for key in keys if key in done.pairs},
        )


def _replace(ext: _Extension, *, actor: Actor, pairs: Mapping[str, ExtValue]) -> Audited[Any]:
    with resource_lock(f"{ext.resource_type}:{ext.parent_ref}"):
        now = ext.pairs()
        send = ext.create if now is None else ext.replace
        return audited_call(
            Change(
                action=f"orders.{ext.resource_type}.replace",
                resource_type=ext.resource_type,
                resource_ref=ext.parent_ref,
                order_ref=ext.order_ref,
                before=now or {},
            ),
            lambda: send(dict(pairs)),
            actor=actor,
            after=lambda done: dict(done.pairs),
        )


def order_extension_set(
    *,
    actor: Actor,
    order_ref: str,
    pairs: Mapping[str, ExtValue],
    expected: Mapping[str, ExtValue | None] | None = None,
    current: Current = UNREAD,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[DataExtension]:
    """Set some pairs of the order's extension, leaving the others (POST when it has none).

    `expected` maps key → value seen (None: absent); if CDP's value differs, `KeyConflict`.
    `current` is the pairs as the caller has just read them (None: no extension), which
    saves a request; left out, they are read here, under the lock.
    """
    return _set_pairs(
        _of_order(order_ref),
        actor=actor,
        pairs=pairs,
        expected=expected,
        current=current,
        job_id=job_id,
        reverts=reverts,
    )


def order_item_extension_set(
    *,
    actor: Actor,
    order_ref: str,
    item_ref: str,
    pairs: Mapping[str, ExtValue],
    expected: Mapping[str, ExtValue | None] | None = None,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[DataExtension]:
    """As `order_extension_set`, for an order item's extension."""
    return _set_pairs(
        _of_item(order_ref, item_ref),
        actor=actor,
        pairs=pairs,
        expected=expected,
        current=UNREAD,
        job_id=job_id,
        reverts=reverts,
    )


def order_extension_delete_keys(
    *,
    actor: Actor,
    order_ref: str,
    keys: Sequence[str],
    expected: Mapping[str, ExtValue | None] | None = None,
    current: Current = UNREAD,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[DataExtension]:
    """Remove the named keys with `DELETE …/fields?name=…`; never an unnamed delete."""
    return _delete_keys(
        _of_order(order_ref),
        actor=actor,
        keys=keys,
        expected=expected,
        current=current,
        job_id=job_id,
        reverts=reverts,
    )


def order_item_extension_delete_keys(
    *,
    actor: Actor,
    order_ref: str,
    item_ref: str,
    keys: Sequence[str],
    expected: Mapping[str, ExtValue | None] | None = None,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[DataExtension]:
    """As `order_extension_delete_keys`, for an order item's extension."""
    return _delete_keys(
        _of_item(order_ref, item_ref),
        actor=actor,
        keys=keys,
        expected=expected,
        current=UNREAD,
        job_id=job_id,
        reverts=reverts,
    )


def order_extension_replace(
    *, actor: Actor, order_ref: str, pairs: Mapping[str, ExtValue]
) -> Audited[DataExtension]:
    """Replace every pair (PUT): keys not in `pairs` are dropped. Creates it if absent."""
    return _replace(_of_order(order_ref), actor=actor, pairs=pairs)


def order_item_extension_replace(
    *, actor: Actor, order_ref: str, item_ref: str, pairs: Mapping[str, ExtValue]
) -> Audited[DataExtension]:
    """As `order_extension_replace`, for an order item's extension."""
    return _replace(_of_item(order_ref, item_ref), actor=actor, pairs=pairs)
