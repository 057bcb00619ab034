"""Key-scoped changes to order and order-item data extensions (CDP's `ext`).

Writes touch only the keys named: a new extension is created with POST, an existing one is
PATCHed with the changed pairs, and removed keys go through `DELETE …/fields?name=…`. Each
call can carry the values the user saw; if CDP's value of one of those keys has changed
since, nothing is written and `KeyConflict` says which key.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from orders.cdp import CdpNotFound, DataExtension, get_client
from orders.models import AuditEntry
from orders.services.audited import Actor, Audited, Change, ServiceError, audited_call, serialised

ExtValue = str | bool | int | float


class _Unread(enum.Enum):
    UNREAD = "unread"


# "Not read yet, read it now" for the `current` parameter of the writes below. None cannot
# say this: None already means "read, and the extension does not exist" (create with POST).
UNREAD: Final = _Unread.UNREAD
Current = Mapping[str, ExtValue] | None | _Unread


@dataclass(frozen=True)
class ExtensionScope:
    """Where an extension hangs: on an order or on an order item."""

    name: str
    label: str
    client_prefix: str
    path: str

    def ext_path(self, parent_ref: str) -> str:
        return self.path.format(ref=parent_ref)


ORDER_EXTENSION = ExtensionScope(
    "order_extension", "order", "order_extension", "/v2.1/orders/{ref}/extensions/ext"
)
ORDER_ITEM_EXTENSION = ExtensionScope(
    "order_item_extension",
    "order item",
    "order_item_extension",
    "/v2.1/orderItems/{ref}/extensions/ext",
)
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


def _client_call(scope: ExtensionScope, operation: str) -> Any:
    return getattr(get_client(), f"{scope.client_prefix}_{operation}")


def extension_read(scope: ExtensionScope, parent_ref: str) -> DataExtension | None:
    """The extension as CDP holds it, or None when it does not exist."""
    try:
        return _client_call(scope, "get")(parent_ref)  # type: ignore[no-any-return]
    except CdpNotFound:
        return None


def extension_pairs(scope: ExtensionScope, parent_ref: str) -> dict[str, ExtValue] | None:
    """The extension's pairs, or None when the extension does not exist."""
    ext = extension_read(scope, parent_ref)
    return None if ext is None else dict(ext.pairs)


def _read_unless_given(
    scope: ExtensionScope, parent_ref: str, current: Current
) -> dict[str, ExtValue] | None:
    if current is UNREAD:
        return extension_pairs(scope, parent_ref)
    return None if current is None else dict(current)


def _check_expected(
    current: Mapping[str, ExtValue],
    expected: Mapping[str, ExtValue | None] | None,
    yours: Mapping[str, ExtValue | None],
) -> None:
    for key, seen in (expected or {}).items():
        now = current.get(key)
        if not same_value(seen, now):
            raise KeyConflict(key, yours.get(key), now)


def _lock_key(scope: ExtensionScope, **kwargs: Any) -> str:
    return f"{scope.name}:{kwargs['parent_ref']}"


@serialised(_lock_key)
def extension_set_pairs(
    scope: ExtensionScope,
    *,
    actor: Actor,
    parent_ref: str,
    order_ref: str,
    pairs: Mapping[str, ExtValue],
    expected: Mapping[str, ExtValue | None] | None = None,
    current: Current = UNREAD,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[Any]:
    """Set some pairs, leaving the others; `expected` maps key → value seen (None: absent).

    `current` is the extension's pairs as the caller has just read them (None: no extension),
    which saves a request; left out, they are read here. `expected` is checked against them.
    """
    current = _read_unless_given(scope, parent_ref, current)
    _check_expected(current or {}, expected, pairs)
    exists = current is not None
    call = _client_call(scope, "patch" if exists else "create")
    return audited_call(
        Change(
            action=f"orders.{scope.name}.set",
            resource_type=scope.name,
            method="PATCH" if exists else "POST",
            cdp_path=scope.ext_path(parent_ref),
            success_status=200 if exists else 201,
            resource_ref=parent_ref,
            order_ref=order_ref,
            payload=dict(pairs),
            before={key: current[key] for key in pairs if current and key in current},
            job_id=job_id,
            reverts=reverts,
        ),
        lambda: call(parent_ref, dict(pairs)),
        actor=actor,
        after=lambda ext: {key: ext.pairs[key] for key in pairs if key in ext.pairs},
    )


@serialised(_lock_key)
def extension_delete_keys(
    scope: ExtensionScope,
    *,
    actor: Actor,
    parent_ref: str,
    order_ref: str,
    keys: Sequence[str],
    expected: Mapping[str, ExtValue | None] | None = None,
    current: Current = UNREAD,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[Any]:
    """Remove the named keys with `DELETE …/fields?name=…`; never an unnamed delete.

    `current` as for `extension_set_pairs`: pairs the caller has just read, or read here.
    """
    if not keys:
        raise ValueError("No keys named; refusing to empty the whole extension.")
    current = _read_unless_given(scope, parent_ref, current) or {}
    _check_expected(current, expected, {})
    delete_fields = _client_call(scope, "delete_fields")
    return audited_call(
        Change(
            action=f"orders.{scope.name}.delete_keys",
            resource_type=scope.name,
            method="DELETE",
            cdp_path=f"{scope.ext_path(parent_ref)}/fields?"
            + urlencode({"name": "|".join(keys)}, safe="|"),
            success_status=200,
            resource_ref=parent_ref,
            order_ref=order_ref,
            payload={"name": list(keys)},
            before={key: current[key] for key in keys if key in current},
            job_id=job_id,
            reverts=reverts,
        ),
        lambda: delete_fields(parent_ref, list(keys)),
        actor=actor,
        after=lambda ext: {key: ext.pairs[key] for key in keys if key in ext.pairs},
    )


@serialised(_lock_key)
def extension_replace(
    scope: ExtensionScope,
    *,
    actor: Actor,
    parent_ref: str,
    order_ref: str,
    pairs: Mapping[str, ExtValue],
) -> Audited[Any]:
    """Replace every pair (PUT): keys not in `pairs` are dropped. Creates it if absent."""
    current = extension_pairs(scope, parent_ref)
    exists = current is not None
    call = _client_call(scope, "replace" if exists else "create")
    return audited_call(
        Change(
            action=f"orders.{scope.name}.replace",
            resource_type=scope.name,
            method="PUT" if exists else "POST",
            cdp_path=scope.ext_path(parent_ref),
            success_status=200 if exists else 201,
            resource_ref=parent_ref,
            order_ref=order_ref,
            payload=dict(pairs),
            before=current or {},
        ),
        lambda: call(parent_ref, dict(pairs)),
        actor=actor,
        after=lambda ext: dict(ext.pairs),
    )
