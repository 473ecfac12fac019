"""Step logs: the full log as a file per step, a short tail on the row, capped socket batches."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

from designer.engine.schema import NODE_ID
from designer.realtime.protocol import LOG_MAX_CHARS, LOG_MAX_LINE_CHARS, LOG_MAX_LINES

TAIL_LINES = 40


def log_path(run_id: int, step: str) -> Path:
    """The file holding a step's whole log (under the artifact root, shared with workers).

    A step key is a node id, which is a safe file name of its own; a key from before node ids
    were restricted gets a name derived from its digest, so no two keys ever share a file.
    """
    name = step if NODE_ID.fullmatch(step) else "~" + hashlib.sha256(step.encode()).hexdigest()
    return Path(settings.DESIGNER_ARTIFACT_ROOT) / "logs" / str(run_id) / f"{name}.log"


def append_lines(run_id: int, step: str, stream: str, lines: Iterable[str]) -> None:
    """Append lines to a step's log file (owner-only), prefixed by their stream unless "log"."""
    path = log_path(run_id, step)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    prefix = "" if stream == "log" else f"[{stream}] "
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with open(fd, "a", encoding="utf-8") as handle:
        handle.writelines(f"{prefix}{line}\n" for line in lines)


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
