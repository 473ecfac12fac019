"""A queued step's task message is lost from the broker (as when Redis loses its data): the
reconciler sends it again after DESIGNER_RESEND_SECONDS, not the broker's one-hour visibility
timeout, and the step runs once."""

from __future__ import annotations

import time

import redis

from tests.faults.cluster import Cluster, script_chain


def test_a_lost_step_message_is_sent_again(cluster: Cluster, fault_count: int) -> None:
    cluster.worker("w1")  # two pool processes: the third step of the fan-out waits in the queue
    broker = redis.Redis.from_url(cluster.redis.url)
    for _ in range(fault_count):
        document = script_chain(seconds=15, steps=3)
        for edge in document["edges"]:  # a fan-out: every script reads the sample
            edge["source"] = {"node": "s1", "port": "dataset"}
        run_id = cluster.start_run(document)
        cluster.holder(run_id, "py1", 1)
        cluster.holder(run_id, "py2", 1)
        deadline = time.monotonic() + 30
        while not broker.lrange("celery", 0, -1):  # py3's task, sent behind them
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert broker.delete("celery") == 1  # lost
        cluster.wait(run_id, "", {"succeeded", "failed", "canceled"})
        steps = {step["key"]: step for step in cluster.check(run_id, "succeeded")}
        assert steps["py3"]["attempts"] == 1, steps["py3"]
