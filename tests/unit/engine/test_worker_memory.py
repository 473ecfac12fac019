"""LocalRunner's memory bound: a worker past it is stopped and replaced, and only its step fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from designer.engine import memory
from designer.engine.registry import Registry
from designer.engine.runners.local import LocalRunner
from tests.support.graphs import graph, node
from tests.unit.engine.conftest import Env

LIMIT = 384 * memory.MB


def test_a_step_past_its_workers_memory_fails_as_out_of_memory_and_only_it(
    tmp_path: Path, reg: Registry
) -> None:
    with LocalRunner(2, memory_limit=LIMIT) as runner:
        env = Env(tmp_path, reg, runner)
        runner.start()
        before = set(runner.pids())
        doc = graph(
            [
                node("greedy", "test.hoard@1", mb=1536),  # 4 times the bound, 1.5 GB without it
                node("modest", "test.hoard@1", mb=128),
                node("after", "test.sleep@1", seconds=0.5),
            ],
            [("modest.out", "after.in")],
        )
        result = env.run(doc, retries=2, backoff=0.01)
        greedy = result.steps["greedy"]
        assert (greedy.status.value, greedy.attempts) == ("failed", 1)
        assert greedy.error == (
            "the step ran out of memory: the worker's limit is 384 MB "
            "(DESIGNER_WORKER_MAX_MEMORY_MB); the worker was stopped and replaced"
        )
        assert result.steps["modest"].status.value == "succeeded"
        assert result.steps["after"].status.value == "succeeded"
        after = set(runner.pids())
        assert len(after) == 2 and len(before - after) == 1
        assert env.run(graph([node("again", "test.hoard@1", mb=128)])).status == "succeeded"


def test_resident_memory_counts_what_a_process_holds_not_what_it_maps() -> None:
    script = "import numpy, sys; held = numpy.ones(256 * 2**17); sys.stdout.write('x'); input()"
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as child:
        assert child.stdout is not None and child.stdin is not None
        child.stdout.read(1)
        held = memory.resident(child.pid)
        status = Path(f"/proc/{child.pid}/status").read_text()
        child.stdin.close()
    size = int(next(s for s in status.splitlines() if s.startswith("VmSize:")).split()[1]) * 1024
    assert held is not None and 256 * memory.MB <= held < 256 * memory.MB + 64 * memory.MB
    assert size > held + 64 * memory.MB  # the libraries it maps and reserves are not counted
    assert memory.resident(child.pid) is None
    assert memory.resident(os.getpid()) is not None
