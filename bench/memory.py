"""Memory benchmark: peak resident memory of every process and the bytes stored, for the
bench/modules.py pipeline at 1,000,000 rows (not a timed benchmark).

    .venv/bin/python bench/memory.py [--rows 1000000] [--workers 2] [--baseline main]

One cold run of generate → clean → normalize → split → train → score → evaluate through fresh
LocalRunner workers (pandas and scikit-learn preloaded), against the same steps as one plain
pandas + scikit-learn script in a fresh interpreter. Peak memory is each process's VmHWM
(imports included). One run of each: a worker's peak moves by about a tenth with the machine's
load (a step's outputs are stored by a thread beside the next step, and how long the two
overlap depends on the load), so say the load average printed with the figures. Stored bytes
are the objects the run added to an empty store, also counted in copies of the generated table
(its Parquet size), and how far a web process's peak rises while it rebuilds each
output kept as a recipe for its first download or preview.
`--baseline REF` also measures the engine of a git commit (a `git archive` of it in a temp
folder, this script run there) in the same run, for before/after figures.
Targets (issue 17): largest worker <= 1.3x the plain script; stored <= 1.5 copies of the table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from modules import peak_rss, pipeline, plain_run  # noqa: E402

from designer.engine.cache import FileCache  # noqa: E402
from designer.engine.execute import execute  # noqa: E402
from designer.engine.runners.local import LocalRunner  # noqa: E402
from designer.engine.store import ArtifactStore  # noqa: E402

MB = 1024 * 1024
TARGET_WORKER, TARGET_COPIES = 1.3, 1.5
REBUILD = """
import os, sys
sys.path.insert(0, "bench")
import pandas, pyarrow  # loaded in a web process before any download
from modules import peak_rss
from designer.engine.store import ArtifactStore
store = ArtifactStore(sys.argv[1])
before = peak_rss(os.getpid())
for digest in sys.argv[2:]:
    store.local_path(digest)
print(peak_rss(os.getpid()) - before)
"""


def rebuild_peak(store: Path, digests: list[str]) -> int:
    """How far a fresh process's peak RSS rises while it rebuilds each output kept as a recipe
    once (what a web process does on the first download or preview of such an output)."""
    out = subprocess.run(
        [sys.executable, "-c", REBUILD, str(store), *digests],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def measure(rows: int, workers: int) -> dict[str, Any]:
    """One cold engine run: peak RSS per process, stored bytes per output, the table's size."""
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        plan = pipeline("bench.generated_table@1", {"rows": rows})
        store, cache = ArtifactStore(work / "artifacts"), FileCache(work)
        with LocalRunner(workers, preload=["pandas", "sklearn"]) as runner:
            result = execute(plan, runner=runner, cache=cache, store=store, scope="bench")
            peaks = [peak_rss(pid) for pid in runner.pids()]
        cache.close()
        assert result.status == "succeeded", result.status
        stored = sum(store.size(digest) for digest in store.digests())
        recipes = [digest for digest in store.digests() if store.recipe(digest) is not None]
        rebuilt = rebuild_peak(store.folder, recipes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "steps": len(plan),
        "workers": peaks,
        "parent": peak_rss(os.getpid()),
        "stored": stored,
        "rebuilt": rebuilt,
        "table": result.steps["data"].outputs["dataset"].size,
        "outputs": {
            f"{key}.{port}": [record.size, record.kind]
            for key, step in result.steps.items()
            for port, record in step.outputs.items()
        },
    }


def measure_commit(ref: str, rows: int, workers: int) -> dict[str, Any]:
    """`measure` with the engine of git commit `ref`: this script run in an archive of it."""
    tree = Path(tempfile.mkdtemp(prefix="bench-memory-baseline-"))
    try:
        archive = subprocess.run(
            ["git", "archive", ref], cwd=HERE.parent, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        shutil.copy(__file__, tree / "bench" / "memory.py")
        script = str(tree / "bench" / "memory.py")
        out = subprocess.run(
            [sys.executable, script, "--measure-only", f"--rows={rows}", f"--workers={workers}"],
            cwd=tree,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    measured: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return measured


def main() -> None:
    """Run every side once and print the peaks, the stored bytes and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", metavar="REF", help="also measure this git commit's engine")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        print(json.dumps(measure(args.rows, args.workers)))
        return
    plain = plain_run(args.rows)["peak"]
    sides = {"this tree": measure(args.rows, args.workers)}
    if args.baseline:
        sides[args.baseline] = measure_commit(args.baseline, args.rows, args.workers)
    now = sides["this tree"]
    print(
        f"memory benchmark: {args.rows:,} rows x 20 columns, {now['steps']} steps, "
        f"{args.workers} workers, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"\n{'peak RSS':<34}" + "".join(f"{name:>16}" for name in sides) + f"{'x plain':>10}")
    print(f"{'plain pandas + scikit-learn':<34}{plain / MB:>14.0f}MB")
    rows = [
        (f"worker {i + 1}", [s["workers"][i] for s in sides.values()]) for i in range(args.workers)
    ]
    rows.append(("parent (executor, cache, events)", [s["parent"] for s in sides.values()]))
    rows.append(("all engine processes", [sum(s["workers"]) + s["parent"] for s in sides.values()]))
    for name, values in rows:
        cells = "".join(f"{v / MB:>14.0f}MB" for v in values)
        print(f"{name:<34}{cells}{values[0] / plain:>9.2f}x")
    print(f"\n{'outputs (as Parquet)':<34}" + "".join(f"{name:>16}" for name in sides))
    for output, (_, kind) in now["outputs"].items():
        cells = "".join(f"{s['outputs'].get(output, [0])[0] / MB:>14.1f}MB" for s in sides.values())
        print(f"  {output:<24}{kind:>8}{cells}")
    copies = {name: s["stored"] / s["table"] for name, s in sides.items()}
    print(
        f"{'stored (recipes: decision 0034)':<34}"
        + "".join(f"{s['stored'] / MB:>14.0f}MB" for s in sides.values())
    )
    print(f"{'copies of the table':<34}" + "".join(f"{c:>16.2f}" for c in copies.values()))
    print(
        f"{'first download of the recipes':<34}"
        + "".join(f"{s['rebuilt'] / MB:>14.0f}MB" for s in sides.values())
        + "  (a web process's peak RSS over its imports)"
    )
    worst = {name: max(s["workers"]) / plain for name, s in sides.items()}
    if args.baseline:
        base = sides[args.baseline]
        print(
            f"\nlargest worker, this tree / {args.baseline}: "
            f"{max(now['workers']) / max(base['workers']):.2f}x; stored bytes: "
            f"{now['stored'] / base['stored']:.2f}x"
        )
    for goal, value, limit in (
        ("largest worker <= 1.3x plain", worst["this tree"], TARGET_WORKER),
        ("stored <= 1.5 copies of the table", copies["this tree"], TARGET_COPIES),
    ):
        print(f"target {goal}: {'met' if value <= limit else 'MISSED'} ({value:.2f})")


if __name__ == "__main__":
    main()
