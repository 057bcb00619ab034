"""Retries, rate limits, timeouts and dropped connections, against the sandbox over real HTTP.

`responses` cannot test these (it bypasses urllib3's retries); the sandbox's request log shows
how many times each request really reached the server. The `live` client has retries=2.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings

from orders.cdp import (
    CdpClient,
    CdpRateLimited,
    CdpUnavailable,
    CdpUpstreamError,
    Order,
)
from orders.sandbox.server import RecordedRequest, SandboxServer
from tests.cdp.support import item_body, make_client, order_body

pytestmark = pytest.mark.integration


@pytest.fixture
def order(live: CdpClient, srv: SandboxServer) -> Order:
    created = live.order_create(order_body())
    srv.clear_log()
    return created


def statuses(srv: SandboxServer) -> list[int]:
    return [r.status for r in srv.request_log]


def wait_for_log(srv: SandboxServer, count: int, timeout_s: float = 5.0) -> list[RecordedRequest]:
    """The log once it has `count` entries; slow requests are logged when they finish."""
    deadline = time.monotonic() + timeout_s
    while len(srv.request_log) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return srv.request_log


def test_a_get_is_retried_after_a_503_and_succeeds(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.inject(status=503, times=1, method="GET")
    assert live.order_get(order.ref) == order
    assert statuses(srv) == [503, 200]


def test_a_get_gets_two_retries_then_gives_up_with_an_upstream_error(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.inject(status=502, times=3, method="GET")
    with pytest.raises(CdpUpstreamError) as caught:
        live.order_get(order.ref)
    assert caught.value.status == 502
    assert statuses(srv) == [502, 502, 502]


@pytest.mark.parametrize(("method", "status"), [("PUT", 500), ("DELETE", 504)])
def test_put_and_delete_are_retried(
    live: CdpClient, srv: SandboxServer, order: Order, method: str, status: int
) -> None:
    srv.inject(status=status, times=1, method=method)
    if method == "PUT":
        live.order_replace(order.ref, {"status": "CANCELLED"}, current=order)
    else:
        live.order_delete(order.ref)
    assert [(r.method, r.status) for r in srv.request_log] == [
        (method, status),
        (method, 204 if method == "DELETE" else 200),
    ]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_are_never_retried(
    live: CdpClient, srv: SandboxServer, order: Order, method: str
) -> None:
    srv.inject(status=503, times=1, method=method)
    with pytest.raises(CdpUpstreamError) as caught:
        if method == "POST":
            live.order_item_create(order.ref, {"name": "x"})
        else:
            live.order_patch(order.ref, {"status": "CANCELLED"}, current=order)
    assert "may or may not have been applied" in caught.value.message
    assert [(r.method, r.status) for r in srv.request_log] == [(method, 503)]


def test_a_429_with_a_short_retry_after_is_waited_out_and_retried(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.inject(status=429, times=1, method="GET", retry_after=1)
    assert live.order_get(order.ref) == order
    first, second = srv.request_log
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.9


def test_a_429_with_a_long_retry_after_is_not_waited_out(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.inject(status=429, times=1, method="GET", retry_after=30)
    with pytest.raises(CdpRateLimited) as caught:
        live.order_get(order.ref)
    assert caught.value.retry_after == 30.0
    assert "wait 30 seconds" in caught.value.message
    assert statuses(srv) == [429]


def test_a_429_on_a_post_is_rate_limited_at_once(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.inject(status=429, times=1, method="POST", retry_after=2)
    with pytest.raises(CdpRateLimited) as caught:
        live.order_item_create(order.ref, {"name": "x"})
    assert caught.value.retry_after == 2.0
    assert statuses(srv) == [429]


def test_the_sandbox_rate_limit_reaches_a_create_as_rate_limited(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.config.rate_limit_per_s = 1  # a burst of one request, then one a second
    with pytest.raises(CdpRateLimited) as caught:
        for _ in range(3):
            live.order_item_create(order.ref, item_body())
    assert caught.value.retry_after == 1.0
    assert statuses(srv)[-1] == 429
    assert statuses(srv).count(429) == 1


@pytest.fixture
def impatient(srv: SandboxServer) -> Iterator[CdpClient]:
    """A client that gives up after 0.5 s."""
    client = make_client(
        srv.base_url,
        client_key=django_settings.SANDBOX_CLIENT_KEY,
        api_token=django_settings.SANDBOX_API_TOKEN,
        timeout=0.5,
        retries=2,
    )
    yield client
    client.close()


def test_a_get_that_times_out_is_unavailable_and_not_resent(
    impatient: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.inject(status=None, times=1, method="GET", delay_s=1.5)
    with pytest.raises(CdpUnavailable) as caught:
        impatient.order_get(order.ref)
    assert (
        caught.value.message == "CDP did not answer in 0.5 seconds. Nothing was changed; try again."
    )
    assert [r.method for r in wait_for_log(srv, 1)] == ["GET"]


def test_a_post_that_times_out_may_have_been_applied_and_is_not_resent(
    impatient: CdpClient, live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.inject(status=None, times=1, method="POST", delay_s=1.5)
    with pytest.raises(CdpUnavailable) as caught:
        impatient.order_item_create(order.ref, item_body())
    assert "may or may not have been applied" in caught.value.message
    log = wait_for_log(srv, 1)
    assert [(r.method, r.status) for r in log] == [("POST", 201)]
    # CDP did apply it, which is exactly why the client must not send it again.
    assert len(live.order_items_list(order.ref)) == 1


def test_a_dropped_connection_on_a_get_is_retried(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.inject(status=None, times=1, method="GET", drop=True)
    assert live.order_get(order.ref) == order
    assert statuses(srv) == [0, 200]


def test_a_dropped_connection_on_a_post_is_unavailable_and_not_resent(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    srv.inject(status=None, times=1, method="POST", drop=True)
    with pytest.raises(CdpUnavailable) as caught:
        live.order_item_create(order.ref, {"name": "x"})
    assert "lost before it answered" in caught.value.message
    assert "may or may not have been applied" in caught.value.message
    assert statuses(srv) == [0]


def test_a_create_after_the_server_closed_the_pooled_connection_still_goes_through(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    # A POST is never resent, so a stale keep-alive connection must be noticed before
    # sending, not after. close_connections() is what the sandbox does when it goes away.
    live.order_get(order.ref)
    srv._httpd.close_connections()
    live.order_item_create(order.ref, item_body())
    assert [(r.method, r.status) for r in srv.request_log] == [("GET", 200), ("POST", 201)]
