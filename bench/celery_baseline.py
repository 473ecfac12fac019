"""The baselines of bench/distributed.py: a bare Celery app run by a worker on the same Redis and
machine as the designer's workers, with two tasks. `link` does nothing but add one (what Celery
alone costs a step); `work` does what a designer step of the benchmark does, without the
designer around it: read the input Parquet, run the same module function
(transform.select_columns), write the output Parquet. A task given `done` pushes its value onto
that Redis list, which is how the benchmark sees a chain or group end."""

import os
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any

import pandas as pd
import redis
from celery import Celery

from designer.modules.transform import select_columns

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


class _Context:
    """The least of a StepContext that select_columns uses: its params and its input table."""

    def __init__(self, params: Mapping[str, Any], table: pd.DataFrame):
        self.params, self._table = params, table

    def input(self, port: str) -> pd.DataFrame:
        return self._table


@app.task(name="baseline.work", ignore_result=True)
def work(
    source: str, folder: str = "", params: Mapping[str, Any] | None = None, done: str = ""
) -> str:
    """One step's work: the table at `source` through select_columns(`params`), written to a
    new Parquet file in `folder`; its path (the next link's `source`)."""
    table = pd.read_parquet(source)
    result = select_columns(_Context(params or {}, table))["dataset"]
    target = os.path.join(folder, f"{uuid.uuid4().hex}.parquet")
    result.to_parquet(target)
    if done:
        _client().rpush(done, target)
    return target
