"""Sandbox benchmark: user-code steps in the bubblewrap sandbox against the same steps on main.

    .venv/bin/python bench/sandbox.py [--rounds 15] [--big-rounds 3] [--rows 1000000] [--base main]

The baseline is the `--base` commit's code (`git archive` into a temporary folder), measured in
the same run: warm worker-like processes, one importing the baseline's `designer` and two this
tree's (with standby sandboxes, the default, and without: DESIGNER_SANDBOX_STANDBY=0), each
running a module's implementation on a StepContext over in-memory tables (as a LocalRunner
worker does, pandas imported once). Rounds alternate between them, so the machine's load hits
every side alike; the figures are medians. Before each start-up measurement a side waits until
its standby sandbox is up, as a worker between two steps would have it (a step that follows the
previous one at once may find it still starting: the "no standby" column is that worst case).

- start-up of a step: Execute Python script (3 rows, returns its input) and Apply SQL
  transformation (3 rows, `SELECT * FROM t1`); goal: at most 50 ms added per step;
- SQL on a table of `rows` rows (4 columns): a GROUP BY (10 rows out) and a filter that keeps
  about half of the rows; goal: at most 1.5x the unsandboxed engine (the baseline's in-process
  SQLite).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPT = "def azureml_main(dataframe1, dataframe2=None):\n    return dataframe1\n"
QUERIES = {
    "group by": "SELECT grp, COUNT(*) AS n, AVG(x) AS mean_x, SUM(y) AS sum_y FROM t1 "
    "GROUP BY grp ORDER BY grp",
    "filter": "SELECT id, grp, x * 2 AS x2 FROM t1 WHERE y < 500",
}
GOAL_ADDED_MS = 50.0
GOAL_RATIO = 1.5


class Context:
    """The StepContext a worker would give the module (inputs already decoded)."""

    def __init__(self, params: dict[str, Any], inputs: dict[str, Any]):
        self.node_id = "bench"
        self.params = params
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
        self.datasets = None
        self._inputs = inputs
        self.lines: list[str] = []

    def input(self, port: str) -> Any:
        return self._inputs.get(port)

    def log(self, message: str) -> None:
        self.lines.append(message)

    def progress(self, value: float, maximum: float | None = None) -> None:
        return None

    def rows_of(self, output: str, source: str, positions: Any) -> None:
        return None

    def rescaled(
        self, output: str, source: str, columns: Mapping[str, tuple[float, float]]
    ) -> None:
        return None


def child(rows: int) -> None:
    """Run steps on request: one JSON line in (a case), one line out (seconds)."""
    import numpy as np
    import pandas as pd

    from designer.engine.registry import load_implementation
    from designer.modules import builtin_registry

    registry = builtin_registry()

    def implementation(ref: str) -> Any:
        spec = registry.get(ref)
        assert spec is not None, ref
        return load_implementation(spec.implementation), {
            p.name: p.default for p in spec.params if p.name in ("timeout", "memory_mb")
        }

    try:
        from designer.sandbox.runner import standbys_started
    except ImportError:  # the baseline has no sandbox package

        def standbys_started() -> None:
            return None

    script, script_defaults = implementation("script.python@1")
    sql, sql_defaults = implementation("transform.sql@1")
    small = pd.DataFrame({"a": [1, 2, 3]})
    rng = np.random.default_rng(0)
    big = pd.DataFrame(
        {
            "id": np.arange(rows),
            "grp": rng.choice(list("abcdefghij"), rows),
            "x": rng.normal(size=rows),
            "y": rng.integers(0, 1000, rows),
        }
    )
    print("ready", flush=True)
    for line in sys.stdin:
        case = json.loads(line)
        standbys_started()
        if case["step"] == "script":
            func, ctx = script, Context({"code": SCRIPT, **script_defaults}, {"dataset1": small})
        elif case["step"] == "sql":
            func, ctx = sql, Context({"query": "SELECT * FROM t1", **sql_defaults}, {"t1": small})
        else:
            func, ctx = sql, Context({"query": QUERIES[case["step"]], **sql_defaults}, {"t1": big})
        started = time.perf_counter()
        out = func(ctx)
        elapsed = time.perf_counter() - started
        assert len(next(iter(out.values()))) > 0
        print(json.dumps({"seconds": elapsed}), flush=True)


class Side:
    """A child process measuring steps with one tree's `designer` package."""

    def __init__(self, name: str, tree: Path, rows: int, **env_vars: str):
        self.name = name
        env = {**os.environ, "PYTHONPATH": str(tree), **env_vars}
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--child", "--rows", str(rows)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tree,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready", f"{name} did not start"

    def measure(self, step: str) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"step": step}) + "\n")
        self.proc.stdin.flush()
        return float(json.loads(self.proc.stdout.readline())["seconds"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def baseline_tree(commit: str, folder: Path) -> Path:
    """The baseline's source tree (`git archive`)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "designer"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def interleaved(sides: list[Side], step: str, rounds: int) -> dict[str, float]:
    """Median seconds per side, the sides alternating round by round (one warm-up each)."""
    times: dict[str, list[float]] = {side.name: [] for side in sides}
    for side in sides:
        side.measure(step)
    for i in range(rounds):
        for side in sides if i % 2 == 0 else reversed(sides):
            times[side.name].append(side.measure(step))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--big-rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--base", default="main")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.rows)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-base-") as folder:
        base = baseline_tree(args.base, Path(folder))
        sides = [
            Side("sandboxed", ROOT, args.rows),
            Side("no standby", ROOT, args.rows, DESIGNER_SANDBOX_STANDBY="0"),
            Side(args.base, base, args.rows),
        ]
        new, cold, old = (side.name for side in sides)
        missed = []
        try:
            print(f"\nstart-up of a step (median of {args.rounds}, ms)")
            print(
                f"{'step':<16}{new:>11}{'added':>9}{'goal':>8}{cold:>12}{'added':>9}"
                f"{'baseline':>10}"
            )
            for step, label in (("script", "Python script"), ("sql", "SQL")):
                median = {k: v * 1000 for k, v in interleaved(sides, step, args.rounds).items()}
                added, added_cold = median[new] - median[old], median[cold] - median[old]
                ok = added <= GOAL_ADDED_MS
                missed += [] if ok else [label]
                print(
                    f"{label:<16}{median[new]:>11.1f}{added:>+9.1f}{'<= 50':>8}"
                    f"{median[cold]:>12.1f}{added_cold:>+9.1f}{median[old]:>10.1f}"
                    f"{'' if ok else '  MISSED'}"
                )
            print(f"\nSQL on {args.rows:,} rows (median of {args.big_rounds}, s)")
            print(f"{'query':<22}{new:>12}{'baseline':>12}{'ratio':>10}{'goal':>10}")
            big = [sides[0], sides[2]]
            for name in QUERIES:
                median = interleaved(big, name, args.big_rounds)
                ratio = median[new] / median[old]
                ok = ratio <= GOAL_RATIO
                missed += [] if ok else [name]
                print(
                    f"{name:<22}{median[new]:>12.2f}{median[old]:>12.2f}{ratio:>10.2f}"
                    f"{'<= 1.5':>10}{'' if ok else '  MISSED'}"
                )
        finally:
            for side in sides:
                side.close()
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    if missed:
        sys.exit(f"goals missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()
