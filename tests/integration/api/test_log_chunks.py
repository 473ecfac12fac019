"""An attempt's log as chunks in the store: a long log stays a short list, every line is read
back at its number, and a batch whose transaction rolled back is no part of the log."""

from __future__ import annotations

from pathlib import Path

from designer.engine.store import ArtifactStore
from designer.runs import logs


def test_a_long_log_is_a_few_chunks_read_back_line_by_line(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store", durable=False)
    entry = {"bytes": 0, "lines": 0}
    written = []
    for batch in range(1000):
        lines = [f"batch {batch} line {i}" for i in range(batch % 7 + 1)]
        logs.append_lines(store, entry, "stdout" if batch % 2 else "log", lines)
        entry["lines"] += len(lines)
        written += [("stdout" if batch % 2 else "log", line) for line in lines]
    assert len(entry["chunks"]) <= 10  # log2(1000) + 1
    assert sum(chunk[1] for chunk in entry["chunks"]) == len(written) == entry["lines"]
    legacy = tmp_path / "none.log"
    assert logs.read_lines(store, entry, legacy, 0, len(written)) == written
    assert logs.read_lines(store, entry, legacy, 1234, 50) == written[1234:1284]
    assert logs.read_lines(store, entry, legacy, len(written) - 3, 50) == written[-3:]
    text = b"".join(logs.read_all(store, entry, legacy)).decode()
    assert len(text.encode()) == entry["bytes"]
    assert text.splitlines()[1] == f"[stdout] {written[1][1]}"


def test_a_rolled_back_batch_is_not_in_the_log(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store", durable=False)
    entry = {"bytes": 0, "lines": 0}
    logs.append_lines(store, entry, "log", ["kept"])
    entry["lines"] = 1
    saved = {**entry, "chunks": [list(c) for c in entry["chunks"]]}  # what was committed
    logs.append_lines(store, entry, "log", ["rolled back"])  # its transaction never commits
    assert logs.read_lines(store, saved, tmp_path / "none.log", 0, 10) == [("log", "kept")]
