"""A worker is SIGKILLed (with its pool and everything it started) while it runs a step: the
other worker's reconciler finds the attempt lost and the run state machine retries it there,
within the heartbeat's lifetime and 30 s of the kill (the issue's goal)."""

from __future__ import annotations

import time
from datetime import datetime

from tests.faults.cluster import HEARTBEAT, Cluster, script_chain

RETRIED_WITHIN = 3 * float(HEARTBEAT) + 30  # seconds from the kill to the retry's start


def test_a_worker_killed_mid_step_loses_nothing(cluster: Cluster, fault_count: int) -> None:
    cluster.worker("w1")
    cluster.worker("w2")
    for round_ in range(fault_count):
        run_id = cluster.start_run(script_chain(seconds=3, steps=2))
        # running as saved: a worker killed during the claim never started it (it is sent again)
        cluster.wait(run_id, "py1", {"running"})
        holder = cluster.worker_of(cluster.holder(run_id, "py1", 1))
        killed_at = time.time()
        cluster.kill(holder)
        cluster.worker(f"w{round_ + 3}")  # a replacement, for the next round
        cluster.wait(run_id, "", {"succeeded", "failed", "canceled"})
        steps = {step["key"]: step for step in cluster.check(run_id, "succeeded")}
        lost, retried = steps["py1"]["history"]
        assert (lost["status"], retried["status"]) == ("failed", "succeeded"), steps["py1"]
        assert "The worker running this step stopped" in lost["error"]
        started = datetime.fromisoformat(retried["started_at"]).timestamp()  # database clock
        assert started - killed_at < RETRIED_WITHIN, (killed_at, retried)
        assert steps["py2"]["attempts"] == 1
