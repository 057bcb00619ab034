"""Fixtures for the CDP client tests: clients built without settings, `responses`, the sandbox.

The sandbox itself (`sandbox_server`, session-scoped, and `sandbox`, reset per test) comes from
`tests/conftest.py`; these fixtures only point a client of their own at it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from django.conf import settings as django_settings

from orders.cdp.client import CdpClient
from orders.sandbox.server import SandboxServer
from tests.cdp.support import make_client


@pytest.fixture
def cdp() -> Iterator[CdpClient]:
    """A client for `BASE_URL` (no retries, 10 s timeout) to use with `mocked`."""
    client = make_client()
    yield client
    client.close()


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """`responses` with nothing registered: an unregistered request fails the call."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def srv(sandbox: SandboxServer) -> SandboxServer:
    """The shared sandbox, emptied, with no faults and an empty request log."""
    return sandbox


@pytest.fixture
def live(srv: SandboxServer) -> Iterator[CdpClient]:
    """A client against the sandbox over real HTTP: 5 s timeout, 2 retries."""
    client = make_client(
        srv.base_url,
        client_key=django_settings.SANDBOX_CLIENT_KEY,
        api_token=django_settings.SANDBOX_API_TOKEN,
        timeout=5.0,
        retries=2,
        pool_size=10,
    )
    yield client
    client.close()
