"""The keys' rate limit: the GCRA rule on the host's file, shared by whoever opens it, and the
file taking over while Redis cannot be reached."""

from __future__ import annotations

import asyncio
from pathlib import Path

from designer.serving.ratelimit import AsyncRates, Rates, SharedRates, host_file
from tests.support.processes import free_port


def test_a_rate_allows_a_minute_of_calls_at_once_then_one_per_interval(tmp_path: Path) -> None:
    rates = SharedRates(host_file(tmp_path))
    now = 1_000_000.0
    assert [rates.take(5, 3, now) for _ in range(4)] == [None, None, None, 20.0]
    assert rates.take(5, 3, now + 19.5) == 1.0
    assert rates.take(5, 3, now + 20.0) is None  # one interval later, one more call
    assert rates.take(6, 3, now) is None  # another key has a budget of its own


def test_every_opener_of_the_file_shares_the_budget(tmp_path: Path) -> None:
    web, scoring = SharedRates(host_file(tmp_path)), SharedRates(host_file(tmp_path))
    now = 1_000_000.0
    answers = [(web if n % 2 else scoring).take(1, 2, now) for n in range(3)]
    assert answers == [None, None, 30.0]


def test_while_redis_is_unreachable_the_hosts_file_counts(tmp_path: Path) -> None:
    gone = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    sync = Rates(SharedRates(host_file(tmp_path)), gone)
    loop = AsyncRates(SharedRates(host_file(tmp_path)), gone)
    now = 1_000_000.0
    answers = [sync.take(1, 2, now), asyncio.run(loop.take(1, 2, now)), sync.take(1, 2, now)]
    assert answers == [None, None, 30.0]
