"""Servers and workers that tests start as subprocesses: free ports, Celery workers, shutdown."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> set[int]:
    """Live (non-zombie) direct children of a process."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rpartition(")")[2].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


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


class PostgresServer:
    """A PostgreSQL cluster of a test's own on a free loopback port (trust auth, as root runs
    it for `make test`), that the test may restart."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="designer-pg-"))  # for the postgres user
        shutil.chown(self.folder, "postgres")
        self.port = free_port()
        self.data = self.folder / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres(
            str(self.BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"
        )
        self.start()

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(command)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _ctl(self, *arguments: str) -> None:
        self._as_postgres(str(self.BIN / "pg_ctl"), "-D", str(self.data), *arguments)

    def start(self) -> None:
        """Start (again, on the same port and files) and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=100"
        )
        self._ctl("-l", str(self.folder / "log"), "-w", "-o", f"'{options}'", "start")

    def stop(self) -> None:
        """A fast shutdown: every connection is cut, as when the database host restarts."""
        self._ctl("-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop it for good and delete its files."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """TERM the process's group (a Celery warm shutdown), then KILL it if it hangs."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def scoring_process(
    bundles: Path, *, store: str | Path, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[int]:
    """`python -m designer.serving serve` on a free port, serving what the artifact store
    `store` holds (`bundles`: its host's scoring folder) and writing its figures every 0.2 s;
    yields the port. No REDIS_URL unless `env` gives one; at the end, the process must not
    have printed a traceback."""
    port = free_port()
    base = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "designer.serving", "serve", "--store", str(store)),
            *("--bundles", str(bundles)),
            *("--port", str(port), "--workers", str(workers), "--flush-seconds", "0.2"),
        ],
        env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "the scoring process exited"
                assert time.monotonic() < deadline, "the scoring process did not start"
                time.sleep(0.1)
        yield port
    finally:
        stop_process_group(process)
        assert b"Traceback" not in (process.stderr.read() if process.stderr else b"")


def memory_of(pid: int, field: str = "VmRSS") -> int:
    """A process's memory figure from /proc/<pid>/status, in bytes: resident now (VmRSS) or
    its peak (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")
