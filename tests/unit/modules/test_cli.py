"""The examples run from the engine CLI, in worker processes, and an unchanged rerun is reused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_cli(graph: Path, store: Path, result: Path) -> dict:
    command = [sys.executable, "-m", "designer.engine", "run", str(graph)]
    command += ["--store", str(store), "--json", str(result), "--workers", "2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(result.read_text())


def test_sql_python_example_runs_from_the_cli_and_reruns_from_cache(tmp_path: Path) -> None:
    graph = ROOT / "examples" / "sql_python_loans.json"
    first = run_cli(graph, tmp_path / "store", tmp_path / "first.json")
    assert first["status"] == "succeeded" and first["counts"]["ran"] == 9
    metrics = first["steps"]["evaluate"]["outputs"]["metrics"]["summary"]["values"]["metrics"]
    assert 0.8 < metrics["accuracy"] <= 1.0
    second = run_cli(graph, tmp_path / "store", tmp_path / "second.json")
    assert second["counts"]["reused"] == 9
