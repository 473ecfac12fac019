"""A network partition between a worker and Redis: packets silently dropped, no connection
closed, and after healing only new connections get through. The step the cut-off worker held
is retried on another worker, nothing finishes twice, and the cut-off worker takes work again
once healed."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from tests.faults.cluster import FINAL, Cluster, script_chain
from tests.support.partition import Partition


@pytest.fixture
def partition(cluster: Cluster) -> Iterator[Partition]:
    """A way from a worker to the deployment's Redis that the test can cut."""
    made = Partition(cluster.redis.port)
    yield made
    made.close()


def test_a_worker_cut_off_from_redis_loses_nothing(
    cluster: Cluster, partition: Partition, fault_count: int
) -> None:
    # one pool process: one stuck on a dead connection would leave the worker taking no work
    cut_off = cluster.worker("cut", redis_url=partition.url(), concurrency=1)
    rescuer = cluster.worker("rescuer")
    for _ in range(fault_count):
        os.killpg(rescuer.process.pid, signal.SIGSTOP)  # so the step goes to the other one
        time.sleep(1.5)  # its last BRPOP (1 s) has timed out: Redis hands it nothing more
        run_id = cluster.start_run(script_chain(seconds=8, steps=1))
        cluster.wait(run_id, "py1", {"running"})
        assert cluster.worker_of(cluster.holder(run_id, "py1", 1)) is cut_off
        partition.cut()
        os.killpg(rescuer.process.pid, signal.SIGCONT)
        cluster.wait(run_id, "", FINAL)
        partition.heal()
        steps = {step["key"]: step for step in cluster.check(run_id, "succeeded")}
        lost, retried = steps["py1"]["history"]
        assert (lost["status"], retried["status"]) == ("failed", "succeeded"), steps["py1"]
        assert "The worker running this step stopped" in lost["error"]
    rescuer.stop()
    run_id = cluster.start_run(script_chain(seconds=0, steps=2))  # on the healed worker alone
    cluster.wait(run_id, "", FINAL, timeout=90)
    cluster.check(run_id, "succeeded")
    assert cut_off.process.poll() is None, cut_off.log()[-3000:]
    assert "Unrecoverable error" not in cut_off.log()
