"""Sign-in throttling against password guessing.

After `SIGNIN_MAX_FAILURES_PER_USERNAME` failed sign-ins for one username (or
`SIGNIN_MAX_FAILURES_PER_IP` from one client address) within `SIGNIN_WINDOW_S`, further
attempts are refused, without checking the password, until `SIGNIN_WINDOW_S` after the last
failure. Failures are rows of `SignInAttempt` in PostgreSQL, so every web process, on every
host, counts the same failures. Refused attempts are not counted: an attacker cannot keep a
colleague locked out for longer than one window by hammering the form.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from orders.models import SignInAttempt

USERNAME_LOCKED = (
    "Too many failed sign-ins for this account. Try again in 15 minutes, "
    "or ask an administrator to reset your password."
)
IP_LOCKED = (
    "Too many failed sign-ins from this network address. Try again in 15 minutes, "
    "or ask an administrator for help."
)


@dataclass(frozen=True)
class Lock:
    """Sign-ins are refused until `until`; `message` says why, for the sign-in page."""

    until: datetime
    message: str


def window() -> timedelta:
    return timedelta(seconds=settings.SIGNIN_WINDOW_S)


def normalise_username(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the peer, or behind our proxy the address it appended last.

    Only the last `X-Forwarded-For` entry is trusted, as that is the one our proxy wrote;
    anything before it came from the client and can be forged.
    """
    if request is None:
        return None
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            candidate = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _lock_for(field: str, value: str, limit: int, message: str, now: datetime) -> Lock | None:
    span = window()
    recent = list(
        SignInAttempt.objects.filter(**{field: value}, at__gte=now - 2 * span)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if limit <= 0 or len(recent) < limit:
        return None
    latest, oldest = recent[0], recent[-1]
    if latest - oldest <= span and now < latest + span:
        return Lock(until=latest + span, message=message)
    return None


def signin_lock(*, username: str | None, ip: str | None) -> Lock | None:
    """The lock that refuses this sign-in now, if any (the username's is reported first)."""
    now = timezone.now()
    name = normalise_username(username)
    if name:
        lock = _lock_for(
            "username", name, settings.SIGNIN_MAX_FAILURES_PER_USERNAME, USERNAME_LOCKED, now
        )
        if lock:
            return lock
    if ip:
        return _lock_for("ip", ip, settings.SIGNIN_MAX_FAILURES_PER_IP, IP_LOCKED, now)
    return None


def signin_failed(*, username: str | None, ip: str | None) -> None:
    """Count one failed sign-in, and drop this username's and address's stale rows."""
    now = timezone.now()
    name = normalise_username(username)
    SignInAttempt.objects.create(at=now, username=name, ip=ip)
    stale = now - 2 * window()
    SignInAttempt.objects.filter(username=name, at__lt=stale).delete()
    if ip:
        SignInAttempt.objects.filter(ip=ip, at__lt=stale).delete()


class ThrottledSignInMixin:
    """Refuses a sign-in while its username or address is locked; counts each failure."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        ip = client_ip(self.request)
        lock = signin_lock(username=username, ip=ip)
        if lock is not None:
            raise ValidationError(lock.message, code="throttled")
        try:
            return super().clean()  # type: ignore[misc,no-any-return]
        except ValidationError:
            # A right password refused for another reason (e.g. not staff, at /admin/) is
            # not a guess.
            guessed = getattr(self, "user_cache", None) is None
            if username and self.cleaned_data.get("password") and guessed:
                signin_failed(username=username, ip=ip)
            raise


class ThrottledAuthenticationForm(ThrottledSignInMixin, AuthenticationForm):
    """The staff sign-in form (`/accounts/login/`)."""


class ThrottledAdminAuthenticationForm(ThrottledSignInMixin, AdminAuthenticationForm):
    """The admin's sign-in form (`/admin/login/`), so it is no way around the throttle."""
