"""Error bodies of the Order API (§6) and the exception the sandbox raises to produce them."""

from __future__ import annotations

from typing import Any

MORE_INFO_URL = "https://support.sitecore.com"
UNAUTHORIZED_MESSAGE = (
    "Authentication credentials are required to access the resource. "
    "All requests must be authenticated."
)
REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Resource not found",
    405: "Method not allowed",
    409: "Conflict",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


def error_body(status: int, message: str, developer_message: str | None = None) -> dict[str, Any]:
    """The §6.1 shape: integer status and code, message, developerMessage, moreInfoUrl."""
    return {
        "status": status,
        "code": status,
        "message": message,
        "developerMessage": developer_message if developer_message is not None else message,
        "moreInfoUrl": MORE_INFO_URL,
    }


def unauthorized_body() -> dict[str, Any]:
    """The §6.3 shape: `status` is a string and there is no developerMessage."""
    return {
        "status": "UNAUTHORIZED",
        "code": 401,
        "message": UNAUTHORIZED_MESSAGE,
        "moreInfoUrl": MORE_INFO_URL,
    }


class ApiError(Exception):
    """A CDP error answer: HTTP status, §6.1 body and optional extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        developer_message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.developer_message = developer_message
        self.headers = headers or {}

    @property
    def body(self) -> dict[str, Any]:
        if self.status == 401:
            return unauthorized_body()
        return error_body(self.status, self.message, self.developer_message)


def bad_request(message: str, developer_message: str | None = None) -> ApiError:
    return ApiError(400, message, developer_message)


def not_found() -> ApiError:
    return ApiError(404, REASONS[404])


def may_not_be_null(field: str) -> ApiError:
    return bad_request(f"{field}: may not be null.")
