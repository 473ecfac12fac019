"""`manage.py watch_run` prints a run's live stream and exits with the run's outcome."""

from __future__ import annotations

import subprocess
from typing import Any

from tests.integration.realtime.harness import PYTHON, ROOT, Database, Server
from tests.integration.realtime.script import run_script


def watch_run(database: Database, server: Server, run: int, token: str) -> subprocess.Popen:
    """Start the watcher against the test server."""
    return subprocess.Popen(
        [PYTHON, "manage.py", "watch_run", str(run), "--url", server.origin, "--token", token],
        cwd=ROOT,
        env=database.process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_watch_run_prints_the_live_stream_until_the_run_finishes(
    rt_database: Database, server: Server, team: dict[str, Any], run: int
) -> None:
    watcher = watch_run(rt_database, server, run, team["users"]["viewer"]["token"])
    assert watcher.stdout is not None
    first = watcher.stdout.readline()
    assert first.startswith(f"run {run} ") and "queued" in first
    server.control("produce", run=run, events=run_script(4))
    out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    lines = out.splitlines()
    assert "#1 run running" in lines
    assert any(
        line.startswith("#") and "n3 reused (attempt 0): reused: same" in line for line in lines
    )
    assert any(" n2 [stdout] n2: half" in line for line in lines)
    assert any(" n4 progress 50%" in line for line in lines)
    assert lines[-1].startswith("#") and " run succeeded in " in lines[-1]
    assert "ran 3, reused 1, failed 0" in lines[-1]


def test_watch_run_on_a_finished_run_prints_its_state_and_exits(
    rt_database: Database, server: Server, team: dict[str, Any], run: int
) -> None:
    server.control("produce", run=run, events=run_script(2))
    watcher = watch_run(rt_database, server, run, team["users"]["viewer"]["token"])
    out, _ = watcher.communicate(timeout=60)
    assert watcher.returncode == 0
    assert out.splitlines()[0].startswith(f"run {run} ") and "succeeded" in out.splitlines()[0]
    assert any(line.split()[:2] == ["n1", "succeeded"] for line in out.splitlines())


def test_watch_run_without_access_says_why_and_exits_2(
    rt_database: Database, server: Server, team: dict[str, Any], run: int
) -> None:
    watcher = watch_run(rt_database, server, run, team["users"]["outsider"]["token"])
    out, _ = watcher.communicate(timeout=60)
    assert watcher.returncode == 2
    assert out.startswith("error: forbidden:")
