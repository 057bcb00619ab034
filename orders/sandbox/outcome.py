"""What the server sends back for one request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import REASONS, error_body
from .util import dumps


@dataclass
class Outcome:
    """The answer to send, or `drop` to close the connection without one."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] | None = None
    drop: bool = False

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> Outcome:
        return cls(status, b"" if data is None else dumps(data), headers)


def error_outcome(status: int, retry_after: int | None = None) -> Outcome:
    """A §6.1-shaped error, optionally with `Retry-After` in whole seconds."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Outcome.json(status, error_body(status, REASONS.get(status, "Error")), headers)
