"""Fixtures shared by the whole suite: PostgreSQL, the CDP sandbox over HTTP, and staff users."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission, User
from django.db.backends.signals import connection_created
from django.db.models.signals import m2m_changed
from django.test import Client

from orders.cdp.client import reset_client
from orders.identity import GROUPS_AUDIT_UID, _groups_changed
from orders.roles import ensure_staff_groups
from orders.sandbox.config import SandboxConfig
from orders.sandbox.server import SandboxServer

PASSWORD = "correct-horse-battery-staple"


def _allow_test_flush(sender: object, connection: object, **kwargs: object) -> None:
    # Django's flush between transactional tests truncates every table; the audit table's
    # trigger refuses TRUNCATE unless the session opts in, which only the test harness does.
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SET cdpadmin.allow_audit_truncate = 'on'")


connection_created.connect(_allow_test_flush)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer(
        host="127.0.0.1",
        port=0,
        config=SandboxConfig(
            client_key=django_settings.SANDBOX_CLIENT_KEY,
            api_token=django_settings.SANDBOX_API_TOKEN,
        ),
    ).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, settings: object) -> Iterator[SandboxServer]:
    """The sandbox, emptied, with no faults, and the app's CDP client pointed at it."""
    pristine = dataclasses.replace(sandbox_server.config)
    sandbox_server.reset(orders=0, seed=1)
    sandbox_server.clear_log()
    settings.CDP_BASE_URL = sandbox_server.base_url  # type: ignore[attr-defined]
    settings.CDP_CLIENT_KEY = django_settings.SANDBOX_CLIENT_KEY  # type: ignore[attr-defined]
    settings.CDP_API_TOKEN = django_settings.SANDBOX_API_TOKEN  # type: ignore[attr-defined]
    reset_client()
    yield sandbox_server
    for field in dataclasses.fields(pristine):
        setattr(sandbox_server.config, field.name, getattr(pristine, field.name))
    reset_client()


def make_staff(username: str, group: str | None = None, **extra: object) -> User:
    # Transactional tests flush the database, data-migrated groups included.
    ensure_staff_groups(Group, Permission)
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD, **extra)
    if group:
        # A fixture's set-up, not a change anyone made: kept out of the audit trail that the
        # tests count (tests/identity checks the audit of real group changes).
        m2m_changed.disconnect(sender=User.groups.through, dispatch_uid=GROUPS_AUDIT_UID)
        try:
            user.groups.add(Group.objects.get(name=group))
        finally:
            m2m_changed.connect(
                _groups_changed, sender=User.groups.through, dispatch_uid=GROUPS_AUDIT_UID
            )
    return user


@pytest.fixture
def cs_user(db: None) -> User:
    return make_staff("casey", "Customer service")


@pytest.fixture
def marketing_user(db: None) -> User:
    return make_staff("morgan", "Marketing")


@pytest.fixture
def auditor_user(db: None) -> User:
    return make_staff("avery", "Auditor")


@pytest.fixture
def superuser(db: None) -> User:
    return make_staff("root", None, is_superuser=True, is_staff=True)


def logged_in(user: User) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


@pytest.fixture
def cs_client(cs_user: User) -> Client:
    return logged_in(cs_user)


@pytest.fixture
def marketing_client(marketing_user: User) -> Client:
    return logged_in(marketing_user)


@pytest.fixture
def auditor_client(auditor_user: User) -> Client:
    return logged_in(auditor_user)


@pytest.fixture
def super_client(superuser: User) -> Client:
    return logged_in(superuser)
