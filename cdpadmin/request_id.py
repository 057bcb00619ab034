"""A short id per request: in the `X-Request-ID` header, on the 500 page and in its log line.

Staff quote the id from the error page; an administrator finds the traceback with it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def request_id_of(request: HttpRequest | None) -> str:
    return getattr(request, "request_id", "") if request is not None else ""


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = secrets.token_hex(6)  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


class RequestIdLogFilter(logging.Filter):
    """Give every record a `request_id` suffix: " [request <id>]" when it names a request.

    Django's own "Internal Server Error" record carries the request, so its line (and the
    traceback under it) gets the id the 500 page shows.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_of(getattr(record, "request", None))
        record.request_id = f" [request {request_id}]" if request_id else ""
        return True
