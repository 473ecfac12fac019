"""A server starting (embedded runner): the runs an earlier process left running are failed at
once, and the first run finds its worker processes started and their imports done."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.e2e.server import LiveServer
from tests.integration.endpoints.test_live_server import Session
from tests.support.processes import children

SLEEPING = "import time\n\ndef azureml_main(df1, df2=None):\n    time.sleep(120)\n    return df1\n"


def until(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def workers_of(pid: int) -> dict[int, str]:
    """The server's worker processes (its children running the worker loop): pid → maps."""
    found = {}
    for child in children(pid):
        try:
            if "worker_main" in Path(f"/proc/{child}/cmdline").read_bytes().decode(
                errors="replace"
            ):
                found[child] = Path(f"/proc/{child}/maps").read_text()
        except OSError:  # ended meanwhile
            continue
    return found


def document(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": edges, "comments": []}


SAMPLE = {"id": "data", "module": "data.sample_dataset@1", "params": {"name": "iris"}}


def run_script(alice: Session, server: LiveServer, name: str, code: str) -> dict[str, Any]:
    """A run, just started, of a new graph: the sample dataset into a Python script (`py`)."""
    script = {"id": "py", "module": "script.python@1", "params": {"code": code}}
    edge = {"id": "e", "source": {"node": "data", "port": "dataset"}}
    edge["target"] = {"node": "py", "port": "dataset1"}
    body = {"name": name, "document": document([SAMPLE, script], [edge])}
    graph = alice.call("POST", f"/api/workspaces/{server.workspace}/graphs/", body, 201)
    run: dict[str, Any] = alice.call("POST", f"/api/graphs/{graph['id']}/runs/", {}, 201)
    return run


def test_the_first_run_finds_its_workers_started_and_their_imports_done(
    live_designer: LiveServer,
) -> None:
    assert live_designer.process is not None
    warm = until(
        lambda: (
            (w := workers_of(live_designer.process.pid))  # type: ignore[union-attr]
            and len(w) == 2
            and all("/sklearn/" in maps for maps in w.values())
            and w
        ),
        60,
        "two workers with scikit-learn loaded, before any run",
    )
    alice = Session(live_designer)
    body = {"name": "iris", "document": document([SAMPLE], [])}
    graph = alice.call("POST", f"/api/workspaces/{live_designer.workspace}/graphs/", body, 201)
    run = alice.call("POST", f"/api/graphs/{graph['id']}/runs/", {}, 201)
    done = until(
        lambda: (r := alice.call("GET", f"/api/runs/{run['id']}/"))["finished_at"] and r,
        60,
        "the first run finished",
    )
    assert done["status"] == "succeeded", done
    assert set(workers_of(live_designer.process.pid)) == set(warm)  # the run used them: no new pool


def test_a_restarted_server_fails_the_runs_it_lost_before_anyone_runs_again(
    live_designer: LiveServer,
) -> None:
    alice = Session(live_designer)
    run = run_script(alice, live_designer, "slow", SLEEPING)

    def script_running() -> bool:
        steps = alice.call("GET", f"/api/runs/{run['id']}/")["steps"]
        return any(s["key"] == "py" and s["status"] == "running" for s in steps)

    until(script_running, 60, "the script step running")
    live_designer.restart()
    alice = Session(live_designer)
    lost = until(
        lambda: (r := alice.call("GET", f"/api/runs/{run['id']}/"))["status"] == "failed" and r,
        30,
        "the lost run failed, with no new run started",
    )
    assert "server restarted" in lost["error"], lost
    assert alice.call("GET", f"/api/graphs/{run['graph']}/runs/")["count"] == 1
