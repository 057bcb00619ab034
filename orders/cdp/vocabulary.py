"""CDP's vocabulary, in one place: refs, extension keys and values, required fields, JSON.

Everything else in cdpadmin (forms, URL converters, services, the audit trail) imports these;
only the sandbox keeps its own copies, on purpose (it is the contract's independent oracle).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

# A CDP ref is a UUID, either case (§4.2); cdpadmin uses it lower-cased.
REF_PATTERN = "[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
REF_RE = re.compile(REF_PATTERN, re.ASCII)

# A data-extension key: camelCase alphanumerics (§11.1). CDP documents no length limit;
# 255 keeps URLs and the audit's columns sane, and is the one cap everywhere.
EXTENSION_KEY_MAX_LENGTH = 255
EXTENSION_KEY_PATTERN = f"[a-z][A-Za-z0-9]{{0,{EXTENSION_KEY_MAX_LENGTH - 1}}}"
EXTENSION_KEY_RE = re.compile(EXTENSION_KEY_PATTERN, re.ASCII)
# Keys of the extension resource itself (§11.3); everything else in its body is a pair.
EXTENSION_ENVELOPE_KEYS = frozenset(
    {"name", "href", "ref", "key", "createdAt", "modifiedAt", "order", "orderItem"}
)
MAX_EXTENSION_PAIRS = 100
# An extension value is a JSON primitive; null, lists and objects are refused (§11.1).
ExtensionValue = str | bool | int | float

# CDP requires these four on every order update, PATCH included (§9.7, §16 fact 2).
ORDER_UPDATE_REQUIRED = ("referenceId", "orderedAt", "currencyCode", "price")


def to_cdp_json(value: Any) -> Any:
    """Plain JSON as CDP takes it: Decimals as numbers, date-times as UTC `…sssZ` text.

    The one encoder: request bodies go through it, and so do the audit trail's snapshots,
    so what is recorded is what is sent.
    """
    if isinstance(value, Mapping):
        return {str(key): to_cdp_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_cdp_json(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("CDP date-times must be timezone-aware.")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
            f"{value.microsecond // 1000:03d}Z"
        )
    if isinstance(value, date):
        return value.isoformat()
    return value
