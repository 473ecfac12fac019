"""A worker whose wall clock jumped two hours ahead, and an artifact store whose disk is full."""

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

import pytest

from tests.faults.cluster import Cluster, await_all, jumping_clock, script_chain


def test_a_worker_clock_jump_decides_nothing_early(
    cluster: Cluster, fault_count: int, tmp_path: Path
) -> None:
    """One of two workers has its wall clock jump two hours (forward, then back on the next
    round) while runs are in flight: every clock call of the process, Python's or C's, jumps."""
    clock = tmp_path / "clock"
    clock.write_text("+0\n")
    cluster.worker("w1")
    jumpy = cluster.worker("jumpy", **jumping_clock(clock))
    for round_ in range(fault_count):
        runs = [cluster.start_run(script_chain(seconds=1.5, steps=2)) for _ in range(4)]
        cluster.wait(runs[0], "py1", {"running", "succeeded", "failed"})  # in flight
        ahead = round_ % 2 == 0
        clock.write_text("+2h\n" if ahead else "+0\n")  # past every step's default timeout
        await_all(cluster, runs)
        for run_id in runs:
            for step in cluster.check(run_id, "succeeded"):
                assert step["attempts"] <= 1, step  # no attempt timed out or was lost
        if ahead:  # the jump happened: the worker logged the tasks it took on its own clock
            assert _latest_log_time(jumpy.log()) > datetime.now() + timedelta(hours=1)


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
