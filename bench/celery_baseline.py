"""The baseline of bench/distributed.py: a bare Celery app whose task does nothing but add one,
run by a worker on the same Redis and machine as the designer's workers. A link given `done`
pushes its value onto that Redis list, which is how the benchmark sees a chain or group end."""

import os
from functools import cache

import redis
from celery import Celery

URL = os.environ.get("BASELINE_REDIS_URL", "redis://127.0.0.1:6379/0")
app = Celery("baseline", broker=URL)
app.conf.task_default_queue = "baseline"
app.conf.worker_prefetch_multiplier = 1
app.conf.task_acks_late = True


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(URL)


@app.task(name="baseline.link", ignore_result=True)
def link(value: int = 0, done: str = "") -> int:
    """One link of a chain (or a member of a group)."""
    if done:
        _client().rpush(done, value + 1)
    return value + 1
