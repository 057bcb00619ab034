"""The one exception family of the CDP client, and the two functions that build it.

Every failure the client can meet becomes a `CdpError` subclass chosen from the HTTP status
(never from the body), carrying a sentence a customer-service agent can act on in `.message`.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterable
from typing import TypedDict, Unpack

import requests
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)

# Headers that carry a request id through CDP's or a proxy's infrastructure, in preference order.
REQUEST_ID_HEADERS = (
    "X-Request-Id",
    "Request-Id",
    "X-Correlation-Id",
    "X-Amzn-RequestId",
    "X-Amzn-Trace-Id",
)
# A field path as CDP writes it: `orderedAt`, `guest.href`, `orderItems.items[0].href`.
_FIELD = re.compile(r"[A-Za-z_]\w*(?:\[\d+\])*(?:\.[A-Za-z_]\w*(?:\[\d+\])*)*", re.ASCII)
_REDACTED = "[redacted]"
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Said whenever the request cannot have reached CDP; `services.in_doubt` relies on it.
NOTHING_CHANGED = "Nothing was changed"


class CdpContext(TypedDict, total=False):
    """Where an error happened and what CDP said; the keyword arguments of every `CdpError`."""

    status: int | None
    method: str | None
    path: str | None
    cdp_message: str | None
    more_info: str | None
    request_id: str | None


class CdpError(Exception):
    """Base of every error the CDP client raises.

    `message` is a sentence for the person at the screen, naming what to do next. `status` is
    the HTTP status (None when no answer came), `method` and `path` locate the call (the path
    never has the host or credentials in it), `cdp_message` is CDP's own wording when it gave
    one, `more_info` its support link (`moreInfoUrl`, or `moreInfo` as some clients name it),
    and `request_id` the id from the response headers when present. `maybe_applied` is True
    for a write that may have taken effect although no success was heard (no answer after
    sending, a 5xx, an unreadable success): it is in doubt, not failed.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        cdp_message: str | None = None,
        more_info: str | None = None,
        request_id: str | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.maybe_applied = maybe_applied
        self.status = status
        self.method = method
        self.path = path
        self.cdp_message = cdp_message
        self.more_info = more_info
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, method={self.method!r}, "
            f"path={self.path!r}, message={self.message!r})"
        )


class CdpValidationError(CdpError):
    """CDP answered 400: it refused the data.

    `field` is the CDP field name from a message like `"orderedAt: may not be null."` (None when
    the message names none); `field_errors` maps it to the rest of that message, for a form.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        **context: Unpack[CdpContext],
    ) -> None:
        super().__init__(message, **context)
        self.field = field
        self.field_errors = field_errors or {}


class CdpUnauthorized(CdpError):
    """CDP answered 401: it refused this application's client key and API token."""


class CdpForbidden(CdpError):
    """CDP answered 403: the application's credentials may not do this."""


class CdpNotFound(CdpError):
    """CDP answered 404: the resource does not exist (or no longer does)."""


class CdpConflict(CdpError):
    """CDP answered 409: the change clashes with what CDP holds (e.g. the extension exists)."""


class CdpRateLimited(CdpError):
    """CDP answered 429. `retry_after` is the wait CDP asked for, in seconds, when it said."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, **context: Unpack[CdpContext]
    ) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class CdpUpstreamError(CdpError):
    """CDP failed (5xx) or answered something this client cannot read.

    `detail` says, for developers and logs, what was wrong with an unreadable answer.
    """

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        maybe_applied: bool = False,
        **context: Unpack[CdpContext],
    ) -> None:
        super().__init__(message, maybe_applied=maybe_applied, **context)
        self.detail = detail


class CdpUnavailable(CdpError):
    """No answer: timeout, connection refused, reset or dropped."""


class CdpInvalidReference(CdpError, ValueError):
    """A ref, extension name or key failed local validation; no request was sent."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date), or None.

    A date in the past gives 0.0; anything unreadable gives None.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def field_from_message(message: str | None) -> tuple[str | None, str | None]:
    """Split CDP's `"<field>: <problem>"` into (field, problem), or (None, None).

    Only the first `": "` counts, and only when its left part is a field path (identifiers
    joined by dots, with optional `[n]` indexes), so a sentence such as
    `"Unable to parse JSON: line 3"` is not mistaken for a field error.
    """
    if not message or ": " not in message:
        return None, None
    left, _, right = message.partition(": ")
    if not _FIELD.fullmatch(left):
        return None, None
    return left, right.strip()


def _redact(text: str | None, secrets: Iterable[str]) -> str | None:
    if text is None:
        return None
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


def _body_fields(response: requests.Response) -> dict[str, str]:
    """CDP's wording from an error body (`message`, `developerMessage`, `moreInfo[Url]`).

    Tolerant: the body may be any JSON or none, and `status` inside it (an int, or a string
    on 401) is ignored in favour of the status line.
    """
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    found = {}
    for key in ("message", "developerMessage", "moreInfoUrl", "moreInfo"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            found[key] = value.strip()
    return found


def request_id_of(response: requests.Response) -> str | None:
    """The first request-id-like header of a response, if any."""
    for header in REQUEST_ID_HEADERS:
        value = response.headers.get(header)
        if value:
            return value
    return None


def _resource_noun(path: str, *, created: bool = False) -> str:
    """What a path is about, in words: 'order', 'order item', 'data extension', …

    The first collection named, unless `created`: then the last, the one a POST adds to
    (`/orders/{ref}/orderItems` creates an order item).
    """
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    if "extensions" in segments:
        return "data extension"
    nouns = {
        "orderItems": "order item",
        "orderContacts": "order contact",
        "orderConsumers": "order consumer",
        "contacts": "order contact",
        "consumers": "order consumer",
        "orders": "order",
    }
    for segment in reversed(segments) if created else segments:
        if segment in nouns:
            return nouns[segment]
    return "record"


def rate_limited(retry_after: float | None, **context: Unpack[CdpContext]) -> CdpRateLimited:
    """CDP's 429 (or the pacer still waiting one out), in words that name the wait."""
    wait = f"wait {max(1, round(retry_after))} seconds" if retry_after else "wait a minute"
    return CdpRateLimited(
        f"CDP is receiving too many requests. Nothing was changed; {wait} and try again.",
        retry_after=retry_after,
        **context,
    )


def error_from_response(
    response: requests.Response,
    *,
    method: str,
    path: str,
    secrets: Iterable[str] = (),
) -> CdpError:
    """Map a non-2xx CDP response to the exception to raise, chosen by the HTTP status.

    Failure classes:
      * 400 → `CdpValidationError` (CDP refused the data; `.field` names the CDP field when
        the message has the `"<field>: …"` form);
      * 401 → `CdpUnauthorized` (the application's credentials, not the user's);
      * 403 → `CdpForbidden`; 404 → `CdpNotFound`; 409 → `CdpConflict`;
      * 429 → `CdpRateLimited` (with `.retry_after` from `Retry-After`);
      * 5xx, and any other unexpected status (3xx, other 4xx) → `CdpUpstreamError`.
    The body is read only for CDP's wording (`message`, else `developerMessage`); its `status`
    may be an int or a string and the body may not be JSON at all. Any of `secrets` found in
    CDP's wording is replaced, so credentials never reach a message, a log or a page.
    """
    status = response.status_code
    secrets = tuple(secrets)
    fields = _body_fields(response)
    developer_message = _redact(fields.get("developerMessage"), secrets)
    cdp_message = _redact(fields.get("message"), secrets) or developer_message
    context: CdpContext = {
        "status": status,
        "method": method,
        "path": path,
        "cdp_message": cdp_message,
        "more_info": fields.get("moreInfoUrl") or fields.get("moreInfo"),
        "request_id": request_id_of(response),
    }
    noun = _resource_noun(path)
    said = f" CDP said: “{cdp_message}”" if cdp_message else ""
    if status == 400:
        field, problem = field_from_message(cdp_message)
        if field is None:
            field, problem = field_from_message(developer_message)
        if field is not None:
            text = f"CDP refused the value of “{field}”: {problem} Correct it and save again."
            return CdpValidationError(
                text, field=field, field_errors={field: [problem or ""]}, **context
            )
        return CdpValidationError(
            f"CDP refused the data.{said} Correct it and save again.", **context
        )
    if status == 401:
        return CdpUnauthorized(
            "CDP refused this application's API credentials (client key and API token), not "
            "yours. Nothing was changed; ask an administrator to check the CDP settings.",
            **context,
        )
    if status == 403:
        return CdpForbidden(
            f"CDP does not allow this application to use this {noun}. Nothing was changed; "
            "ask an administrator to check the API access of the CDP credentials.",
            **context,
        )
    if status == 404:
        return CdpNotFound(
            f"This {noun} doesn’t exist in CDP. Perhaps it was deleted? "
            "Search for it again before going on.",
            **context,
        )
    if status == 409:
        return CdpConflict(
            f"CDP refused the change because it clashes with the {noun} as stored.{said} "
            "Reload the page to see the current data, then try again.",
            **context,
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return rate_limited(retry_after, **context)
    if 500 <= status < 600:
        if method.upper() in _WRITE_METHODS:
            text = (
                f"CDP failed while handling the change (HTTP {status}). It may or may not have "
                "been applied; reload to check before trying again."
            )
        else:
            text = (
                f"CDP failed to answer (HTTP {status}). Try again in a moment; if it keeps "
                "happening, tell an administrator."
            )
        return CdpUpstreamError(text, maybe_applied=method.upper() in _WRITE_METHODS, **context)
    return CdpUpstreamError(
        f"CDP gave an unexpected answer (HTTP {status}). Try again; if it keeps happening, "
        "tell an administrator.",
        **context,
    )


def malformed_answer(
    *,
    method: str | None,
    path: str | None,
    status: int | None,
    detail: str,
    request_id: str | None = None,
) -> CdpUpstreamError:
    """The error for a success status whose body cannot be read as the expected record.

    For a write, the success status means CDP accepted it: the sentence says the change was
    probably applied and what to check, and never invites sending it again blindly.
    """
    verb = (method or "").upper()
    noun = _resource_noun(path or "", created=verb == "POST")
    answered = f"CDP accepted it (HTTP {status}) but" if status else "CDP accepted it but"
    unreadable = f"{answered} sent an answer this application cannot read"
    if verb == "POST":
        text = (
            f"The new {noun} was probably created: {unreadable}. Reload the order and look "
            f"for it there before creating it again, or it may be there twice."
        )
    elif verb == "DELETE":
        text = (
            f"The {noun} was probably deleted: {unreadable}. Reload the order to check that "
            "it is gone."
        )
    elif verb in _WRITE_METHODS:
        text = (
            f"The change was probably applied: {unreadable}. Reload the order and check the "
            f"{noun} before saving again."
        )
    else:
        text = (
            "CDP sent an answer this application cannot read, so nothing is shown from it. "
            "Try again; if it keeps happening, tell an administrator."
        )
    return CdpUpstreamError(
        text,
        status=status,
        method=method,
        path=path,
        detail=detail,
        request_id=request_id,
        maybe_applied=verb in _WRITE_METHODS,
    )


def _failure_kind(exc: BaseException) -> str:
    """Which transport failure this was, judged by whether the request can have reached CDP.

    'refused' and 'connect_timeout': it never did. 'timeout' (no answer in time) and 'dropped'
    (reset or closed mid-answer): it may have.
    """
    cause: object = exc.args[0] if exc.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    if isinstance(cause, NewConnectionError):
        return "refused"
    if isinstance(exc, requests.ConnectTimeout) or isinstance(cause, ConnectTimeoutError):
        return "connect_timeout"
    if isinstance(exc, requests.ReadTimeout) or isinstance(cause, ReadTimeoutError):
        return "timeout"
    return "dropped"


def error_from_exception(
    exc: requests.RequestException, *, method: str, path: str, timeout: float
) -> CdpUnavailable:
    """Map a transport failure (no HTTP answer) to `CdpUnavailable` with an honest sentence.

    A refused or timed-out connection never reached CDP, so nothing was changed. After the
    request was sent (read timeout, connection reset or dropped), a read changed nothing, but a
    write may or may not have been applied, and the sentence says to check before retrying.
    The requests exception's own text is never used: it carries the host and internals.
    """
    kind = _failure_kind(exc)
    seconds = f"{timeout:g} second" + ("" if timeout == 1 else "s")
    maybe_applied = (
        "The change may or may not have been applied; reload to check before trying again."
    )
    if kind == "refused":
        text = f"Could not connect to CDP. {NOTHING_CHANGED}; try again in a moment."
    elif kind == "connect_timeout":
        text = f"CDP did not answer in {seconds}. {NOTHING_CHANGED}; try again."
    elif kind == "timeout":
        text = f"CDP did not answer in {seconds}. " + (
            maybe_applied if method.upper() in _WRITE_METHODS else "Nothing was changed; try again."
        )
    else:
        text = "The connection to CDP was lost before it answered. " + (
            maybe_applied if method.upper() in _WRITE_METHODS else "Nothing was changed; try again."
        )
    maybe = kind in ("timeout", "dropped") and method.upper() in _WRITE_METHODS
    return CdpUnavailable(text, method=method, path=path, maybe_applied=maybe)
