"""One pace for the tenant: a 429 closes the gate for every caller of the client."""

from __future__ import annotations

import time

import pytest

from orders.cdp import CdpClient, CdpRateLimited
from orders.cdp.calls import watch_writes
from orders.cdp.pacing import Pacer
from orders.sandbox.server import SandboxServer
from tests.cdp.support import order_body


def test_after_a_long_retry_after_the_next_call_fails_at_once_without_sending(
    srv: SandboxServer, live: CdpClient
) -> None:
    order = live.order_create(order_body())
    srv.inject(status=429, times=1, method="GET", retry_after=30)

    with pytest.raises(CdpRateLimited):
        live.order_get(order.ref)
    srv.clear_log()
    with pytest.raises(CdpRateLimited) as refused:
        live.order_get(order.ref)

    assert srv.request_log == []
    assert "wait 30 seconds" in refused.value.message
    assert 29 < live.pacer.open_in() <= 30


def test_a_write_waits_at_the_gate_before_it_is_reported_as_about_to_be_sent(
    srv: SandboxServer, live: CdpClient
) -> None:
    order = live.order_create(order_body())
    live.pacer.rate_limited(0.3)
    planned_at: list[float] = []

    started = time.monotonic()
    with watch_writes(lambda call: planned_at.append(time.monotonic())):
        live.order_patch(order.ref, {"price": 2}, current=order)

    assert planned_at and planned_at[0] - started >= 0.25


def test_paced_calls_report_each_wait_and_retry_after_a_429() -> None:
    pacer = Pacer()
    waits: list[float] = []
    calls: list[float] = []

    def flaky() -> str:
        calls.append(time.monotonic())
        if len(calls) == 1:
            pacer.rate_limited(0.2)
            raise CdpRateLimited("busy", retry_after=0.2)
        return "done"

    assert pacer.call(flaky, report=waits.append) == "done"

    assert len(calls) == 2 and calls[1] - calls[0] >= 0.15
    assert len(waits) == 1 and 0.1 < waits[0] <= 0.2


def test_with_backoff_a_call_refused_again_and_again_waits_twice_as_long_each_time() -> None:
    pacer = Pacer()
    waits: list[float] = []
    calls = 0

    def refused_twice() -> str:
        nonlocal calls
        calls += 1
        if calls <= 2:
            pacer.rate_limited(0.1)  # what the transport does on each 429
            raise CdpRateLimited("busy", retry_after=0.1)
        return "done"

    assert pacer.call(refused_twice, backoff=True, report=waits.append) == "done"

    # Retry-After says 0.1 s; the first refusal holds the gate 1 s, the second 2 s.
    assert calls == 3
    assert [round(w) for w in waits] == [1, 2]
