"""A real OpenID Provider in a second process (tests/idp), and a browser-like sign-in through it.

The IdP is django-allauth's own OpenID Provider with its own settings, SQLite database and
RSA signing key. The app under test runs in the test process (Django's test client); its
server-side calls to the IdP (discovery, token, JWKS, userinfo) are real HTTP.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.test import Client

BASE_DIR = Path(django_settings.BASE_DIR)
CLIENT_ID = "cdpadmin-tests"
CLIENT_SECRET = "a-test-client-secret"  # noqa: S105 - the test IdP's client, nothing real
APP_ORIGIN = "http://testserver"  # Django's test client
CALLBACK_PATH = "/accounts/oidc/sso/login/callback/"
IDP_PASSWORD = "idp-password-for-tests"  # noqa: S105


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class IdentityProvider:
    url: str
    env: dict[str, str]

    def shell(self, code: str) -> str:
        """Run Python in the IdP's own Django (its settings, its database)."""
        result = subprocess.run(
            [sys.executable, "-m", "django", "shell", "--no-imports", "-c", code],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def set_user(self, username: str, groups: list[str], email: str = "") -> None:
        """Create or update a user at the IdP with exactly these groups."""
        self.shell(
            "from django.contrib.auth.models import Group, User\n"
            f"u, _ = User.objects.get_or_create(username={username!r})\n"
            f"u.email = {email or username + '@example.com'!r}\n"
            f"u.set_password({IDP_PASSWORD!r}); u.save()\n"
            f"u.groups.set([Group.objects.get_or_create(name=n)[0] for n in {groups!r}])\n"
        )


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    folder = tmp_path_factory.mktemp("idp")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = folder / "signing-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "tests.idp.settings",
        "IDP_DB": str(folder / "idp.sqlite3"),
        "IDP_PRIVATE_KEY_FILE": str(key_file),
        "PYTHONPATH": str(BASE_DIR),
    }
    idp = IdentityProvider(url=f"http://127.0.0.1:{port}", env=env)
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=300,
    )
    idp.shell(
        "from allauth.idp.oidc.models import Client\n"
        f"c = Client(id={CLIENT_ID!r}, name='cdpadmin', type='confidential',"
        " scopes='openid\\nprofile\\nemail', skip_consent=True,"
        f" redirect_uris={APP_ORIGIN + CALLBACK_PATH!r}, response_types='code',"
        " grant_types='authorization_code')\n"
        f"c.set_secret({CLIENT_SECRET!r}); c.save()\n"
    )
    log = (folder / "idp.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{idp.url}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, (folder / "idp.log").read_text()
            assert time.monotonic() < deadline, "the identity provider did not start"
            time.sleep(0.2)
        yield idp
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def sso_settings(server_url: str) -> dict[str, Any]:
    return {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Test IdP",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": server_url, "uid_field": "sub"},
                }
            ],
        }
    }


@pytest.fixture
def sso(identity_provider: IdentityProvider, settings: Any, db: None) -> IdentityProvider:
    """The app set up to sign in with the test IdP, as OIDC_ISSUER etc. would set it up."""
    settings.SOCIALACCOUNT_PROVIDERS = sso_settings(identity_provider.url)
    return identity_provider


def hidden_input(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)" name="{name}"', html
    )
    assert match, f"no {name} in {html[:2000]}"
    return unescape(match.group(1))


def sign_in_at_idp(app: Client, username: str, password: str = IDP_PASSWORD) -> Any:
    """What a browser does: start at the app, sign in at the IdP, come back with the code.

    Returns the app's response to the callback.
    """
    started = app.post("/accounts/oidc/sso/login/")
    assert started.status_code == 302, started.content.decode()[:1000]
    browser = requests.Session()
    page = browser.get(started["Location"], timeout=10)
    assert "/accounts/login/" in page.url, page.text[:1000]
    response = browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": hidden_input(page.text, "csrfmiddlewaretoken"),
            "login": username,
            "password": password,
        },
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    for _ in range(5):
        assert response.status_code in (302, 303), response.text[:2000]
        location = response.headers["Location"]
        if location.startswith(APP_ORIGIN):
            callback = urlsplit(location)
            return app.get(f"{callback.path}?{callback.query}")
        response = browser.get(
            requests.compat.urljoin(response.url, location), allow_redirects=False, timeout=10
        )
    raise AssertionError("the IdP never sent the browser back to the app")


def decode_segment(segment: str) -> dict[str, Any]:
    import base64

    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
