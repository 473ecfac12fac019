"""Compaction benchmark: a graph's shared state after a long history, before and after compaction.

    python bench/compaction.py [--edits 12000] [--per-session 40] [--repeat 30]

A 20-node graph in a fresh SQLite database (a temporary DESIGNER_DATA_DIR) gets `--edits` edits
of one node's position and label from tabs of `--per-session` edits each (each tab a Yjs client
of its own, as browser tabs are; saved through `graphs.services.save_shared_state` as rooms
save). Then, before and after `compact_shared_state` (what a room does when it empties), it
measures (median of --repeat):

- the stored state's size;
- load + project: `doc_from_state` + `lenient_document`, what every room save and the 2 s merge
  do with the stored state in every server process;
- a REST save of the draft (`save_draft`, one changed position: the state loaded, changed by the
  smallest edit, saved).

Prints one JSON line and the machine's load (os.getloadavg): compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def median_ms(work: Callable[[], Any], repeat: int) -> float:
    """The median wall time of `work`, in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=12_000)
    parser.add_argument("--per-session", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    os.environ["DESIGNER_DATA_DIR"] = tempfile.mkdtemp(prefix="designer-bench-compaction-")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from designer.graphs import services
    from designer.graphs.analysis import parse_document
    from designer.graphs.models import Graph
    from designer.graphs.shared_doc import doc_from_state, lenient_document, roots
    from designer.workspaces.models import Workspace

    origin = {"x": 0, "y": 0}
    nodes = [
        {"id": f"n{i}", "module": "transform.normalize@1", "params": {}, "position": origin}
        for i in range(20)
    ]
    document = {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": [], "comments": []}
    workspace = Workspace.objects.create(name="bench")
    graph = services.create_graph(workspace, None, "bench", "", document)

    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for session in range(0, args.edits, args.per_session):
        stored = services.open_shared_state(graph.pk)
        doc = doc_from_state(stored.state)
        before = doc.get_state()
        entry = roots(doc)["nodes"]["n0"]
        for i in range(min(args.per_session, args.edits - session)):
            with doc.transaction():
                entry["position"] = {"x": i, "y": session}
                entry["label"] = f"step {i}"
        changes = doc.get_update(before)
        services.save_shared_state(graph.pk, changes, doc.get_state(), None, stored.generation)

    def measure() -> dict[str, Any]:
        row = Graph.objects.get(pk=graph.pk)
        state = bytes(row.shared_state)
        moves = iter(range(10**9))

        def rest_save() -> None:
            current = Graph.objects.get(pk=graph.pk)
            draft = json.loads(json.dumps(current.draft))
            draft["nodes"][1]["position"] = {"x": next(moves), "y": 1}
            services.save_draft(graph.pk, None, parse_document(draft), services.etag(current))

        return {
            "generation": row.shared_generation,
            "state_bytes": len(state),
            "load_project_ms": median_ms(
                lambda: lenient_document(doc_from_state(state)), args.repeat
            ),
            "rest_save_ms": median_ms(rest_save, args.repeat),
        }

    before = measure()
    compaction = services.compact_shared_state(graph.pk, before["generation"])
    after = measure()
    draft_kept = (
        lenient_document(doc_from_state(bytes(Graph.objects.get(pk=graph.pk).shared_state)))[0]
        == Graph.objects.get(pk=graph.pk).draft
    )
    result = {
        "edits": args.edits,
        "before": before,
        "after": after,
        "compacted": compaction is not None,
        "draft_equals_state": draft_kept,
        "load_project_ratio": round(before["load_project_ms"] / after["load_project_ms"], 1),
        "rest_save_ratio": round(before["rest_save_ms"] / after["rest_save_ms"], 1),
        "load": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
