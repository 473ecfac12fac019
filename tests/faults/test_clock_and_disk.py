"""A worker whose wall clock jumps two hours ahead and back, and an artifact store whose disk
is full."""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.faults.cluster import AdvanceWatch, Cluster, await_all, jumping_clock, script_chain

TIMEOUT = 120.0  # seconds: every step's timeout in the clock test (its longest wake-up)
SHORT = 4.0  # seconds: the timeout of a step that sleeps past it
SLACK = 60.0  # seconds a run may end after its timeouts allow, on a loaded machine


def test_a_worker_clock_jump_decides_nothing_early_or_late(
    cluster: Cluster, fault_count: int, tmp_path: Path
) -> None:
    """One of two workers has its wall clock jump two hours ahead, then back, while runs are
    in flight: every clock call of the process, Python's or C's, jumps. Every run ends as it
    should (a step over its timeout fails saying so, the others succeed with one attempt)
    within its timeouts + slack, on the test's clock and as saved; and no `advance_run`
    message waits longer than a wake-up can be away (each is sent with its run's `wake_at`,
    on the database's clock, as its ETA: a countdown became an ETA on the sender's clock)."""
    clock = tmp_path / "clock"
    clock.write_text("+0\n")
    cluster.worker("w1")
    jumpy = cluster.worker("jumpy", **jumping_clock(clock))
    limits = {"timeout": TIMEOUT, "retries": 0}
    with AdvanceWatch(cluster, longest=TIMEOUT, slack=SLACK) as watch:
        for _ in range(fault_count):
            for offset in ("+2h", "+0"):  # ahead, then back
                runs = [
                    cluster.start_run(script_chain(seconds=1.5, steps=2, execution=limits))
                    for _ in range(4)
                ]
                late = script_chain(seconds=60, steps=1, execution=limits)
                late["nodes"][1]["execution"]["timeout"] = SHORT
                over = cluster.start_run(late)
                cluster.wait(runs[0], "py1", {"running", "succeeded", "failed"})  # in flight
                clock.write_text(f"{offset}\n")  # past every step's timeout
                await_all(cluster, [*runs, over], timeout=3 * TIMEOUT + SLACK)
                for run_id in runs:
                    for step in cluster.check(run_id, "succeeded"):
                        assert step["attempts"] <= 1, step  # no attempt timed out or was lost
                steps = {step["key"]: step for step in cluster.check(over, "failed")}
                assert steps["py1"]["history"][-1]["error"] == f"timed out after {SHORT:g}s"
                _assert_durations(cluster, runs, 3 * TIMEOUT + SLACK)
                _assert_durations(cluster, [over], TIMEOUT + SHORT + SLACK)
                if offset != "+0":  # the worker logged the tasks it took on its own clock
                    assert _latest_log_time(jumpy.log()) > datetime.now() + timedelta(hours=1)
    assert watch.seen, "no advance_run message with an ETA was ever seen"
    assert not watch.overdue, watch.overdue[:5]


def _assert_durations(cluster: Cluster, runs: list[int], longest: float) -> None:
    """The runs started and finished (as saved) no more than `longest` seconds apart."""
    with psycopg.connect(cluster.db_url) as conn:
        rows = conn.execute(
            "SELECT id, EXTRACT(EPOCH FROM finished_at - started_at)::float FROM runs_run"
            " WHERE id = ANY(%s)",
            [runs],
        ).fetchall()
    for run_id, seconds in rows:
        assert 0 <= seconds <= longest, (run_id, seconds)


def _latest_log_time(log: str) -> datetime:
    """The time of a worker's last log line, as its own clock read it."""
    stamps = re.findall(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", log, re.MULTILINE)
    return datetime.strptime(stamps[-1], "%Y-%m-%d %H:%M:%S")


def _big_output(rows: int) -> dict[str, Any]:
    """The iris sample, then a script whose output is `rows` x 8 random floats."""
    code = (
        f"# {uuid.uuid4().hex}\nimport numpy as np\nimport pandas as pd\n"
        "def azureml_main(df1, df2=None):\n"
        f"    return pd.DataFrame(np.random.default_rng().random(({rows}, 8)))\n"
    )
    document = script_chain(seconds=0, steps=1)
    document["nodes"][1]["params"]["code"] = code
    return document


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 12 MB tmpfs for the workers' artifact store."""
    folder = Path(tempfile.mkdtemp(prefix="designer-full-"))
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m,mode=0700", "tmpfs", folder], check=True
    )
    yield folder
    subprocess.run(["umount", folder], check=True)
    folder.rmdir()


def test_a_full_artifact_disk_fails_the_step_saying_so(
    cluster: Cluster, small_disk: Path, fault_count: int
) -> None:
    store = small_disk / "artifacts"
    cluster.worker("w1", DESIGNER_ARTIFACT_ROOT=str(store))
    for _ in range(fault_count):
        document = _big_output(rows=400_000)  # ~25 MB of Parquet: more than the disk holds
        run_id = cluster.start_run(document)
        await_all(cluster, [run_id])
        steps = {step["key"]: step for step in cluster.check(run_id, "failed")}
        errors = [entry["error"] for entry in steps["py1"]["history"]]
        assert errors and all("No space left on device" in error for error in errors), errors
        for item in (store / "objects").glob("*/*"):  # nothing half-written is kept
            assert hashlib.sha256(item.read_bytes()).hexdigest() == item.parent.name + item.name
        assert not any((store / "tmp").iterdir())
    subprocess.run(["mount", "-o", "remount,size=256m", small_disk], check=True)
    run_id = cluster.start_run(_big_output(rows=400_000))
    await_all(cluster, [run_id])
    steps = {step["key"]: step for step in cluster.check(run_id, "succeeded")}
    assert steps["py1"]["attempts"] == 1
