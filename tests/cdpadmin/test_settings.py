"""Settings come from the environment; a misconfiguration stops start-up and names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.folders import server_data_folder

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.unit

PRINT_CDP = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.CDP_SANDBOX, s.CDP_BASE_URL, s.CDP_TIMEOUT)"
)


def run_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CDP_", "DJANGO_ALLOW_ASYNC"))
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_CDP],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "cdpadmin.settings",
            "ENV_FILE": "",
            "LOOKUP_HMAC_KEY": "a-test-lookup-key",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_no_credentials_the_app_uses_the_local_sandbox() -> None:
    result = run_settings()

    assert result.stdout.split() == ["True", "http://127.0.0.1:8001", "10.0"]


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("eu", "https://api-engage-eu.sitecorecloud.io"),
        ("JP", "https://api-engage-jpe.sitecorecloud.io"),
        ("us", "https://api-engage-us.sitecorecloud.io"),
        ("ap", "https://api-engage-ap.sitecorecloud.io"),
    ],
)
def test_real_credentials_pick_the_regions_host(region: str, host: str) -> None:
    result = run_settings(CDP_CLIENT_KEY="key", CDP_API_TOKEN="token", CDP_REGION=region)

    assert result.stdout.split() == ["False", host, "10.0"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CDP_CLIENT_KEY": "key"}, "CDP_API_TOKEN is not set"),
        ({"CDP_API_TOKEN": "token"}, "CDP_CLIENT_KEY is not set"),
        ({"CDP_CLIENT_KEY": "key", "CDP_API_TOKEN": "token"}, "CDP_REGION is not set"),
        ({"CDP_REGION": "mars"}, "CDP_REGION is 'mars'"),
        ({"CDP_TIMEOUT": "soon"}, "CDP_TIMEOUT must be a number"),
        ({"CDP_TIMEOUT": "0"}, "CDP_TIMEOUT must be a positive number"),
        ({"CDP_BASE_URL": "ftp://x"}, "CDP_BASE_URL must start with http"),
        ({"CDP_ORDER_UPDATE_API": "v3"}, "CDP_ORDER_UPDATE_API must be"),
        ({"CDP_GUEST_API": "v3"}, "CDP_GUEST_API must be"),
        (
            {"CDP_CLIENT_KEY": "k", "CDP_API_TOKEN": "t", "CDP_REGION": "eu"}
            | {"LOOKUP_HMAC_KEY": ""},
            "LOOKUP_HMAC_KEY is not set",
        ),
        ({"DEBUG": "maybe"}, "DEBUG has the value 'maybe'"),
        ({"PRODUCTION": "true", "SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"AUDIT_SIGNING_KEY_FILE": "/etc/key.pem"}, "AUDIT_CHECKPOINT_DIR is not set"),
        ({"AUDIT_CHECKPOINT_ORIGIN": "my log"}, "AUDIT_CHECKPOINT_ORIGIN must be"),
        ({"AUDIT_CHECKPOINT_EVERY_S": "0"}, "AUDIT_CHECKPOINT_EVERY_S must be"),
    ],
)
def test_a_misconfiguration_stops_start_up_naming_the_variable(
    env: dict[str, str], named: str
) -> None:
    result = run_settings(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr


def test_credentials_are_not_echoed_in_a_configuration_error() -> None:
    result = run_settings(CDP_CLIENT_KEY="distinctive-key-123", CDP_API_TOKEN="tok-456")

    assert "distinctive-key-123" not in result.stderr
    assert "tok-456" not in result.stderr


@pytest.mark.parametrize("url", ["sqlite:///db.sqlite3", "sqlite://", "mysql://u:p@db/cdpadmin"])
def test_a_database_other_than_postgresql_stops_start_up_with_a_sentence(url: str) -> None:
    result = run_settings(DATABASE_URL=url)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    scheme = url.partition(":")[0]
    assert f"DATABASE_URL is a '{scheme}' URL; cdpadmin runs on PostgreSQL only" in result.stderr
    assert "u:p@" not in result.stderr


def test_production_without_database_url_stops_start_up() -> None:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_CDP],
        cwd=ROOT,
        env={**env, "ENV_FILE": "", "PRODUCTION": "true", "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "DATABASE_URL is not set; with PRODUCTION=true" in result.stderr


SHOW_DATABASE = (
    "import django; django.setup(); from django.db import connection; "
    "cursor = connection.cursor(); "
    "cursor.execute(\"SELECT current_database(), current_setting('data_directory'), "
    "current_setting('listen_addresses'), inet_server_port() IS NULL\"); "
    "print(*cursor.fetchone(), connection.connection.info.host, sep='|')"
)


@pytest.mark.integration
def test_with_no_database_url_the_embedded_server_is_started_and_stopped_again() -> None:
    with server_data_folder("cdpadmin-settings-") as folder:
        _check_embedded_server(folder / "pgdata")


def _check_embedded_server(pgdata: Path) -> None:
    # A clean environment: no DATABASE_URL, no developer's .env.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    result = subprocess.run(
        [sys.executable, "-c", SHOW_DATABASE],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "cdpadmin.settings",
            "ENV_FILE": "",
            "EMBEDDED_PGDATA": str(pgdata),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    database, data_directory, listen, no_tcp, host = result.stdout.strip().split("|")
    assert database == "cdpadmin"
    assert Path(data_directory) == pgdata.resolve()
    # Only a Unix socket in the data folder: no TCP port, so no clash with any other server.
    assert (listen, no_tcp) == ("", "True")
    assert Path(host) == pgdata.resolve()
    # The process that started the server stopped it on exit; the data stays.
    assert not (pgdata / "postmaster.pid").exists()
    assert (pgdata / "PG_VERSION").exists()
