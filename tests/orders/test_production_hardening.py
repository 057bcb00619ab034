"""Production settings, response headers, templates free of inline script, sign-in lockouts."""

from __future__ import annotations

import io
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from orders.signin import IP_LOCKED, USERNAME_LOCKED
from tests.conftest import PASSWORD, make_staff

pytestmark = pytest.mark.integration

BASE_DIR = Path(settings.BASE_DIR)
WRONG_PASSWORD = "The username and/or password you specified are not correct."
LOCKED_TEXT = "Too many failed sign-ins for this account. Try again in 15 minutes"


def production_env(**extra: str) -> dict[str, str]:
    """A deployment's environment: the test run's own switches (DEBUG, the e2e suite's
    DJANGO_ALLOW_ASYNC_UNSAFE, …) are left out, only PATH and the database are kept."""
    env = {key: os.environ[key] for key in ("PATH", "DATABASE_URL", "HOME") if key in os.environ}
    env.update(
        PRODUCTION="true",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="cdpadmin.example.com",
        DJANGO_SETTINGS_MODULE="cdpadmin.settings",
        ENV_FILE=os.devnull,  # never a developer's .env
        **extra,
    )
    return env


@pytest.mark.unit
def test_check_deploy_is_clean_with_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.unit
def test_production_refuses_to_start_with_debug_on() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=production_env(DEBUG="true"),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "DEBUG must be off when PRODUCTION=true." in result.stderr


@pytest.mark.unit
def test_production_settings_read_hsts_ssl_redirect_and_proxy_from_the_environment() -> None:
    code = (
        "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_PRELOAD)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=production_env(
            SECURE_HSTS_SECONDS="600",
            SECURE_SSL_REDIRECT="false",
            BEHIND_PROXY="true",
            SECURE_HSTS_PRELOAD="false",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.stdout.strip().splitlines()[-1].split() == [
        "600",
        "False",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "True",
        "True",
        "False",
    ], result.stderr


# The policy as the hand-written middleware sent it, plus where browsers report violations.
# django-csp writes the directives in its own order, so they are compared as a mapping.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; report-uri /csp-report/"
)


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_every_page_carries_the_content_security_policy(cs_client: Client) -> None:
    for url in ("/accounts/login/", "/orders/", "/static/css/cdpadmin.css", "/no/such/page/"):
        response = cs_client.get(url)
        assert directives(response["Content-Security-Policy"]) == directives(
            CONTENT_SECURITY_POLICY
        ), url
        assert response["X-Content-Type-Options"] == "nosniff"
        if not url.startswith("/static/"):
            assert response["X-Frame-Options"] == "DENY"


def test_the_policy_allows_only_the_apps_own_scripts(cs_client: Client) -> None:
    sent = directives(cs_client.get("/orders/")["Content-Security-Policy"])

    assert sent["script-src"] == "'self'"
    assert sent["default-src"] == "'self'"
    assert sent["frame-ancestors"] == "'none'"
    assert sent["form-action"] == "'self'"
    assert sent["base-uri"] == "'self'"


def test_htmx_loads_as_an_external_script_without_injected_styles(cs_client: Client) -> None:
    html = cs_client.get("/orders/").content.decode()

    assert re.search(r'<script src="/static/django_htmx/htmx[^"]*\.js"', html)
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in html


TEMPLATE_DIRS = [BASE_DIR / "templates", *sorted((BASE_DIR / "orders").glob("**/templates"))]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def project_templates() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.glob("**/*.html"))


@pytest.mark.unit
def test_no_template_has_inline_script_or_event_handler_attributes() -> None:
    offences = []
    for path in project_templates():
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_ATTRIBUTE, JS_URL):
            offences += [
                f"{path.relative_to(BASE_DIR)}: {m.group(0)}" for m in pattern.finditer(text)
            ]

    assert project_templates(), "no templates found"
    assert offences == []


# --- Sign-in lockouts (django-axes) ---------------------------------------------------------


@pytest.fixture
def fast_hasher(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


def sign_in(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> str:
    response = client.post(
        "/accounts/login/", {"login": username, "password": password}, REMOTE_ADDR=ip
    )
    return "signed-in" if response.status_code == 302 else response.content.decode()


def failures(**filters: str) -> int:
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(**filters))


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    db: None, fast_hasher: None
) -> None:
    make_staff("casey", "Customer service")
    client = Client()

    for _ in range(4):
        assert WRONG_PASSWORD in sign_in(client, "casey", "guess")
    fifth = sign_in(client, "casey", "guess")
    refused = sign_in(client, "casey", PASSWORD)

    assert LOCKED_TEXT in fifth
    assert LOCKED_TEXT in refused
    assert USERNAME_LOCKED in refused
    assert "_auth_user_id" not in client.session
    assert failures(username="casey") == 5


def test_the_lock_is_per_username_and_ends_after_fifteen_minutes(
    db: None, fast_hasher: None
) -> None:
    make_staff("casey", "Customer service")
    make_staff("morgan", "Marketing")
    client = Client()
    for _ in range(5):
        sign_in(client, "Casey", "guess")  # a change of case is the same account

    assert sign_in(Client(), "morgan", PASSWORD) == "signed-in"
    assert LOCKED_TEXT in sign_in(Client(), "casey", PASSWORD)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert sign_in(Client(), "casey", PASSWORD) == "signed-in"


def test_refused_attempts_do_not_extend_the_lock(db: None, fast_hasher: None) -> None:
    make_staff("casey", "Customer service")
    for _ in range(5):
        sign_in(Client(), "casey", "guess")
    for _ in range(10):
        sign_in(Client(), "casey", "guess")

    assert failures() == 5


def test_twenty_failures_from_one_address_lock_that_address(db: None, fast_hasher: None) -> None:
    make_staff("casey", "Customer service")
    for number in range(19):
        sign_in(Client(), f"nobody{number}", "guess", ip="203.0.113.9")

    assert sign_in(Client(), "casey", PASSWORD, ip="203.0.113.9") == "signed-in"
    sign_in(Client(), "nobody19", "guess", ip="203.0.113.9")
    assert IP_LOCKED in sign_in(Client(), "casey", PASSWORD, ip="203.0.113.9")
    assert sign_in(Client(), "casey", PASSWORD, ip="203.0.113.10") == "signed-in"


def test_axes_reset_lifts_a_lock(db: None, fast_hasher: None) -> None:
    make_staff("casey", "Customer service")
    for _ in range(5):
        sign_in(Client(), "casey", "guess")
    assert LOCKED_TEXT in sign_in(Client(), "casey", PASSWORD)

    call_command("axes_reset_username", "casey", stdout=io.StringIO())

    assert sign_in(Client(), "casey", PASSWORD) == "signed-in"


def test_axes_reset_lifts_every_lock(db: None, fast_hasher: None) -> None:
    make_staff("casey", "Customer service")
    for _ in range(5):
        sign_in(Client(), "casey", "guess")

    call_command("axes_reset", stdout=io.StringIO())

    assert AccessAttempt.objects.count() == 0
    assert sign_in(Client(), "casey", PASSWORD) == "signed-in"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("behind_proxy", "forwarded", "expected"),
    [
        ("true", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        ("true", "198.51.100.7", "198.51.100.7"),
        ("true", "", "10.0.0.2"),
        ("false", "1.2.3.4, 198.51.100.7", "10.0.0.2"),
    ],
)
def test_behind_the_proxy_the_address_it_appended_is_the_one_counted(
    behind_proxy: str, forwarded: str, expected: str
) -> None:
    code = (
        "from django.test import RequestFactory; from axes.helpers import get_client_ip_address; "
        "r = RequestFactory().post('/accounts/login/', REMOTE_ADDR='10.0.0.2', "
        f"HTTP_X_FORWARDED_FOR='{forwarded}'); print(get_client_ip_address(r))"
    )
    env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env={**env, "BEHIND_PROXY": behind_proxy, "DJANGO_SETTINGS_MODULE": "cdpadmin.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.stdout.strip().splitlines()[-1] == expected, result.stderr


def test_the_admin_has_no_sign_in_form_of_its_own(db: None, fast_hasher: None) -> None:
    make_staff("root", None, is_superuser=True, is_staff=True)
    client = Client()

    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "_auth_user_id" not in client.session


def test_locks_are_listed_in_the_admin(db: None, fast_hasher: None) -> None:
    root = make_staff("root", None, is_superuser=True, is_staff=True)
    for _ in range(5):
        sign_in(Client(), "casey", "guess")
    admin = Client()
    admin.force_login(root)

    page = admin.get("/admin/axes/accessattempt/").content.decode()

    assert "casey" in page
    assert "10.0.0.1" in page
