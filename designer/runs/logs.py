"""Step logs: the full log as a file per step, a short tail on the row, capped socket batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

from designer.realtime.protocol import LOG_MAX_CHARS, LOG_MAX_LINE_CHARS, LOG_MAX_LINES

TAIL_LINES = 40


def log_path(run_id: int, step: str) -> Path:
    """The file holding a step's whole log (under the artifact root, shared with workers)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in step)
    return Path(settings.DESIGNER_ARTIFACT_ROOT) / "logs" / str(run_id) / f"{safe}.log"


def append_lines(run_id: int, step: str, stream: str, lines: Iterable[str]) -> None:
    """Append lines to a step's log file, each prefixed by its stream when not the plain log."""
    path = log_path(run_id, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = "" if stream == "log" else f"[{stream}] "
    with path.open("a", encoding="utf-8") as handle:
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
