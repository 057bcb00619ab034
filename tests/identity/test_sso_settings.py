"""Single sign-on is set up from the environment alone; a half-set provider stops start-up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.unit

PRINT_APPS = (
    # SAML's toolkit (python3-saml, xmlsec) must import, or SAML sign-in fails at run time.
    "import allauth.socialaccount.providers.saml.utils; from django.conf import settings as s; "
    "print(sorted((p, a['provider_id'], a['client_id'], a['name']) "
    "for p, c in s.SOCIALACCOUNT_PROVIDERS.items() for a in c['APPS']))"
)


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=settings.BASE_DIR,
        env={**keep, "DJANGO_SETTINGS_MODULE": "cdpadmin.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_oidc_and_saml_providers_come_from_the_environment() -> None:
    result = run(
        PRINT_APPS,
        OIDC_ISSUER="https://login.microsoftonline.com/tenant-id/v2.0",
        OIDC_CLIENT_ID="client-id",
        OIDC_CLIENT_SECRET="client-secret",
        SSO_NAME="Contoso",
        SAML_METADATA_URL="https://idp.example.com/metadata.xml",
        SAML_ENTITY_ID="https://idp.example.com/",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(
        [
            ("openid_connect", "sso", "client-id", "Contoso"),
            ("saml", "https://idp.example.com/", "sso", "Contoso"),
        ]
    )


def test_without_sso_settings_there_is_no_provider() -> None:
    result = run(PRINT_APPS)

    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_an_issuer_without_client_credentials_stops_start_up() -> None:
    result = run(PRINT_APPS, OIDC_ISSUER="https://accounts.google.com")

    assert result.returncode != 0
    assert "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set with OIDC_ISSUER." in result.stderr
