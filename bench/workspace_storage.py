"""What measuring a workspace's storage costs: `retention.workspace_storage` on many runs.

    python bench/workspace_storage.py [--runs 1000] [--steps 10] [--repeat 5] [--database URL]

A workspace in a fresh database (SQLite in a temporary DESIGNER_DATA_DIR, or the throwaway
PostgreSQL database `--database` names, which it migrates and leaves filled) gets
`--runs` finished runs of `--steps` steps each. Every step has one output of its own (a 4 kB
object in the artifact store, with the summary of a 1,000-row, 10-column table, as the real
one of such a table is saved in its step row) and two attempts' log chunks; one dataset
version is registered too. Then the median wall time of `workspace_storage` (what the
workspace page's storage line and a quota check need), and of the same for a workspace
with one run, beside it. Prints one JSON line and the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="designer-bench-storage-")
    os.environ["DESIGNER_DATA_DIR"] = data
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
    os.environ.pop("DATABASE_URL", None)
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    import django

    django.setup()
    import numpy as np
    import pandas as pd
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from designer.engine.artifacts import summarize_frame
    from designer.graphs import services
    from designer.runs import engine_setup
    from designer.runs.models import Run, RunStatus, StepRun
    from designer.runs.retention import workspace_storage
    from designer.workspaces.models import Workspace

    store = engine_setup.artifact_store()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"c{i}": rng.normal(size=1000) for i in range(10)})
    summary = summarize_frame(frame)
    document = {"schema_version": 1, "parameters": {}, "nodes": [], "edges": [], "comments": []}

    def workspace_with(runs: int) -> int:
        workspace = Workspace.objects.create(name=f"bench {runs}")
        graph = services.create_graph(workspace, None, "bench", "", document)
        version = services.commit_version(graph.pk, None, "bench", only_if_changed=False)
        for _ in range(runs):
            run = Run.objects.create(
                workspace=workspace, graph_version=version, status=RunStatus.SUCCEEDED
            )
            steps = []
            for s in range(args.steps):
                digest = store.put(rng.bytes(4096))
                logs = [[store.put(rng.bytes(512)), 10, 512, 0]]
                history = [{"attempt": a, "bytes": 512, "chunks": logs} for a in (1, 2)]
                outputs = {
                    "dataset": {
                        "digest": digest,
                        "kind": "parquet",
                        "size": 4096,
                        "summary": summary,
                    }
                }
                steps.append(
                    StepRun(
                        run=run,
                        key=f"n{s}",
                        module="m@1",
                        status="succeeded",
                        outputs=outputs,
                        history=history,
                    )
                )
            StepRun.objects.bulk_create(steps)
        engine_setup.dataset_store(workspace.pk).write("d", _parquet(frame, data), "bench")
        return workspace.pk

    def median_ms(workspace: int) -> float:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            workspace_storage(workspace)
            times.append((time.perf_counter() - start) * 1000)
        return round(statistics.median(times), 1)

    start = time.perf_counter()
    big = workspace_with(args.runs)
    built = time.perf_counter() - start
    small = workspace_with(1)
    row_bytes = len(json.dumps(StepRun.objects.filter(run__workspace_id=big).first().outputs))
    result = {
        "database": django.db.connection.vendor,
        "runs": args.runs,
        "steps_per_run": args.steps,
        "outputs_json_bytes_per_step": row_bytes,
        "build_s": round(built, 1),
        "workspace_storage_ms": median_ms(big),
        "one_run_ms": median_ms(small),
        "total_bytes": workspace_storage(big)["total_bytes"],
    }
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(json.dumps(result))


def _parquet(frame: object, folder: str) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(folder) / "d.parquet"
    pq.write_table(pa.Table.from_pandas(frame), path)  # type: ignore[arg-type]
    return path


if __name__ == "__main__":
    main()
