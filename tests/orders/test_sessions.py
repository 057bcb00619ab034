"""Sessions end when idle and after a maximum age; an administrator can end all of a user's."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import PASSWORD, make_staff

pytestmark = pytest.mark.integration


@pytest.fixture
def fast_hasher(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


def signed_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def still_signed_in(client: Client) -> bool:
    response = client.get("/orders/")
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")
        return False
    assert response.status_code == 200
    return True


@pytest.mark.unit
def test_the_idle_timeout_is_thirty_minutes_unless_set(settings: object) -> None:
    from django.conf import settings as live

    assert live.SESSION_IDLE_TIMEOUT_S == 30 * 60
    assert live.SESSION_COOKIE_AGE == live.SESSION_IDLE_TIMEOUT_S
    assert live.SESSION_SAVE_EVERY_REQUEST is False


def session_expiry(client: Client) -> object:
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_requests_close_together_save_the_session_once(casey: Client, settings: object) -> None:
    settings.SESSION_COOKIE_AGE = 20  # type: ignore[attr-defined]
    assert still_signed_in(casey)
    first = session_expiry(casey)

    assert still_signed_in(casey)

    # Within a tenth of the timeout of the last save nothing is written again...
    assert session_expiry(casey) == first
    time.sleep(2.1)
    assert still_signed_in(casey)
    # ...and after it the expiry moves on.
    assert session_expiry(casey) > first


@pytest.fixture
def casey(db: None, fast_hasher: None) -> Client:
    make_staff("casey", "Customer service")
    return signed_in("casey")


def test_a_session_ends_after_the_idle_timeout_but_not_while_in_use(
    casey: Client, settings: object
) -> None:
    settings.SESSION_COOKIE_AGE = 2  # type: ignore[attr-defined]
    client = casey

    # Used every 1.2 s for longer than the timeout: each request moves the expiry on.
    for _ in range(3):
        time.sleep(1.2)
        assert still_signed_in(client)
    time.sleep(2.5)

    assert not still_signed_in(client)


def test_a_session_ends_after_its_maximum_age_however_busy(casey: Client, settings: object) -> None:
    settings.SESSION_MAX_AGE_S = 2  # type: ignore[attr-defined]
    client = casey

    time.sleep(1.2)
    assert still_signed_in(client)
    time.sleep(1.2)
    response = client.get("/orders/")

    assert response.status_code == 302
    assert not still_signed_in(client)
    page = client.get("/accounts/login/").content.decode()
    assert "Your session has ended after" in page


def test_sign_out_everywhere_from_the_admin_ends_only_that_users_sessions(
    db: None, fast_hasher: None
) -> None:
    casey = make_staff("casey", "Customer service")
    make_staff("morgan", "Marketing")
    make_staff("root", None, is_superuser=True, is_staff=True)
    laptop, phone, other = signed_in("casey"), signed_in("casey"), signed_in("morgan")
    admin = Client()
    admin.force_login(User.objects.get(username="root"))

    response = admin.post(
        "/admin/auth/user/",
        {"action": "sign_out_everywhere", "_selected_action": [casey.pk]},
        follow=True,
    )

    assert "Ended 2 session(s) of 1 user(s)." in response.content.decode()
    assert not still_signed_in(laptop)
    assert not still_signed_in(phone)
    assert still_signed_in(other)


def test_the_store_reads_a_live_session_and_not_an_expired_one(db: None) -> None:
    from datetime import timedelta

    from django.conf import settings as live
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from orders.sessions import SessionStore

    assert live.SESSION_ENGINE == "orders.sessions"
    store = SessionStore()
    store["colour"] = "teal"
    store.create()
    key = store.session_key

    assert SessionStore(key).load() == {"colour": "teal"}
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None
    assert SessionStore("no-such-session-key-0123456789").load() == {}


def test_the_backend_gives_a_sessions_user_only_while_they_may_sign_in(db: None) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.backends import ModelBackend

    from orders.identity import StaffBackend

    user = get_user_model().objects.create_user("dana", password=PASSWORD)
    backend = StaffBackend()

    found = backend.get_user(user.pk)
    assert found == ModelBackend().get_user(user.pk)
    assert found is not None and found.get_session_auth_hash() == user.get_session_auth_hash()
    assert backend.get_user(user.pk + 1000) is None
    user.is_active = False
    user.save()
    assert backend.get_user(user.pk) is None


def test_signing_in_names_the_compiled_backend_in_the_session(casey: Client) -> None:
    from django.contrib.auth import BACKEND_SESSION_KEY

    assert casey.session[BACKEND_SESSION_KEY] == "orders.identity.StaffBackend"
    assert still_signed_in(casey)
