"""A step of user code cannot ask for more memory than the server gives one step.

`memory_mb` goes up to 65,536 MB in every graph, whatever the host has: one user's script asking
for more than the host's memory and using it starves every other workspace's steps and the
server (the kernel's OOM killer picks among them all). The operator's ceiling
(DESIGNER_SANDBOX_MAX_MEMORY_MB; by default half the host's memory, and never below the
default 2,048 MB) refuses such a step before it starts, naming the param and the ceiling.
"""

from __future__ import annotations

import os

import pytest

from designer.engine.context import StepError
from tests.support.sandbox import DF, facts, script
from tests.unit.modules.harness import ModuleRunner

GREEDY = "chunk = bytearray(1536 * 1024 * 1024)\nfacts['held'] = len(chunk)\n"  # 1.5 GB


def test_a_step_asking_for_more_memory_than_the_ceiling_does_not_start(
    run: ModuleRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESIGNER_SANDBOX_MAX_MEMORY_MB", "1024")
    for module, params, inputs in (
        ("script.python@1", {"code": script(GREEDY)}, {"dataset1": DF}),
        ("transform.sql@1", {"query": "SELECT * FROM t1"}, {"t1": DF}),
    ):
        with pytest.raises(StepError) as refused:
            run(module, {**params, "memory_mb": 4096}, **inputs)
        assert refused.value.param == "memory_mb"
        assert "at most 1,024 MB" in str(refused.value)
        assert run.logs == []  # nothing ran
    within = {"code": script("facts['ran'] = True\n"), "memory_mb": 1024}
    assert facts(run("script.python@1", within, dataset1=DF)) == {"ran": "True"}


def test_without_a_setting_the_ceiling_is_half_the_hosts_memory() -> None:
    from designer.modules.sandboxed import memory_ceiling

    host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert memory_ceiling() == max(2048 * 1024 * 1024, host // 2)
