"""Redis or PostgreSQL restarts while runs are in flight: every run still ends as it should,
with every event and no step done twice."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.faults.cluster import Cluster, await_all, script_chain


def _runs_through(cluster: Cluster, restart: Callable[[], None], fault_count: int) -> None:
    cluster.worker("w1")
    cluster.worker("w2")
    for _ in range(fault_count):
        runs = [cluster.start_run(script_chain(seconds=2, steps=2)) for _ in range(3)]
        cluster.wait(runs[0], "py1", {"running", "succeeded"})  # mid-run either way
        restart()
        await_all(cluster, runs)
        for run_id in runs:
            cluster.check(run_id, "succeeded")
    for worker in cluster.workers:
        assert worker.process.poll() is None, worker.log()[-3000:]
        assert "Unrecoverable error" not in worker.log()


def test_redis_restarts_mid_run(cluster: Cluster, fault_count: int) -> None:
    def restart() -> None:
        cluster.redis.stop()
        time.sleep(2)
        cluster.redis.start()

    _runs_through(cluster, restart, fault_count)


def test_postgres_restarts_mid_run(cluster: Cluster, fault_count: int) -> None:
    def restart() -> None:
        cluster.postgres.stop()
        time.sleep(2)
        cluster.postgres.start()

    _runs_through(cluster, restart, fault_count)
