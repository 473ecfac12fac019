"""Step logs: a file per attempt, a short tail on the row, capped socket batches.

Each attempt of a step appends to its own file, one line per log line, prefixed by its stream
unless it is the plain log (``[stdout] …``, ``[stderr] …``; a plain line that would read as
prefixed gets ``[log] ``). Lines are appended inside the transaction that saves them, and the
attempt's history entry records how many lines and bytes are committed: an append first cuts
the file back to that size (dropping what a rolled-back transaction wrote), and readers never
see more than the committed lines, so a line's number (its offset) is the same in the file,
in the `step.log` messages and in the paged log API.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

from designer.engine.schema import NODE_ID
from designer.realtime.protocol import LOG_MAX_CHARS, LOG_MAX_LINE_CHARS, LOG_MAX_LINES

TAIL_LINES = 40
STREAMS = ("stdout", "stderr")


def log_path(run_id: int, step: str, attempt: int) -> Path:
    """The file holding one attempt's log (under the artifact root, shared with workers).

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


def append_lines(path: Path, committed: int, stream: str, lines: Iterable[str]) -> int:
    """Append lines to an attempt's log whose first `committed` bytes are saved; the new size."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = "".join(f"{_encode(stream, line)}\n" for line in lines).encode("utf-8", "replace")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with open(fd, "ab") as handle:
        if handle.tell() != committed:
            handle.truncate(committed)  # a rolled-back batch's lines: not part of the log
        handle.write(data)
        return committed + len(data)


def read_lines(path: Path, committed: int, offset: int, limit: int) -> list[tuple[str, str]]:
    """Up to `limit` (stream, text) lines from line `offset`, of the first `committed` lines."""
    if committed <= offset or not path.exists():
        return []
    out: list[tuple[str, str]] = []
    with path.open("rb") as handle:  # binary: only "\n" ends a line
        for number, raw in enumerate(handle):
            if number >= committed or len(out) >= limit:
                break
            if number >= offset:
                out.append(parse(raw.rstrip(b"\n").decode("utf-8", "replace")))
    return out


def remove_run_logs(run_id: int) -> None:
    """Delete every log file of a run."""
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
