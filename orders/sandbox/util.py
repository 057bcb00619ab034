"""Small pieces shared by the sandbox modules: clock, refs, date-times and JSON parsing."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

from .errors import ApiError, bad_request


class Clock:
    """Millisecond timestamps that strictly increase, even within one millisecond.

    Tests compare `modifiedAt` values, so two changes must never share a timestamp.
    """

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next_ms(self) -> int:
        with self._lock:
            self._last = max(int(time.time() * 1000), self._last + 1)
            return self._last

    def observe(self, ms: int) -> None:
        """Make later timestamps come after `ms` (used by the demo's historical dates)."""
        with self._lock:
            self._last = max(self._last, ms)

    def reset(self) -> None:
        with self._lock:
            self._last = 0


def format_ms(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def to_ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def new_ref(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def parse_instant(value: str) -> datetime | None:
    """An ISO 8601 date-time with `Z` or an offset (§4.1); None when it is not one."""
    if "T" not in value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return dt.astimezone(UTC)


def parse_date_or_instant(value: str) -> datetime | None:
    """A date (`1991-01-01`) or an instant; dates count as midnight UTC."""
    instant = parse_instant(value)
    if instant is not None:
        return instant
    try:
        d = date.fromisoformat(value)
    except ValueError:
        return None
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _reject_constant(name: str) -> Any:
    # json.loads accepts NaN/Infinity by default; JSON (and CDP's parser) does not.
    raise ValueError(name)


def parse_json(raw: bytes) -> Any:
    """Parse a request body, failing with CDP's parse error (§6.1) and its line/column."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _parse_error(1, 1) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _parse_error(exc.lineno, exc.colno) from None
    except ValueError:
        raise _parse_error(1, 1) from None


def parse_json_object(raw: bytes) -> dict[str, Any]:
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise bad_request("Unable to parse JSON string", "JSON parse error [line: 1, column: 1].")
    return data


def _parse_error(line: int, column: int) -> ApiError:
    return bad_request(
        "Unable to parse JSON string", f"JSON parse error [line: {line}, column: {column}]."
    )


def dumps(data: Any) -> bytes:
    # Python writes 9.0 as "9.0" and 9 as "9", which keeps extension value types exact (§11.2).
    return json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")


def ref_from_href(href: Any, collection: str) -> str | None:
    """The ref at the end of `…/v2.1/<collection>/<ref>` (or `/v2/`), lower-cased; else None."""
    if not isinstance(href, str):
        return None
    parts = href.rstrip("/").split("/")
    if len(parts) < 3 or parts[-2] != collection or parts[-3] not in {"v2", "v2.1"}:
        return None
    return parts[-1].lower() or None
