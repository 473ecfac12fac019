"""A scoring process's figures as store records: each flush replaces the last, and the
collector reads each process's latest only, deleting any superseded one a killed process left."""

from __future__ import annotations

import json
import time
from pathlib import Path

from designer.engine.store import ArtifactStore
from designer.serving.stats import STATS, ProcessStats, latest_records


def test_each_process_has_one_latest_record_with_its_whole_history(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    first, second = ProcessStats(store), ProcessStats(store)
    now = time.time()  # both calls in one minute
    first.record(1, 0.01, rows=2, now=now)
    assert first.flush() and not first.flush()  # nothing new: nothing written
    first.record(1, 0.02, rows=3, now=now)
    assert first.flush()
    second.record(2, 0.01, rows=1)
    assert second.flush()
    store.create_record(f"{STATS}{second.process}/000000000000.json", b"{}")  # left behind
    latest = latest_records(store)
    assert len(latest) == 2 and len(store.records(STATS)) == 2
    figures = {
        data["process"]: data for data in (json.loads(store.record(r.key) or b"{}") for r in latest)
    }
    assert [m["rows"] for m in figures[first.process]["minutes"]] == [5]
    assert [m["rows"] for m in figures[second.process]["minutes"]] == [1]
