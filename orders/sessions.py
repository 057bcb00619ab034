"""How long a signed-in session lasts, and signing a user out everywhere.

The idle timeout is Django's own SESSION_COOKIE_AGE: saving a session moves its expiry on.
Rather than saving on every request (SESSION_SAVE_EVERY_REQUEST, an UPDATE per page), the
middleware here saves a signed-in session when its last save is a tenth of the timeout old
(at most a minute): a session in use never lapses, and one left alone ends between the
timeout less that interval and the timeout after its last request. Django has no limit on a
session's whole life, so the same middleware ends a session SESSION_MAX_AGE_S after its
sign-in, however busy it has been.

`SessionStore` (SESSION_ENGINE = "orders.sessions") is Django's database store, reading each
request's session by a query compiled once per process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from orders.selectors.compiled import CompiledQuery

SIGNED_IN_AT = "cdpadmin_signed_in_at"
SAVED_AT = "cdpadmin_saved_at"
# The longest a session in use goes without moving its idle expiry on.
MAX_SAVE_INTERVAL_S = 60.0
SESSION_ENDED = "Your session has ended after {hours:g} hours. Please sign in again."


@receiver(user_logged_in, dispatch_uid="cdpadmin-session-signed-in-at")
def _note_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = time.time()


def save_interval_s() -> float:
    """How old a session's last save may be before a request saves it again."""
    return min(MAX_SAVE_INTERVAL_S, float(settings.SESSION_COOKIE_AGE) / 10)


class SessionMaxAgeMiddleware:
    """Signs out a session SESSION_MAX_AGE_S after its sign-in; keeps one in use alive."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            signed_in_at = request.session.setdefault(SIGNED_IN_AT, time.time())
            if time.time() - signed_in_at > settings.SESSION_MAX_AGE_S:
                logout(request)
                messages.info(
                    request, SESSION_ENDED.format(hours=settings.SESSION_MAX_AGE_S / 3600)
                )
                return redirect(settings.LOGIN_URL)
            now = time.time()
            if now - request.session.get(SAVED_AT, 0) >= save_interval_s():
                request.session[SAVED_AT] = now
        return self.get_response(request)


def sign_out_everywhere(*, user: AbstractBaseUser) -> int:
    """End every session of `user`, on every device; returns how many were ended."""
    ended = 0
    for session in UserSession.objects.filter(user_id=user.pk):
        session.end()
        ended += 1
    return ended


# Building and compiling Django's own query took longer than running it, before every page.
_LIVE_SESSION = CompiledQuery(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now).values_list(
        "session_key", "session_data", "expire_date"
    ),
    key="cdpadmin-sample-session-key",
    now=datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
)


class SessionStore(db.SessionStore):
    """Django's database sessions; the session row is read by a query compiled once."""

    def _get_session_from_db(self) -> Session | None:
        found = _LIVE_SESSION.tuples(key=str(self.session_key), now=timezone.now())
        if not found:
            self._session_key = None
            return None
        key, data, expires = found[0]
        return Session(session_key=key, session_data=data, expire_date=expires)
