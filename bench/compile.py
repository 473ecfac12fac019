"""Compile benchmark: parse + validate + compile CPU time per node, from 100 to 20,000 nodes.

    .venv/bin/python bench/compile.py [--sizes 100,1000,20000] [--repeat 3] [--baseline main]

The graph is a chain of no-op steps (bench/noop_modules.py), each with its own param, as a JSON
document; the time is the CPU time (process_time) of `parse_graph` + `compile_graph`, the
document already in memory, in a fresh interpreter per measurement (the modules imported
first). `--baseline REF` measures a git commit's engine in the same run (a `git archive` of it
in a temp folder, this script run there), rounds alternating between the two trees so both see
the same machine load; medians are printed.
Targets (issue 17): 20,000 nodes < 1 s; cost per node flat (20,000 nodes <= 1.2x the per-node
cost at 100).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET_SECONDS, TARGET_FLAT = 1.0, 1.2


def document(n: int) -> dict[str, Any]:
    """A chain of `n` no-op nodes."""
    nodes = [
        {
            "id": f"s{i}",
            "module": "bench.noop@1",
            "params": {"salt": f"s{i}"},
            "position": {"x": 0, "y": i},
        }
        for i in range(n)
    ]
    edges = [
        {"id": f"e{i}", "source": {"node": f"s{i - 1}", "port": "out"}}
        | {"target": {"node": f"s{i}", "port": "in"}}
        for i in range(1, n)
    ]
    return {"schema_version": 1, "nodes": nodes, "edges": edges}


def measure_here(n: int) -> float:
    """CPU seconds of parsing and compiling an `n`-node chain with this tree's engine."""
    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, str(HERE))
    from noop_modules import registry

    from designer.engine.compile import compile_graph
    from designer.engine.schema import parse_graph

    modules, doc = registry(), document(n)
    started = time.process_time()
    plan = compile_graph(parse_graph(doc), modules, {})
    seconds = time.process_time() - started
    assert len(plan) == n
    return seconds


def measure(tree: Path, n: int) -> float:
    """`measure_here` in a fresh interpreter, with the engine of `tree`."""
    out = subprocess.run(
        [sys.executable, str(tree / "bench" / "compile.py"), "--measure", str(n)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Measure every size on each tree, alternating, and print the medians and targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", metavar="REF", help="also measure this git commit's engine")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_here(args.measure)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    trees = {"this tree": HERE.parent}
    temp = Path(tempfile.mkdtemp(prefix="bench-compile-"))
    try:
        if args.baseline:
            archive = subprocess.run(
                ["git", "archive", args.baseline], cwd=HERE.parent, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(temp)], input=archive.stdout, check=True)
            shutil.copy(__file__, temp / "bench" / "compile.py")
            trees[args.baseline] = temp
        seconds: dict[tuple[str, int], list[float]] = {}
        for _ in range(args.repeat):
            for n in sizes:
                for name, tree in trees.items():
                    seconds.setdefault((name, n), []).append(measure(tree, n))
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    median = {key: statistics.median(values) for key, values in seconds.items()}
    print(f"compile benchmark: chains of no-op steps, CPU time, median of {args.repeat}")
    print(f"\n{'nodes':>8}" + "".join(f"{name + ' s':>16}{'us/node':>10}" for name in trees))
    for n in sizes:
        cells = "".join(
            f"{median[name, n]:>16.3f}{median[name, n] / n * 1e6:>10.1f}" for name in trees
        )
        print(f"{n:>8}{cells}")
    small, large = min(sizes), max(sizes)
    for name in trees:
        flat = (median[name, large] / large) / (median[name, small] / small)
        print(
            f"{name}: {large:,} nodes {median[name, large]:.3f} s, "
            f"{flat:.2f}x the cost per node at {small}"
        )
    if args.baseline:
        ratio = median["this tree", large] / median[args.baseline, large]
        print(f"this tree / {args.baseline} at {large:,} nodes: {ratio:.2f}x")
    now = median["this tree", large]
    flat = (now / large) / (median["this tree", small] / small)
    for goal, value, met in (
        (f"{large:,} nodes < {TARGET_SECONDS} s", now, now < TARGET_SECONDS),
        (f"cost per node flat (<= {TARGET_FLAT}x)", flat, flat <= TARGET_FLAT),
    ):
        print(f"target {goal}: {'met' if met else 'MISSED'} ({value:.2f})")


if __name__ == "__main__":
    main()
