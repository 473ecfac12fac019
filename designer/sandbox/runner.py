"""Run one harness in a fresh bubblewrap sandbox; relay its lines and frames; enforce limits.

A `Sandbox` is started for one step and ended after it, never reused. Starting it takes a slot
(uid and cgroups, slots.py) and starts bwrap blocked on `--block-fd` until the sandbox's first
process (named on `--info-fd`) is in the slot's cgroups; the harness then imports what it needs
and waits for its limits. `use` sets the slot's cgroup limits, writes the limits frame (the
harness applies them as rlimits before it reads anything else) and the input frames to the
harness's stdin, and reads stdout and stderr (line by line, as printed) and the results pipe
(frames) until the harness ends, the wall clock runs out or an output limit is passed. Then,
whatever happened, it kills the sandbox's PID 1 through a pidfd (the kernel ends every process
of its PID namespace with it, and its tmpfs mounts go with the namespace), empties the slot's
cgroups and releases the slot. The step's data never touches the host's disk: inputs go in
through a pipe, results come out through one.

Standby (decision 0011): where cgroups are available, `run` starts the next sandbox for the
same harness right after a step, on a long-lived thread, so the next step finds a fresh sandbox
whose interpreter has already started and imported pandas (a script) or sqlite3 (SQL). Only
the process's own code runs in a standby until it is used. DESIGNER_SANDBOX_STANDBY=0 turns it
off.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from designer.sandbox import bwrap, orphans, slots
from designer.sandbox.fonts import FONT_LIST
from designer.sandbox.harness import protocol
from designer.sandbox.limits import MB, Limits

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
SANDBOX_HARNESS = "/sandbox/harness"
ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",  # as in the workers: reproducible set and dict order of strings
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",  # matplotlib draws into memory: a script's figures become its output
    "MPLCONFIGDIR": "/tmp/matplotlib",  # the script harness starts it from DESIGNER_FONT_LIST
    "DESIGNER_FONT_LIST": str(FONT_LIST),  # read-only: inside the interpreter's prefix
}
READ_SIZE = 65536
TMPFS_CAP = 64 * 1024 * MB  # with cgroups the memory cgroup is what limits the tmpfs mounts

Key = tuple[str, bool, tuple[tuple[str, str], ...]]  # harness, site, binds
OnLine = Callable[[str, str], None]
OnFrame = Callable[[dict[str, Any], bytes], Iterable[bytes]]  # returns frames to send back


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot start on this host; the step fails (user code never runs outside)."""


@dataclass(frozen=True)
class Outcome:
    """How a sandboxed harness ended."""

    returncode: int  # the harness's exit status (128 + N when killed by signal N)
    timed_out: bool  # stopped at the wall clock limit
    stopped: str | None  # why it was stopped early otherwise (an output limit, bad frames)
    out_of_memory: bool  # the memory cgroup killed a process of it
    duration: float


def layout(
    slot: slots.Slot, limits: Limits | None, *, site: bool, binds: Sequence[tuple[str, str]]
) -> bwrap.Layout:
    """The sandbox's view; without cgroups its tmpfs caps are a share of the memory limit."""
    if slot.cgroups is not None:  # processes and tmpfs files are counted together
        tmp = shm = TMPFS_CAP
    else:
        assert limits is not None, "without cgroups a sandbox is made for its step's limits"
        tmp = shm = tmpfs_share(limits)
    return bwrap.Layout(
        uid=slot.uid,
        as_root=os.geteuid() == 0,
        interpreter=bwrap.interpreter(site=site),
        binds=((str(HARNESS_DIR), SANDBOX_HARNESS), *binds),
        tmp_bytes=tmp,
        shm_bytes=shm,
        env=ENVIRONMENT,
    )


def tmpfs_share(limits: Limits) -> int:
    """Without cgroups: the cap of /tmp and of /dev/shm (RLIMIT_AS gets the rest)."""
    return max(limits.memory_bytes // 8, 16 * MB)


def command(plan: bwrap.Layout, harness: str, results_fd: int) -> list[str]:
    """The harness's own command line inside the sandbox (it writes its frames to results_fd).

    Not `-I`: the environment is entirely ours (`--clearenv`), and `-I` would drop
    PYTHONHASHSEED; `-u` makes print() reach the step log as it happens.
    """
    flags = ["-s", "-u", "-B"] + ([] if plan.interpreter.site else ["-S"])
    return [plan.interpreter.executable, *flags, f"{SANDBOX_HARNESS}/{harness}", str(results_fd)]


class Sandbox:
    """One sandbox: started (its harness waiting for limits), used for one step, ended."""

    def __init__(self, key: Key, limits: Limits | None = None):
        if shutil.which(bwrap.BWRAP) is None:
            raise SandboxUnavailable(
                "bubblewrap is not installed (Debian package `bubblewrap`); user code runs only "
                "inside it"
            )
        orphans.end_orphans_once()
        try:
            self.slot = slots.acquire()
        except (slots.SlotError, OSError) as exc:
            raise SandboxUnavailable(f"no sandbox slot: {exc}") from exc
        self.key = key
        self.pidfd: int | None = None
        self.results_r = -1
        try:
            if self.slot.cgroups is not None:  # until it is used: room for imports only
                self.slot.cgroups.limit(Limits().memory_bytes, Limits().processes)
            self.oom_before = self.slot.cgroups.oom_kills() if self.slot.cgroups else 0
            harness, site, binds = key
            self.plan = layout(self.slot, limits, site=site, binds=binds)
            self.proc = self._start(harness)
        except BaseException:
            self.end()
            raise
        self.writer = _Writer(self.proc)

    def _start(self, harness: str) -> subprocess.Popen[bytes]:
        info_r, info_w = os.pipe()
        block_r, block_w = os.pipe()
        self.results_r, results_w = os.pipe()
        args = bwrap.argv(
            self.plan, command(self.plan, harness, results_w), info_fd=info_w, block_fd=block_r
        )
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(info_w, block_r, results_w),
                env={"PATH": "/usr/bin:/bin", orphans.OWNER: orphans.owner_tag()},
                close_fds=True,
            )
        finally:
            for fd in (info_w, block_r, results_w):
                os.close(fd)
        try:
            self._release(proc, info_r, block_w)
        except BaseException:
            proc.kill()
            proc.wait()
            _close(proc)
            raise
        finally:
            os.close(info_r)
            os.close(block_w)
        return proc

    def _release(self, proc: subprocess.Popen[bytes], info_r: int, block_w: int) -> None:
        """Put the sandbox's first process in the slot's cgroups, then let it go on."""
        text = b""
        while chunk := os.read(info_r, 4096):
            text += chunk
        try:
            child_pid = int(json.loads(text)["child-pid"])
        except (ValueError, KeyError, TypeError) as exc:
            proc.wait()
            error = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
            raise SandboxUnavailable(f"bubblewrap could not start the sandbox: {error}") from exc
        self.pidfd = os.pidfd_open(child_pid)  # it waits on the block fd: surely this process
        if self.slot.cgroups is not None:
            self.slot.cgroups.add(child_pid)
        os.write(block_w, b"1")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def use(
        self, inputs: Sequence[bytes], limits: Limits, on_line: OnLine, on_frame: OnFrame
    ) -> Outcome:
        """Run the step: limits, inputs, relay until the end; the sandbox is ended after."""
        started = time.monotonic()
        try:
            if self.slot.cgroups is not None:
                self.slot.cgroups.limit(limits.memory_bytes, limits.processes)
            self.writer.send(protocol.encode(rlimits(limits, self.slot.cgroups is not None)))
            for frame in inputs:
                self.writer.send(frame)
            timed_out, stopped = self._relay(limits, on_line, on_frame, started)
        finally:
            self.end()
        oom = self.slot.cgroups is not None and self.slot.cgroups.oom_kills() > self.oom_before
        code = self.proc.returncode if self.proc.returncode is not None else -9
        return Outcome(code, timed_out, stopped, oom, time.monotonic() - started)

    def _relay(
        self, limits: Limits, on_line: OnLine, on_frame: OnFrame, started: float
    ) -> tuple[bool, str | None]:
        proc = self.proc
        assert proc.stdout is not None and proc.stderr is not None
        selector = selectors.DefaultSelector()
        lines = {
            "stdout": _Lines("stdout", proc.stdout.fileno(), on_line),
            "stderr": _Lines("stderr", proc.stderr.fileno(), on_line),
        }
        for line_buffer in lines.values():
            os.set_blocking(line_buffer.fd, False)
            selector.register(line_buffer.fd, selectors.EVENT_READ, line_buffer)
        frames = protocol.FrameReader(limits.output_bytes)
        selector.register(self.results_r, selectors.EVENT_READ, frames)
        deadline = started + limits.wall_seconds
        logged = 0
        try:
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    return True, None
                for key, _ in selector.select(left):
                    try:
                        chunk = os.read(key.fd, READ_SIZE)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        selector.unregister(key.fd)
                        if isinstance(key.data, _Lines):
                            key.data.close()
                        continue
                    if isinstance(key.data, _Lines):
                        logged += len(chunk)
                        if logged > limits.log_bytes:
                            return False, f"it printed more than {_mb(limits.log_bytes)}"
                        key.data.feed(chunk)
                        continue
                    try:
                        for header, payload in frames.feed(chunk):
                            for reply in on_frame(header, payload):
                                self.writer.send(reply)
                            if header.get("type") in protocol.ENDS:  # no need to see it exit
                                for line_buffer in lines.values():
                                    line_buffer.drain()
                                return False, None
                    except OverflowError:
                        return False, f"its results exceed {_mb(limits.output_bytes)}"
                    except protocol.ProtocolError as exc:
                        return False, f"it sent malformed results ({exc})"
            return False, None
        finally:
            for line_buffer in lines.values():
                line_buffer.close()
            selector.close()

    def end(self) -> None:
        """Kill the sandbox's PID 1 (and so its whole PID namespace), reap bwrap, free the slot."""
        if self.pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            os.close(self.pidfd)
            self.pidfd = None
        proc = getattr(self, "proc", None)
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self.writer.close()
            _close(proc)
        if self.results_r >= 0:
            os.close(self.results_r)
            self.results_r = -1
        if self.slot.cgroups is None or self.slot.cgroups.empty():
            self.slot.release()  # else the slot stays taken: its processes would not die


def rlimits(limits: Limits, cgroups: bool) -> dict[str, int | str]:
    """The limits frame: what the harness sets as its rlimits before reading anything else."""
    address_space = limits.memory_bytes
    if not cgroups:  # the tmpfs caps and the address space add up to the memory limit
        address_space -= 2 * tmpfs_share(limits)
    return {
        "type": "limits",
        "address_space": address_space,
        "processes": limits.processes,
        "cpu_seconds": limits.cpu_seconds,
    }


_standbys: dict[Key, Sandbox] = {}
_standby_lock = threading.Lock()
# Sandboxes die with the thread that started them (--die-with-parent is a parent-death signal):
# standbys are started on this one long-lived thread.
_spawner = ThreadPoolExecutor(1, thread_name_prefix="sandbox-standby")


def standby_enabled() -> bool:
    """Whether steps leave a standby sandbox behind (cgroups needed; DESIGNER_SANDBOX_STANDBY)."""
    return os.environ.get("DESIGNER_SANDBOX_STANDBY", "1") != "0" and slots.Cgroups.available()


def _take(key: Key) -> Sandbox | None:
    with _standby_lock:
        sandbox = _standbys.pop(key, None)
    if sandbox is not None and not sandbox.alive():
        sandbox.end()
        return None
    return sandbox


def _prepare(key: Key) -> None:
    with _standby_lock:
        if key in _standbys:
            return
    with contextlib.suppress(SandboxUnavailable, OSError):
        sandbox = Sandbox(key)
        with _standby_lock:
            _standbys[key] = sandbox


def standbys_started() -> None:
    """Wait until the standby sandboxes being started are up (for benchmarks)."""
    _spawner.submit(lambda: None).result()


@atexit.register
def _end_standbys() -> None:
    with _standby_lock:
        sandboxes = list(_standbys.values())
        _standbys.clear()
    for sandbox in sandboxes:
        sandbox.end()


def run(
    harness: str,
    inputs: Sequence[bytes],
    *,
    limits: Limits,
    on_line: OnLine,
    on_frame: OnFrame,
    site: bool = True,
    binds: Sequence[tuple[str, str]] = (),
) -> Outcome:
    """Run `harness` (a file of harness/) in a fresh sandbox; see the module docstring.

    `inputs` are frames written to its stdin after the limits; `on_frame(header, payload)`
    gets each frame it sends and returns frames to write back; `on_line(stream, line)` gets its
    output lines. Raises SandboxUnavailable when the sandbox cannot start.
    """
    key: Key = (harness, site, tuple(binds))
    standby = standby_enabled()
    sandbox = _take(key) if standby else None
    if sandbox is None:
        sandbox = Sandbox(key, limits)
    try:
        return sandbox.use(inputs, limits, on_line, on_frame)
    finally:
        if standby:
            _spawner.submit(_prepare, key)


def _close(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _mb(size: int) -> str:
    return f"{size / MB:g} MB"


class _Lines:
    """Splits a stream's bytes into lines as they arrive."""

    def __init__(self, name: str, fd: int, on_line: OnLine):
        self.name = name
        self.fd = fd
        self.on_line = on_line
        self.partial = b""

    def drain(self) -> None:
        """Take what the stream holds now (written before the harness's last frame)."""
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(self.fd, READ_SIZE):
                self.feed(chunk)

    def feed(self, chunk: bytes) -> None:
        *done, self.partial = (self.partial + chunk).split(b"\n")
        for line in done:
            self.on_line(self.name, line.decode("utf-8", "replace"))

    def close(self) -> None:
        if self.partial:
            self.on_line(self.name, self.partial.decode("utf-8", "replace"))
            self.partial = b""


class _Writer:
    """Writes frames to the harness's stdin from a thread (a full pipe never blocks the relay)."""

    def __init__(self, proc: subprocess.Popen[bytes]):
        self.stdin = proc.stdin
        self.queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._write, daemon=True, name="sandbox-stdin")
        self.thread.start()

    def send(self, frame: bytes) -> None:
        self.queue.put(frame)

    def _write(self) -> None:
        assert self.stdin is not None
        while (frame := self.queue.get()) is not None:
            try:
                self.stdin.write(frame)
                self.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                return

    def close(self) -> None:
        self.queue.put(None)
