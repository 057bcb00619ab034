"""The transport: the pooled session's settings, URLs, logging, and the process-wide client."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from orders.cdp import CdpClient, CdpUnavailable
from orders.cdp.client import get_client, reset_client
from orders.cdp.http import MAX_RETRY_WAIT_S, CdpHTTPAdapter, CdpRetry, encode_body
from tests.cdp.support import (
    API_TOKEN,
    BASE_URL,
    CLIENT_KEY,
    ORDER_BODY,
    ORDER_PATH,
    ORDER_REF,
    ORDER_URL,
    make_client,
)

pytestmark = pytest.mark.unit


def test_requests_carry_basic_auth_json_headers_and_the_default_timeout(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ORDER_URL, json=ORDER_BODY)
    cdp.order_get(ORDER_REF)
    request = mocked.calls[0].request
    expected_auth = base64.b64encode(f"{CLIENT_KEY}:{API_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected_auth}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "cdpadmin/0.1"
    assert request.req_kwargs["timeout"] == (10.0, 10.0)


@pytest.mark.parametrize(
    ("method", "params", "body"),
    [
        ("GET", None, None),
        ("GET", {"expand": "true", "offset": 0, "limit": 100, "sort": None}, None),
        ("GET", "email=jane%40example.com&expand=true", None),
        ("POST", None, {"referenceId": "Ünïcode €", "price": 1.5}),
        ("DELETE", {"keys": "a,b"}, None),
        ("DELETE", None, None),
    ],
)
def test_each_request_is_what_requests_itself_would_have_prepared(
    mocked: responses.RequestsMock, method: str, params: Any, body: Any
) -> None:
    # The transport builds its requests from parts prepared once; what goes out must not
    # differ from requests' own full preparation, byte for byte.
    mocked.add(method, ORDER_URL, json=ORDER_BODY)
    client = make_client(BASE_URL)
    client.transport.call(method, ORDER_PATH, params=params, body=body)

    sent = mocked.calls[0].request
    expected = requests.Request(
        method,
        BASE_URL + ORDER_PATH,
        headers=client.transport.session.headers,
        params=params,
        data=None if body is None else encode_body(body),
        auth=client.transport.session.auth,
    ).prepare()
    assert (sent.method, sent.url, sent.body) == (expected.method, expected.url, expected.body)
    assert dict(sent.headers) == dict(expected.headers)


def test_a_trailing_slash_on_the_base_url_does_not_double_the_slash(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(ORDER_URL, json=ORDER_BODY)
    make_client(BASE_URL + "/").order_get(ORDER_REF)
    assert mocked.calls[0].request.url == ORDER_URL


@pytest.mark.parametrize(
    "base_url",
    [f"https://{CLIENT_KEY}:{API_TOKEN}@cdp.test", "ftp://cdp.test", "cdp.test", "https://x?a=1"],
)
def test_unsafe_base_urls_are_refused_without_echoing_them(base_url: str) -> None:
    with pytest.raises(ValueError) as caught:
        make_client(base_url)
    assert API_TOKEN not in str(caught.value)


def test_each_call_logs_one_line_with_method_path_status_and_time(
    cdp: CdpClient, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.get(ORDER_URL, json=ORDER_BODY, headers={"X-Request-Id": "abc"})
    mocked.delete(ORDER_URL, body=requests.ConnectionError("reset"))
    caplog.set_level(logging.INFO, logger="orders.cdp")
    cdp.order_get(ORDER_REF)
    with pytest.raises(CdpUnavailable):
        cdp.order_delete(ORDER_REF)
    lines = [r.getMessage() for r in caplog.records if r.name == "orders.cdp"]
    assert len(lines) == 2
    assert lines[0].startswith(f"CDP GET {ORDER_PATH} -> 200 in ")
    assert lines[0].endswith("ms (request id abc)")
    assert lines[1].startswith(f"CDP DELETE {ORDER_PATH} -> no answer (ConnectionError)")


def test_the_session_pools_keep_alive_connections_and_retries_only_idempotent_calls() -> None:
    client = make_client(retries=3, pool_size=7, timeout=4.0)
    adapter = client.transport.session.get_adapter(BASE_URL)
    assert isinstance(adapter, CdpHTTPAdapter)
    assert adapter.poolmanager.connection_pool_kw["maxsize"] == 7
    assert adapter.timeout == (4.0, 4.0)
    retry = adapter.max_retries
    assert isinstance(retry, CdpRetry)
    assert retry.total == 3
    assert retry.allowed_methods == frozenset({"GET", "PUT", "DELETE"})
    assert set(retry.status_forcelist or ()) == {429, 500, 502, 503, 504}
    assert (retry.backoff_factor, retry.backoff_max) == (0.2, MAX_RETRY_WAIT_S)
    assert retry.respect_retry_after_header and not retry.raise_on_status


@pytest.mark.parametrize(
    "overrides",
    [
        {"order_update_api": "v3"},
        {"client_key": ""},
        {"api_token": ""},
        {"timeout": 0},
    ],
)
def test_the_client_refuses_incomplete_settings(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_client(**overrides)


@pytest.fixture
def cdp_settings(settings: Any) -> Iterator[Any]:
    """Django settings for a client of `BASE_URL`, with the process-wide client dropped."""
    settings.CDP_BASE_URL = BASE_URL
    settings.CDP_CLIENT_KEY = CLIENT_KEY
    settings.CDP_API_TOKEN = API_TOKEN
    settings.CDP_TIMEOUT = 3.0
    settings.CDP_RETRIES = 1
    settings.CDP_POOL_SIZE = 5
    settings.CDP_ORDER_UPDATE_API = "v2"
    reset_client()
    yield settings
    reset_client()


def test_get_client_builds_one_client_from_settings(cdp_settings: Any) -> None:
    client = get_client()
    assert client is get_client()
    assert (client.base_url, client.transport.timeout, client.order_update_api) == (
        BASE_URL,
        3.0,
        "v2",
    )


def test_get_client_gives_every_thread_the_same_client(cdp_settings: Any) -> None:
    seen: list[CdpClient] = []
    start = threading.Barrier(8)

    def grab() -> None:
        start.wait()
        seen.append(get_client())

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in seen}) == 1


def test_reset_client_picks_up_changed_settings(cdp_settings: Any) -> None:
    first = get_client()
    cdp_settings.CDP_BASE_URL = "https://other.test/"
    assert get_client() is first
    reset_client()
    assert get_client().base_url == "https://other.test"


def test_the_environments_proxy_is_read_once_and_no_proxy_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = make_client()
    monkeypatch.setenv("NO_PROXY", BASE_URL.split("//")[1].split("/")[0])
    bypassed = make_client()
    monkeypatch.delenv("HTTPS_PROXY")

    assert proxied.transport.session.proxies["https"] == "http://proxy.internal:3128"
    assert "https" not in bypassed.transport.session.proxies
    # Read at construction: the calls do not look at the environment again.
    assert proxied.transport.session.trust_env is False
