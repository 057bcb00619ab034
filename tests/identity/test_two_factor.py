"""Two-factor sign-in with allauth's MFA: superusers must enrol, then sign in with a code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD, make_staff

pytestmark = pytest.mark.integration


@pytest.fixture
def fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # As with real CDP credentials; the suite itself runs against the sandbox (trial mode).
    settings.SUPERUSER_TWO_FACTOR_REQUIRED = True


@pytest.mark.unit
@pytest.mark.parametrize(
    ("env", "required"),
    [
        ({}, "False"),
        (
            {"CDP_CLIENT_KEY": "k", "CDP_API_TOKEN": "t", "CDP_REGION": "eu"}
            | {"LOOKUP_HMAC_KEY": "l" * 40},
            "True",
        ),
        ({"PRODUCTION": "true", "SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://h/db"}, "True"),
        ({"SUPERUSER_TWO_FACTOR_REQUIRED": "true"}, "True"),
    ],
    ids=["trial", "real-cdp", "production", "asked-for"],
)
def test_superusers_need_a_second_factor_except_in_the_trial(
    env: dict[str, str], required: str
) -> None:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_REQUIRED],
        cwd=settings.BASE_DIR,
        env={**keep, "DJANGO_SETTINGS_MODULE": "cdpadmin.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == required, result.stderr


PRINT_REQUIRED = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SUPERUSER_TWO_FACTOR_REQUIRED)"
)


def totp_code(secret: str) -> str:
    """What an authenticator app shows now."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def password_sign_in(client: Client, username: str) -> Any:
    return client.post("/accounts/login/", {"login": username, "password": PASSWORD})


def test_a_superuser_enrols_an_authenticator_then_needs_its_code_to_sign_in(
    db: None, fast_hasher: None
) -> None:
    root = make_staff("root", None, is_superuser=True, is_staff=True)
    client = Client()
    assert password_sign_in(client, "root").status_code == 302

    # Signed in without a second factor: every page sends them to set one up.
    for url in ("/orders/", "/admin/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before a second factor is added.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    page = client.get(asked["Location"]).content.decode()
    assert "Superusers sign in with a second factor" in page
    confirmed = client.post(asked["Location"], {"password": PASSWORD})
    assert confirmed["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/").content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page)
    secret = secret or re.search(r'value="([A-Z2-7]{16,})"', page)
    assert secret, page
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert "Incorrect code" in wrong.content.decode()
    enrolled = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret[1])})
    assert enrolled.status_code == 302
    assert Authenticator.objects.filter(user=root, type=Authenticator.Type.TOTP).exists()
    assert client.get("/orders/").status_code == 200

    # The next sign-in asks for the code before the session is signed in.
    client.post("/accounts/logout/")
    client = Client()
    started = password_sign_in(client, "root")
    assert started["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/orders/").status_code == 302
    assert "_auth_user_id" not in client.session
    refused = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert "Incorrect code" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    signed_in = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret[1])})
    assert signed_in.status_code == 302
    assert client.get("/orders/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_staff_who_are_not_superusers_are_not_made_to_enrol(db: None, fast_hasher: None) -> None:
    make_staff("casey", "Customer service")
    client = Client()

    password_sign_in(client, "casey")

    assert client.get("/orders/").status_code == 200


def test_two_factor_pages_keep_the_content_security_policy(db: None, fast_hasher: None) -> None:
    make_staff("root", None, is_superuser=True, is_staff=True)
    client = Client()
    password_sign_in(client, "root")

    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")

    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert not re.search(
        r"<script(?![^>]*\b(src=|type=\"application/json\"))", response.content.decode()
    )
