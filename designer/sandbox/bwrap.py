"""The bubblewrap command line of one sandbox (a pure function, tested on its own).

What the step sees (everything else on the host does not exist for it):

- /usr read-only (with the usual /bin, /lib, /lib64 links): the C libraries and tools;
- the interpreter's prefixes read-only: the base installation and, for harnesses that import
  packages, the virtual environment (never the repository it may sit in);
- the `binds`, read-only: the harness folder, and a custom module's folder;
- its own /proc (PID namespace), a minimal /dev, and private tmpfs mounts: /tmp (also $HOME
  and, through a link, /var/tmp) and /dev/shm, each capped in size.

Namespaces: network (only `lo`), PID, IPC, UTS, cgroup; `--die-with-parent` ends it with the
process that started it and `--new-session` detaches it from any terminal. Bubblewrap sets
no_new_privs. As root it runs without a user namespace and hands over to `setpriv` (the slot's
uid and gid, no supplementary groups, no capabilities in any set), so the uid is real and
unique on the host; as another user it maps the slot's uid inside a user namespace instead
(the host sees the server's uid: see docs/security.md). Rlimits are the harness's first act
(harness/guard.py): a standby sandbox is started before its step's limits are known.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

BWRAP = "bwrap"


@dataclass(frozen=True)
class Interpreter:
    """The Python a harness runs with, and the folders it needs to see."""

    executable: str
    paths: tuple[str, ...]
    site: bool  # whether installed packages are visible (else the standard library only)


def interpreter(*, site: bool) -> Interpreter:
    """This process's interpreter: with its packages, or only the standard library."""
    if not site:
        base = os.path.realpath(sys.base_prefix)
        return Interpreter(getattr(sys, "_base_executable", sys.executable), (base,), False)
    folders = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    folders |= {os.path.dirname(os.path.abspath(sys.executable))}  # a venv's bin/ links
    outer = [p for p in folders if not any(p != q and p.startswith(q + "/") for q in folders)]
    return Interpreter(sys.executable, tuple(sorted(outer)), True)


@dataclass(frozen=True)
class Layout:
    """Everything about one sandbox that is not the harness's own command line."""

    uid: int
    as_root: bool  # bwrap started by root: real uid switch; else a user namespace
    interpreter: Interpreter
    binds: tuple[tuple[str, str], ...]  # (host path, sandbox path), read-only
    tmp_bytes: int  # size cap of /tmp (with $HOME and /var/tmp)
    shm_bytes: int  # size cap of /dev/shm
    env: Mapping[str, str]


def _parents(targets: Iterable[str]) -> list[str]:
    """Every folder above the mount points, outermost first (/usr excluded: it is bound)."""
    found: set[str] = set()
    for target in targets:
        parent = os.path.dirname(target)
        while parent not in ("/", "/usr") and not parent.startswith("/usr/"):
            found.add(parent)
            parent = os.path.dirname(parent)
    return sorted(found, key=lambda p: (p.count("/"), p))


def argv(layout: Layout, command: Sequence[str], *, info_fd: int, block_fd: int) -> list[str]:
    """The full command line: bwrap, its options, the privilege drop, then `command`."""
    uid = str(layout.uid)
    args = [
        BWRAP,
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup",
        "--die-with-parent", "--new-session", "--hostname", "sandbox",
        "--info-fd", str(info_fd), "--block-fd", str(block_fd),
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
    ]  # fmt: skip
    binds = [(path, path) for path in layout.interpreter.paths] + list(layout.binds)
    for folder in _parents(target for _, target in binds):
        args += ["--dir", folder]  # traversable (0755): bwrap would make missing parents 0700
    for source, target in binds:
        args += ["--ro-bind", source, target]
    args += [
        "--proc", "/proc", "--dev", "/dev",
        "--perms", "1777", "--size", str(layout.tmp_bytes), "--tmpfs", "/tmp",
        "--perms", "1777", "--size", str(layout.shm_bytes), "--tmpfs", "/dev/shm",
        "--dir", "/var", "--symlink", "../tmp", "/var/tmp",
        "--chdir", "/tmp", "--clearenv",
    ]  # fmt: skip
    for name, value in sorted({**layout.env, "HOME": "/tmp", "TMPDIR": "/tmp"}.items()):
        args += ["--setenv", name, value]
    if not layout.as_root:
        args += ["--unshare-user", "--uid", uid, "--gid", uid]
    if layout.as_root:
        args += [
            "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs",
            "--",
        ]  # fmt: skip
    return args + list(command)
