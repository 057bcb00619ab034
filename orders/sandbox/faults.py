"""Fault injection: latency, rate limiting, random errors and drops, one-shot faults.

None of this is CDP behaviour (§14.1 point 11); it lets tests and benchmarks see how the
app copes with a slow or failing upstream.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from .config import SandboxConfig


@dataclass
class InjectedFault:
    """A deterministic fault for the next `times` requests matching method and path prefix.

    `status` None with `delay_s` set delays the request and then answers normally. `body`
    None gives the §6.1 body for `status`; a dict/list is sent as JSON; a string is sent
    as is (to simulate an unparsable answer).
    """

    status: int | None = 503
    times: int = 1
    method: str | None = None
    path_prefix: str | None = None
    retry_after: int | None = None
    drop: bool = False
    delay_s: float | None = None
    body: Any = None
    content_type: str = "application/json"

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RandomFault:
    """What the random fault switches decided for one request."""

    drop: bool = False
    slow_s: float = 0.0
    status: int | None = None


class TokenBucket:
    """Requests per second across all clients, with a burst of one second's worth."""

    def __init__(self) -> None:
        self._tokens = 0.0
        self._rate = 0.0
        self._stamp = time.monotonic()

    def take(self, rate: float) -> float:
        """Take a token; return 0 on success, else the seconds until one is available."""
        now = time.monotonic()
        if rate != self._rate:
            self._rate = rate
            self._tokens = rate
        else:
            self._tokens = min(rate, self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / rate


class FaultEngine:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._queue: list[InjectedFault] = []
        self._bucket = TokenBucket()
        self._seed = config.fault_seed
        self._rng = random.Random(self._seed)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._bucket = TokenBucket()
            self._seed = self.config.fault_seed
            self._rng = random.Random(self._seed)

    def inject(self, fault: InjectedFault) -> InjectedFault:
        if fault.times < 1:
            raise ValueError("times must be at least 1.")
        with self._lock:
            self._queue.append(fault)
        return fault

    def pending(self) -> list[InjectedFault]:
        with self._lock:
            return list(self._queue)

    def take_injected(self, method: str, path: str) -> InjectedFault | None:
        with self._lock:
            for fault in self._queue:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._queue.remove(fault)
                    return fault
        return None

    def _random(self) -> float:
        if self.config.fault_seed != self._seed:
            self._seed = self.config.fault_seed
            self._rng = random.Random(self._seed)
        return self._rng.random()

    def latency_s(self) -> float:
        cfg = self.config
        if cfg.latency_ms <= 0 and cfg.jitter_ms <= 0:
            return 0.0
        with self._lock:
            jitter = self._random() * cfg.jitter_ms if cfg.jitter_ms > 0 else 0.0
        return max(0.0, cfg.latency_ms + jitter) / 1000

    def retry_after(self) -> int | None:
        """Whole seconds to wait when over the rate limit (≥ 1), else None."""
        rate = self.config.rate_limit_per_s
        if rate <= 0:
            return None
        with self._lock:
            wait = self._bucket.take(rate)
        if wait <= 0:
            return None
        return max(1, math.ceil(wait))

    def random_fault(self) -> RandomFault:
        cfg = self.config
        if not (cfg.drop_rate or cfg.slow_rate or cfg.error_rate_500 or cfg.error_rate_503):
            return RandomFault()
        # One draw per switch, always in the same order, so a seed replays the same faults.
        with self._lock:
            draws = [self._random() for _ in range(4)]
        if draws[0] < cfg.drop_rate:
            return RandomFault(drop=True)
        slow_s = cfg.slow_s if draws[1] < cfg.slow_rate else 0.0
        if draws[2] < cfg.error_rate_500:
            return RandomFault(slow_s=slow_s, status=500)
        if draws[3] < cfg.error_rate_503:
            return RandomFault(slow_s=slow_s, status=503)
        return RandomFault(slow_s=slow_s)
