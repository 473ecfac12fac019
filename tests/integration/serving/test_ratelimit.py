"""The keys' rate limit in Redis (the Lua script) gives exactly the answers of the rule on the
host's file, and the web server's client and the scoring process's share it."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
import redis

from designer.serving.ratelimit import AsyncRates, Rates, SharedRates, host_file, redis_key
from tests.support import workers

REDIS_DB = 9  # a database index of our own


@pytest.fixture
def redis_url() -> str:
    url = workers.redis_url(REDIS_DB)
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: the distributed rate limit needs a Redis server")
    redis.Redis.from_url(url).delete(*(redis_key(k) for k in range(1, 4)))
    return url


def test_redis_answers_as_the_file_does(tmp_path: Path, redis_url: str) -> None:
    file = SharedRates(host_file(tmp_path))
    web = Rates(SharedRates(host_file(tmp_path / "unused")), redis_url)
    scoring = AsyncRates(SharedRates(host_file(tmp_path / "unused")), redis_url)
    draw = random.Random(12)

    async def calls() -> None:
        now = 1_000_000.0
        for n in range(300):
            now += draw.choice([0.0, 0.001, 0.5, 3.0, 19.9, 20.0, 61.0])
            key, rate = draw.choice([(1, 3), (2, 60), (3, 1)])
            expected = file.take(key, rate, now)
            taken = web.take(key, rate, now) if n % 2 else await scoring.take(key, rate, now)
            assert taken == expected, (n, key, rate, now)

    asyncio.run(calls())
