"""Start a child interpreter in a sandbox: clean environment, own directory and process group,
unprivileged user, wall-clock timeout; stream its output lines to a callback."""

from __future__ import annotations

import contextlib
import os
import pwd
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from designer.modules.sandbox_harness import SANDBOX_USER

# Variables passed through from the parent; everything else (secrets included) is dropped.
ENV_ALLOW = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass(frozen=True)
class SandboxResult:
    """How the child ended."""

    returncode: int
    timed_out: bool
    duration: float


def sandbox_env(directory: Path) -> dict[str, str]:
    """Build the child's environment from an allow-list, with HOME and TMPDIR in its directory."""
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.update(
        {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(directory),
            "TMPDIR": str(directory),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    return env


def unprivileged_user() -> pwd.struct_passwd | None:
    """Return the account the child switches to when the worker is root, else None (no switch)."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam(SANDBOX_USER)


def hand_over(directory: Path, user: pwd.struct_passwd | None) -> None:
    """Give the sandbox directory and its files to the sandbox user (only that user may enter)."""
    os.chmod(directory, 0o700)
    if user is None:
        return
    for path in [directory, *directory.iterdir()]:
        os.chown(path, user.pw_uid, user.pw_gid)


def _pump(stream: IO[bytes], name: str, lines: queue.Queue[tuple[str, str] | None]) -> None:
    for raw in iter(stream.readline, b""):
        lines.put((name, raw.decode("utf-8", "replace").rstrip("\n")))
    lines.put(None)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_sandboxed(
    argv: Sequence[str],
    directory: Path,
    *,
    timeout: float,
    on_line: Callable[[str, str], None],
) -> SandboxResult:
    """Run `python -I argv...` in `directory`; stream lines to on_line(stream, line).

    The child (sandbox_harness) limits itself and, when started as root, switches to the
    unprivileged sandbox user before running any user code. It gets a fresh session (its own
    process group); on timeout, and in any case when it ends, the whole group is killed so no
    process is left behind.
    """
    user = unprivileged_user()
    hand_over(directory, user)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-I", "-B", *argv],
        cwd=directory,
        env=sandbox_env(directory),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
        umask=0o077,
    )
    lines: queue.Queue[tuple[str, str] | None] = queue.Queue()
    readers = [
        threading.Thread(target=_pump, args=(stream, name, lines), daemon=True)
        for stream, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr"))
    ]
    for reader in readers:
        reader.start()
    open_streams, timed_out = len(readers), False
    deadline = started + timeout
    try:
        while open_streams or proc.poll() is None:
            if time.monotonic() > deadline:
                timed_out = True
                _kill_group(proc.pid)
                break
            try:
                item = lines.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is None:
                open_streams -= 1
            else:
                on_line(*item)
    finally:
        _kill_group(proc.pid)
        proc.wait()
        for reader in readers:
            reader.join(timeout=1)
        while not lines.empty():
            item = lines.get_nowait()
            if item is not None and not timed_out:
                on_line(*item)
    return SandboxResult(proc.returncode, timed_out, time.monotonic() - started)
