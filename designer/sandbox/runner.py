"""Run one harness in a fresh bubblewrap sandbox; relay its lines and frames; enforce limits.

`run` takes a slot (uid and cgroups, slots.py), starts bwrap blocked on `--block-fd` until the
sandbox's first process (named on `--info-fd`) is in the slot's cgroups, writes the input
frames to the harness's stdin, and reads stdout and stderr (line by line, as printed) and fd 3
(frames) until the harness ends, the wall clock runs out or an output limit is passed. Then,
whatever happened, it kills the sandbox's PID 1 (the kernel ends every process of its PID
namespace with it, and its tmpfs mounts go with the namespace) and empties the slot's cgroups
before releasing the slot. The step's data never touches the host's disk: inputs go in through
a pipe, results come out through one.
"""

from __future__ import annotations

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
from dataclasses import dataclass
from pathlib import Path

from designer.sandbox import bwrap, slots
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
}
READ_SIZE = 65536

Frame = tuple[dict, bytes]
OnLine = Callable[[str, str], None]
OnFrame = Callable[[dict, bytes], Iterable[bytes]]  # returns frames to send back


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
    slot: slots.Slot, limits: Limits, *, site: bool, binds: Sequence[tuple[str, str]]
) -> bwrap.Layout:
    """Where the step's memory limit goes: one cgroup for everything, or split in caps."""
    memory = limits.memory_bytes
    if slot.cgroups is not None:  # processes and tmpfs files are counted together
        tmp = shm = address_space = memory
    else:  # no cgroup: the caps add up to the limit
        tmp = shm = max(memory // 8, 16 * MB)
        address_space = memory - tmp - shm
    return bwrap.Layout(
        uid=slot.uid,
        as_root=os.geteuid() == 0,
        interpreter=bwrap.interpreter(site=site),
        binds=((str(HARNESS_DIR), SANDBOX_HARNESS), *binds),
        tmp_bytes=tmp,
        shm_bytes=shm,
        address_space_bytes=address_space,
        limits=limits,
        env=ENVIRONMENT,
    )


def command(plan: bwrap.Layout, harness: str, results_fd: int) -> list[str]:
    """The harness's own command line inside the sandbox (it writes its frames to results_fd).

    Not `-I`: the environment is entirely ours (`--clearenv`), and `-I` would drop
    PYTHONHASHSEED; `-u` makes print() reach the step log as it happens.
    """
    flags = ["-s", "-u", "-B"] + ([] if plan.interpreter.site else ["-S"])
    return [plan.interpreter.executable, *flags, f"{SANDBOX_HARNESS}/{harness}", str(results_fd)]


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

    `inputs` are frames written to its stdin; `on_frame(header, payload)` gets each frame it
    sends and returns frames to write back; `on_line(stream, line)` gets its output lines.
    Raises SandboxUnavailable when the sandbox cannot start.
    """
    if shutil.which(bwrap.BWRAP) is None:
        raise SandboxUnavailable(
            "bubblewrap is not installed (Debian package `bubblewrap`); user code runs only "
            "inside it"
        )
    try:
        slot = slots.acquire()
    except (slots.SlotError, OSError) as exc:
        raise SandboxUnavailable(f"no sandbox slot: {exc}") from exc
    try:
        return _Sandbox(slot, layout(slot, limits, site=site, binds=binds), limits).run(
            harness, inputs, on_line, on_frame
        )
    finally:
        slot.release()


class _Sandbox:
    """One sandbox from start to cleanup (run() is called once)."""

    def __init__(self, slot: slots.Slot, plan: bwrap.Layout, limits: Limits):
        self.slot = slot
        self.plan = plan
        self.limits = limits
        self.child_pid: int | None = None
        self.oom_before = slot.cgroups.oom_kills() if slot.cgroups else 0

    def run(
        self, harness: str, inputs: Sequence[bytes], on_line: OnLine, on_frame: OnFrame
    ) -> Outcome:
        if self.slot.cgroups is not None:
            self.slot.cgroups.limit(self.limits.memory_bytes, self.limits.processes)
        info_r, info_w = os.pipe()
        block_r, block_w = os.pipe()
        results_r, results_w = os.pipe()
        started = time.monotonic()
        try:
            proc = self._start(harness, info_w, block_r, results_w)
        finally:
            for fd in (info_w, block_r, results_w):
                os.close(fd)
        try:
            self._release(proc, info_r, block_w)
            writer = _Writer(proc)
            for frame in inputs:
                writer.send(frame)
            timed_out, stopped = self._relay(proc, results_r, writer, on_line, on_frame, started)
        finally:
            self._kill(proc)
            for fd in (info_r, block_w, results_r):
                with contextlib.suppress(OSError):
                    os.close(fd)
        oom = self.slot.cgroups is not None and self.slot.cgroups.oom_kills() > self.oom_before
        code = proc.returncode if proc.returncode is not None else -9
        return Outcome(code, timed_out, stopped, oom, time.monotonic() - started)

    def _start(
        self, harness: str, info_w: int, block_r: int, results_w: int
    ) -> subprocess.Popen[bytes]:
        args = bwrap.argv(
            self.plan, command(self.plan, harness, results_w), info_fd=info_w, block_fd=block_r
        )
        return subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(info_w, block_r, results_w),
            env={"PATH": "/usr/bin:/bin"},
            close_fds=True,
        )

    def _release(self, proc: subprocess.Popen[bytes], info_r: int, block_w: int) -> None:
        """Put the sandbox's first process in the slot's cgroups, then let it go on."""
        text = b""
        while chunk := os.read(info_r, 4096):
            text += chunk
        try:
            self.child_pid = int(json.loads(text)["child-pid"])
        except (ValueError, KeyError, TypeError) as exc:
            proc.wait()
            error = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
            raise SandboxUnavailable(f"bubblewrap could not start the sandbox: {error}") from exc
        if self.slot.cgroups is not None:
            self.slot.cgroups.add(self.child_pid)
        os.write(block_w, b"1")

    def _relay(
        self,
        proc: subprocess.Popen[bytes],
        results_r: int,
        writer: _Writer,
        on_line: OnLine,
        on_frame: OnFrame,
        started: float,
    ) -> tuple[bool, str | None]:
        assert proc.stdout is not None and proc.stderr is not None
        selector = selectors.DefaultSelector()
        lines = {name: _Lines(name, on_line) for name in ("stdout", "stderr")}
        selector.register(proc.stdout.fileno(), selectors.EVENT_READ, lines["stdout"])
        selector.register(proc.stderr.fileno(), selectors.EVENT_READ, lines["stderr"])
        frames = protocol.FrameReader(self.limits.output_bytes)
        selector.register(results_r, selectors.EVENT_READ, frames)
        deadline = started + self.limits.wall_seconds
        logged = 0
        try:
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    return True, None
                for key, _ in selector.select(left):
                    chunk = os.read(key.fd, READ_SIZE)
                    if not chunk:
                        selector.unregister(key.fd)
                        if isinstance(key.data, _Lines):
                            key.data.close()
                        continue
                    if isinstance(key.data, _Lines):
                        logged += len(chunk)
                        if logged > self.limits.log_bytes:
                            return False, f"it printed more than {_mb(self.limits.log_bytes)}"
                        key.data.feed(chunk)
                        continue
                    try:
                        for header, payload in frames.feed(chunk):
                            for reply in on_frame(header, payload):
                                writer.send(reply)
                    except OverflowError:
                        return False, f"its results exceed {_mb(self.limits.output_bytes)}"
                    except protocol.ProtocolError as exc:
                        return False, f"it sent malformed results ({exc})"
            return False, None
        finally:
            for line_buffer in lines.values():
                line_buffer.close()
            selector.close()
            writer.close()

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        """End the sandbox: its PID 1 (and so its whole PID namespace), then bwrap itself."""
        if self.child_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child_pid, signal.SIGKILL)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self.slot.cgroups is not None:
            self.slot.cgroups.empty()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _mb(size: int) -> str:
    return f"{size / MB:g} MB"


class _Lines:
    """Splits a stream's bytes into lines as they arrive."""

    def __init__(self, name: str, on_line: OnLine):
        self.name = name
        self.on_line = on_line
        self.partial = b""

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
