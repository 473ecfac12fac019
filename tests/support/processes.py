"""Servers and workers that tests start as subprocesses: free ports, Celery workers, shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def celery_worker_command(name: str, log_path: Path, concurrency: int = 2) -> list[str]:
    """The command line of a `celery -A designer.celery worker` that logs to `log_path`."""
    return [
        *(sys.executable, "-m", "celery", "-A", "designer.celery", "worker"),
        *("-c", str(concurrency), "--loglevel", "INFO", "-n", f"{name}@%h"),
        *("--without-gossip", "--without-mingle", "--logfile", str(log_path)),
    ]


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """TERM the process's group (a Celery warm shutdown), then KILL it if it hangs."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
