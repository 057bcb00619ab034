"""URL converters that refuse anything CDP would not recognise, before any view runs."""

from __future__ import annotations

from orders.cdp.vocabulary import REF_PATTERN


class CdpRefConverter:
    """A CDP resource ref: a UUID, in canonical 8-4-4-4-12 hex form, either case.

    The regex is strict (no `[A-z]`, which would let `[`, `\\`, `^`, `_` and backtick
    through), so a URL whose ref is not a UUID is a 404 and never reaches the client.
    """

    regex = REF_PATTERN

    def to_python(self, value: str) -> str:
        return value.lower()

    def to_url(self, value: str) -> str:
        return str(value).lower()
