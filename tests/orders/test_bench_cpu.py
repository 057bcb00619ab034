"""The bench's CPU figures: each page's CPU per request, and its ratio to the floor per round."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.bench.web import app_cpu_ms, process_cpu_s

pytestmark = pytest.mark.unit


class FakeStack:
    """Workers whose CPU clock moves by what each page costs, doubled in the third round."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.requests = 0

    def app_cpu_s(self) -> float:
        return self.spent

    def page(self, cost_ms: float) -> Any:
        def call() -> Any:
            self.requests += 1
            slow = 2 if 240 <= self.requests < 360 else 1  # a busy neighbour, one round long
            self.spent += cost_ms * slow / 1000
            return SimpleNamespace(status_code=200)

        return call


def test_ms_per_request_and_ratios_taken_round_by_round() -> None:
    stack = FakeStack()
    pages = {"signin": stack.page(5), "order_page": stack.page(12.5)}

    ms, ratios = app_cpu_ms(stack, pages, floor="signin")  # type: ignore[arg-type]

    assert ms == pytest.approx({"signin": 5, "order_page": 12.5})
    assert ratios == pytest.approx({"order_page": 2.5})
    # 5 rounds of 60 requests per page, after one warm-up request each.
    assert stack.requests == 2 + 5 * 2 * 60


def test_a_process_cpu_clock_reads_this_process() -> None:
    import os
    import time

    before = process_cpu_s(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass

    assert process_cpu_s(os.getpid()) - before >= 0.04
