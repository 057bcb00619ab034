"""Collection envelopes (§4.2): offset/limit parsing, first/last/next links, expansion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from .errors import bad_request

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


@dataclass(frozen=True)
class ListRequest:
    """What a list endpoint needs from the request URL."""

    base_url: str
    path: str
    raw_query: str
    params: list[tuple[str, str]]

    def get(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    @property
    def expand(self) -> bool:
        return (self.get("expand") or "").lower() == "true"

    def page(self) -> tuple[int, int]:
        """`offset` (default 0, ≥ 0) and `limit` (default 10, ≥ 1, clamped to 100) (§4.2)."""
        offset = _int_param(self.get("offset"), "offset", 0)
        limit = _int_param(self.get("limit"), "limit", DEFAULT_LIMIT)
        if offset < 0:
            raise bad_request("offset: must be greater than or equal to 0.")
        # §4.2 [INF]: above the maximum is clamped, below the minimum is an error.
        if limit < 1:
            raise bad_request("limit: must be greater than or equal to 1.")
        return offset, min(limit, MAX_LIMIT)


def _int_param(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw, 10)
    except ValueError:
        raise bad_request(f"{name}: must be an integer.") from None


def collection(
    request: ListRequest,
    entries: Sequence[Any],
    render: Callable[[Any], dict[str, Any]],
    link: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """The v2.1 collection envelope for one page of `entries`.

    `link` renders a non-expanded item (`{href, ref}`), `render` a full one (`expand=true`).
    """
    offset, limit = request.page()
    total = len(entries)
    page = entries[offset : offset + limit]
    filters = [(k, v) for k, v in request.params if k not in ("offset", "limit")]
    own_url = request.base_url + request.path

    def page_href(page_offset: int) -> dict[str, str]:
        query = urlencode([*filters, ("offset", page_offset), ("limit", limit)], quote_via=quote)
        return {"href": f"{own_url}?{query}"}

    # §4.2 [INF]: the last page starts at the last multiple of `limit` below `total`.
    last_offset = max(0, (total - 1) // limit * limit) if total else 0
    envelope: dict[str, Any] = {
        "href": own_url + (f"?{request.raw_query}" if request.raw_query else ""),
        "offset": offset,
        "limit": limit,
        "first": page_href(0),
        "last": page_href(last_offset),
    }
    # §4.2 [INF]: no `next` on the last page; `next` is offset + limit (the docs' examples err).
    if offset + limit < total:
        envelope["next"] = page_href(offset + limit)
    make = render if request.expand else link
    envelope["items"] = [make(entry) for entry in page]
    return envelope
