"""Step logs: chunks in the artifact store per attempt, a short tail on the row, capped socket
batches.

Each attempt's log is a list of chunks in its history entry (``"chunks": [[digest, lines,
bytes, level], …]``): every batch of lines a transition saves is stored as an artifact (one line per
log line, prefixed by its stream unless it is the plain log: ``[stdout] …``, ``[stderr] …``; a
plain line that would read as prefixed gets ``[log] ``) and named in the entry in the same
transaction. A rolled-back transaction leaves only an unnamed artifact (garbage collection takes
it), so readers see exactly the committed lines, and a line's number (its offset) is the same
in the store, in the `step.log` messages and in the paged log API. Any host reads a log through
the store; the process that writes it has its chunks in its own cache.

To keep the list short, the last two chunks are merged while they have the same level (a
merge's level is one more), as in a binary counter, unless the merge would exceed
MAX_CHUNK_BYTES: a log of N batches has about log2(N) chunks (plus one per MAX_CHUNK_BYTES),
and each byte is rewritten at most log2(N) times.

Logs from before the store kept them are files (``legacy_path``), still read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings

from designer.engine.schema import NODE_ID
from designer.engine.store import ArtifactError, ArtifactStore
from designer.realtime.protocol import LOG_MAX_CHARS, LOG_MAX_LINE_CHARS, LOG_MAX_LINES

TAIL_LINES = 40
MAX_CHUNK_BYTES = 4 << 20  # chunks are not merged beyond this
STREAMS = ("stdout", "stderr")


def legacy_path(run_id: int, step: str, attempt: int) -> Path:
    """The file that held one attempt's log before logs moved to the store.

    A step key is a node id, which is a safe file name of its own; a key from before node ids
    were restricted gets a name derived from its digest, so no two keys ever share a file.
    """
    name = step if NODE_ID.fullmatch(step) else "~" + hashlib.sha256(step.encode()).hexdigest()
    return Path(settings.DESIGNER_ARTIFACT_ROOT) / "logs" / str(run_id) / f"{name}.{attempt}.log"


def _encode(stream: str, line: str) -> str:
    if stream != "log":
        return f"[{stream}] {line}"
    if line.startswith(("[stdout] ", "[stderr] ", "[log] ")):
        return f"[log] {line}"
    return line


def parse(line: str) -> tuple[str, str]:
    """(stream, text) of a stored log line."""
    for stream in (*STREAMS, "log"):
        prefix = f"[{stream}] "
        if line.startswith(prefix):
            return stream, line[len(prefix) :]
    return "log", line


def append_lines(
    store: ArtifactStore, entry: dict[str, Any], stream: str, lines: list[str]
) -> None:
    """Store lines as the next chunk of an attempt's log and count them in its history entry."""
    data = "".join(f"{_encode(stream, line)}\n" for line in lines).encode("utf-8", "replace")
    chunks: list[list[Any]] = entry.setdefault("chunks", [])
    chunks.append([store.put(data), len(lines), len(data), 0])
    while (
        len(chunks) >= 2
        and chunks[-2][3] == chunks[-1][3]
        and chunks[-2][2] + chunks[-1][2] <= MAX_CHUNK_BYTES
    ):
        (first, lines_a, _, level), (second, lines_b, _, _) = chunks[-2:]
        try:
            merged = store.get(first) + store.get(second)
        except ArtifactError:
            break  # a chunk that cannot be read now is merged at a later append, or never
        chunks[-2:] = [[store.put(merged), lines_a + lines_b, len(merged), level + 1]]
    entry["bytes"] = int(entry["bytes"]) + len(data)


def _pieces(
    store: ArtifactStore, entry: dict[str, Any], legacy: Path
) -> list[tuple[int, Callable[[], bytes]]]:
    """(lines, read) of each stored piece of an attempt's log, in order."""
    if "chunks" in entry:
        return [(chunk[1], partial(store.get, chunk[0])) for chunk in entry["chunks"]]
    if not entry["bytes"] or not legacy.exists():
        return []

    def read() -> bytes:
        with legacy.open("rb") as handle:
            return handle.read(int(entry["bytes"]))

    return [(int(entry["lines"]), read)]


def read_lines(
    store: ArtifactStore, entry: dict[str, Any], legacy: Path, offset: int, limit: int
) -> list[tuple[str, str]]:
    """Up to `limit` (stream, text) lines of an attempt's log from line `offset`."""
    out: list[tuple[str, str]] = []
    first = 0
    for count, read in _pieces(store, entry, legacy):
        if len(out) >= limit:
            break
        if first + count > offset:
            raws = read().split(b"\n")[:count]  # binary: only "\n" ends a line
            for raw in raws[max(0, offset - first) :][: limit - len(out)]:
                out.append(parse(raw.decode("utf-8", "replace")))
        first += count
    return out


def read_all(store: ArtifactStore, entry: dict[str, Any], legacy: Path) -> Iterator[bytes]:
    """An attempt's whole log, a piece at a time."""
    for _, read in _pieces(store, entry, legacy):
        yield read()


def chunk_digests(history: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The artifacts the logs of a step's attempts are stored in."""
    for entry in history:
        for chunk in entry.get("chunks", ()):
            yield chunk[0]


def remove_run_logs(run_id: int) -> None:
    """Delete a run's log files from before the store (its chunks go at the next collection)."""
    folder = Path(settings.DESIGNER_ARTIFACT_ROOT) / "logs" / str(run_id)
    if folder.is_dir():
        for entry in folder.iterdir():
            os.unlink(entry)
        folder.rmdir()


def tail(previous: str, lines: list[str]) -> str:
    """The last TAIL_LINES lines of a step's log after `lines` are added."""
    merged = (previous.splitlines() if previous else []) + lines
    return "\n".join(merged[-TAIL_LINES:])


def clip(line: str) -> str:
    """One line cut to the socket's per-line cap."""
    line = line.rstrip("\n")
    if len(line) <= LOG_MAX_LINE_CHARS:
        return line
    return line[: LOG_MAX_LINE_CHARS - 15] + " …[truncated]"


def batches(lines: list[str]) -> Iterator[list[str]]:
    """Split lines into chunks that fit one step.log message (line and character caps)."""
    chunk: list[str] = []
    size = 0
    for line in map(clip, lines):
        if chunk and (len(chunk) >= LOG_MAX_LINES or size + len(line) > LOG_MAX_CHARS):
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += len(line)
    if chunk:
        yield chunk
