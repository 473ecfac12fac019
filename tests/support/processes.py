"""Servers and workers that tests start as subprocesses: free ports, Celery workers, shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def celery_worker_command(
    name: str, log_path: Path, concurrency: int = 2, *, quiet: bool = True
) -> list[str]:
    """The command line of a `celery -A designer.celery worker` that logs to `log_path`
    (`quiet`: without gossip and mingle, the worker-to-worker chatter a test does not need)."""
    return [
        *(sys.executable, "-m", "celery", "-A", "designer.celery", "worker"),
        *("-c", str(concurrency), "--loglevel", "INFO", "-n", f"{name}@%h"),
        *(("--without-gossip", "--without-mingle") if quiet else ()),
        *("--logfile", str(log_path)),
    ]


class RedisServer:
    """A Redis of a test's own on a free loopback port, persisting to an append-only file (as a
    deployment's does), that the test may stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        """Start (again, on the same port and files) and wait until it answers."""
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", str(self.folder), "--appendonly", "yes", "--save", ""),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not self.answers():
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def answers(self) -> bool:
        """Whether it accepts connections now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Shut it down (TERM: it writes its append-only file and exits)."""
        self.process.terminate()
        self.process.wait(20)


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """TERM the process's group (a Celery warm shutdown), then KILL it if it hangs."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
