"""Sign-in lockouts against password guessing, on django-axes.

After `SIGNIN_MAX_FAILURES_PER_USERNAME` failed sign-ins for one username, or
`SIGNIN_MAX_FAILURES_PER_IP` from one client address, sign-ins are refused without checking
the password until `SIGNIN_WINDOW_S` after the last failure. Axes keeps the failures in
PostgreSQL, so every web process counts the same ones; operators see them in the admin and
clear them with `manage.py axes_reset`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

USERNAME_LOCKED = (
    "Too many failed sign-ins for this account. Try again in 15 minutes, "
    "or ask an administrator to reset your password."
)
IP_LOCKED = (
    "Too many failed sign-ins from this network address. Try again in 15 minutes, "
    "or ask an administrator for help."
)


def client_ip(request: HttpRequest) -> str | None:
    """The peer's address, or behind our proxy the address it appended last.

    Only the last `X-Forwarded-For` entry is trusted, as that is the one our proxy wrote;
    anything before it came from the client and can be forged.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            candidate = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def signin_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username an attempt was for, in one case, whichever sign-in form sent it."""
    name = (credentials or {}).get("username")
    if not name and request is not None and request.method == "POST":
        name = request.POST.get("username") or request.POST.get("login")
    name = (name or "").strip().lower()[:150]
    return name or None


class SignInLockHandler(AxesDatabaseHandler):
    """Axes' database handler with one limit per username and another per address.

    Axes compares one failure count with one limit (`AXES_FAILURE_LIMIT`, the per-username
    limit). The per-address count is scaled so that reaching its own limit reaches that one:
    floor(n * per_username / per_ip) >= per_username exactly when n >= per_ip.
    """

    def failure_counts(self, request: HttpRequest, credentials: Any = None) -> tuple[int, int]:
        # One queryset per AXES_LOCKOUT_PARAMETERS entry: ["username", "ip_address"].
        by_username, by_ip = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if signin_username(request, credentials) is None:
            by_username = 0
        return by_username, by_ip

    def get_failures(self, request: HttpRequest, credentials: Any = None) -> int:
        by_username, by_ip = self.failure_counts(request, credentials)
        scaled_ip = by_ip * settings.SIGNIN_MAX_FAILURES_PER_USERNAME
        return max(by_username, scaled_ip // settings.SIGNIN_MAX_FAILURES_PER_IP)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """The page a locked sign-in gets instead of the form: which lock, and whom to ask."""
    handler = AxesProxyHandler.get_implementation()
    by_username, _ = handler.failure_counts(request, credentials)
    locked_name = by_username >= settings.SIGNIN_MAX_FAILURES_PER_USERNAME
    message = USERNAME_LOCKED if locked_name else IP_LOCKED
    return render(request, "account/refused.html", {"message": message}, status=429)
