"""Slots: a uid of its own (and, where the host allows, cgroups) for each running step.

A slot is a lock file in a root-owned 0700 directory shared by every process on the host
(LocalRunner workers, Celery workers, several installs): holding its `flock` is owning
uid `UID_BASE + index`. The kernel drops the lock when its holder dies, so a killed worker
frees its slot; a new holder first kills whatever still runs in the slot's cgroups (or, without
cgroups, skips a slot whose uid still has a process). Each process takes the next free slot
after the last one it took, so a uid is not handed out again at once.

Cgroups (v1 `memory` and `pids`, as root, when /sys/fs/cgroup has them writable): the slot's
memory cgroup counts its processes and its tmpfs files against one limit, and its pids cgroup
caps processes and threads. Where they are missing (no root, a read-only or v2-only cgroup
file system) the step still runs, under rlimits and tmpfs size caps (see runner.py).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

UID_BASE = 2_000_000_000  # far above any account and any container's subordinate range
SLOTS = 256
ROOT_DIR = Path("/run/designer-sandbox")
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_GROUP = "designer-sandbox"


class SlotError(RuntimeError):
    """No slot can be had: the directory is unsafe, or every slot is taken."""


def slot_dir() -> Path:
    """Where the slot locks live: shared by the host as root, per user otherwise."""
    if os.geteuid() == 0:
        return ROOT_DIR
    runtime = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    return Path(runtime) / f"designer-sandbox-{os.geteuid()}"


def _private_dir(path: Path) -> None:
    """Create `path` owner-only, or refuse one that someone else owns or may write."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700, parents=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise SlotError(f"{path} is not a directory owned by uid {os.geteuid()}")
    if info.st_mode & 0o077:
        raise SlotError(f"{path} must be private (mode 0700), it is {oct(info.st_mode & 0o777)}")


class Cgroups:
    """The v1 memory and pids cgroups of one slot."""

    def __init__(self, index: int):
        self.memory = CGROUP_ROOT / "memory" / CGROUP_GROUP / f"slot-{index}"
        self.pids = CGROUP_ROOT / "pids" / CGROUP_GROUP / f"slot-{index}"

    @staticmethod
    def available() -> bool:
        """Whether this process can create v1 memory and pids cgroups."""
        if os.geteuid() != 0:
            return False
        return all(
            os.access(CGROUP_ROOT / name / "cgroup.procs", os.W_OK) for name in ("memory", "pids")
        )

    def create(self) -> None:
        for folder in (self.memory, self.pids):
            folder.mkdir(parents=True, exist_ok=True)

    def limit(self, memory_bytes: int, processes: int) -> None:
        """Set the limits of the next step (and forget the last one's counters)."""
        swap = self.memory / "memory.memsw.limit_in_bytes"  # only where swap is accounted
        has_swap = swap.exists()
        if has_swap:  # memory + swap may never be below memory: lift it first
            swap.write_text("-1")
        (self.memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
        if has_swap:
            swap.write_text(str(memory_bytes))
        with contextlib.suppress(OSError):
            (self.memory / "memory.max_usage_in_bytes").write_text("0")
        (self.pids / "pids.max").write_text(str(processes))

    def add(self, pid: int) -> None:
        """Move a process (before it starts any other) into both cgroups."""
        for folder in (self.memory, self.pids):
            (folder / "cgroup.procs").write_text(str(pid))

    def processes(self) -> set[int]:
        found: set[int] = set()
        for folder in (self.memory, self.pids):
            with contextlib.suppress(OSError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return found

    def oom_kills(self) -> int:
        """How many processes the memory limit has killed in this cgroup so far."""
        with contextlib.suppress(OSError):
            for line in (self.memory / "memory.oom_control").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def peak_bytes(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            return int((self.memory / "memory.max_usage_in_bytes").read_text())
        return 0

    def empty(self, timeout: float = 5.0) -> bool:
        """Kill every process in the slot and wait until none is left."""
        deadline = time.monotonic() + timeout
        while pids := self.processes():
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True


@dataclass
class Slot:
    """A held slot: its index, its uid, and its cgroups when the host has them."""

    index: int
    uid: int
    cgroups: Cgroups | None
    _fd: int

    def release(self) -> None:
        os.close(self._fd)  # drops the flock


def _try_lock(folder: Path, index: int) -> int | None:
    fd = os.open(folder / f"{index}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        raise
    return fd


def _runs_as(uid: int) -> bool:
    """Whether any process on the host runs as `uid` (the check where there are no cgroups)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    return True
    return False


_next = [os.getpid() % SLOTS]  # where this process looks first


def acquire(*, use_cgroups: bool | None = None) -> Slot:
    """Take the next free slot (its uid is then this holder's alone until `release`)."""
    folder = slot_dir()
    _private_dir(folder)
    if use_cgroups is None:
        use_cgroups = Cgroups.available()
    first = _next[0]
    for index in ((first + i) % SLOTS for i in range(SLOTS)):
        fd = _try_lock(folder, index)
        if fd is None:
            continue
        uid = UID_BASE + index
        cgroups = Cgroups(index) if use_cgroups else None
        if cgroups is not None:
            cgroups.create()
            busy = not cgroups.empty()  # leftovers of a holder that died did not go away
        else:
            busy = os.geteuid() == 0 and _runs_as(uid)
        if busy:
            os.close(fd)
            continue
        _next[0] = (index + 1) % SLOTS
        return Slot(index, uid, cgroups, fd)
    raise SlotError(f"all {SLOTS} sandbox slots are taken")


@contextlib.contextmanager
def held(*, use_cgroups: bool | None = None) -> Iterator[Slot]:
    """A slot for the duration of a `with` block."""
    slot = acquire(use_cgroups=use_cgroups)
    try:
        yield slot
    finally:
        slot.release()
