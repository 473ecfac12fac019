"""Sandboxes left behind by a process that died while starting them, found by owner and ended.

`--die-with-parent` ends a sandbox with the process that started it, but not always: a worker
killed while a sandbox was starting (a SIGKILL'd Celery pool process in the fault suite,
bubblewrap 0.8) left a `bwrap` with no child, reparented to init, waiting on its setup for ever.
Every sandbox's `bwrap` carries its owner in its environment, as `pid:start time` (the start
time tells a reused pid apart); a process that starts sandboxes first ends every `bwrap` whose
owner is gone.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import threading
from pathlib import Path

OWNER = "DESIGNER_SANDBOX_OWNER"
_swept = threading.Lock()
_done = False


def start_time(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: starttime


def owner_tag() -> str:
    """This process as a sandbox's owner: `pid:start time`."""
    return _tag(os.getpid())


@functools.cache
def _tag(pid: int) -> str:
    return f"{pid}:{start_time(pid)}"


def _owner(pid: str) -> str | None:
    """The owner tag in a bwrap process's environment (None: not a bwrap, or not ours)."""
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "bwrap":
            return None
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:  # gone, or another user's
        return None
    for item in environ.split(b"\0"):
        name, _, value = item.partition(b"=")
        if name == OWNER.encode():
            return value.decode(errors="replace")
    return None


def end_orphans() -> int:
    """Kill every sandbox `bwrap` whose owner process is gone; how many were killed."""
    ended = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        owner = _owner(entry.name)
        if owner is None:
            continue
        pid, _, started = owner.partition(":")
        if pid.isdigit() and start_time(int(pid)) == started:
            continue  # its owner lives (a zombie owner too: its sandboxes end with it)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(int(entry.name), signal.SIGKILL)
            ended += 1
    return ended


def end_orphans_once() -> None:
    """`end_orphans` the first time this process starts a sandbox."""
    global _done
    with _swept:
        if not _done:
            _done = True
            end_orphans()
