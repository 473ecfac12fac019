"""Runs inside the sandboxed child interpreter: limits itself, runs the user script, writes results.

Standalone on purpose (copied into the sandbox directory and run with `python -I`): it imports
nothing from the designer, and its own frames are cut from the tracebacks the user sees.
"""

from __future__ import annotations

import ctypes
import json
import linecache
import os
import pwd
import resource
import signal
import stat
import sys
import traceback
from pathlib import Path
from typing import Any

USER_FILE = "<user script>"
ENTRY_POINTS = ("azureml_main", "main")
SANDBOX_USER = "nobody"
MAX_PROCESSES = 256  # processes (and threads) the sandbox user may have at once
CLONE_NEWNS, CLONE_NEWPID = 0x00020000, 0x20000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18


def limit_memory(limit_bytes: int) -> None:
    """Cap the address space (soft and hard: the script cannot raise it); no core files."""
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _blocked(path: Path) -> tuple[Path, str] | None:
    """Return (first ancestor others may not traverse, next component), or None if reachable."""
    parts = path.parts
    for depth in range(1, len(parts)):
        directory = Path(*parts[:depth])
        if not directory.stat().st_mode & stat.S_IXOTH:
            return directory, parts[depth]
    return None


def _libc_call(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _isolate(libc: ctypes.CDLL) -> bool:
    """Enter new mount and PID namespaces (children see only each other); False if not allowed."""
    try:
        _libc_call(libc.unshare(CLONE_NEWNS | CLONE_NEWPID), "unshare")
    except OSError:
        return False
    _libc_call(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    return True


def _reveal(libc: ctypes.CDLL, directory: Path, child: str) -> None:
    """In the private mount namespace, cover `directory` with a tmpfs showing only `child`."""
    keep = os.open(directory / child, os.O_PATH)
    options = b"mode=711,size=1m"
    _libc_call(libc.mount(b"tmpfs", bytes(directory), b"tmpfs", 0, options), "mount tmpfs")
    (directory / child).mkdir()
    source = f"/proc/self/fd/{keep}".encode()
    _libc_call(libc.mount(source, bytes(directory / child), None, MS_BIND | MS_REC, None), "bind")
    os.close(keep)


def _relay(pid: int) -> None:
    """Wait for the sandboxed child and end exactly as it ended (status or signal)."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status))


def drop_privileges() -> None:
    """As root: isolate the child, make the interpreter reachable for the sandbox user, become it.

    In new mount and PID namespaces the script's process is PID 1, so when it ends the kernel
    kills everything it started, even processes that left its process group. Without the right
    to create namespaces (a container without CAP_SYS_ADMIN) the switch still happens, provided
    the interpreter is readable by the sandbox user.
    """
    user = pwd.getpwnam(SANDBOX_USER)
    needed = {Path(os.path.realpath(p)) for p in (sys.executable, sys.base_prefix, sys.prefix)}
    blocked = sorted({b for p in needed if (b := _blocked(p)) is not None})
    libc = ctypes.CDLL(None, use_errno=True)
    if _isolate(libc):
        for directory, child in blocked:
            _reveal(libc, directory, child)
        pid = os.fork()
        if pid:
            _relay(pid)
        _libc_call(libc.mount(b"proc", b"/proc", b"proc", 0, None), "mount /proc")
    elif blocked:
        raise PermissionError(f"{blocked[0][0]} is not readable by '{SANDBOX_USER}'")
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))  # no fork bombs
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)


def _user_frames(exc: traceback.TracebackException) -> None:
    """Cut the harness's own frames, so tracebacks start at the user's code."""
    here = os.path.realpath(__file__)
    exc.stack = traceback.StackSummary.from_list(
        [f for f in exc.stack if os.path.realpath(f.filename) != here]
    )
    for chained in (exc.__cause__, exc.__context__):
        if chained is not None:
            _user_frames(chained)


def write_error(kind: str, error: BaseException | None, message: str = "") -> None:
    """Write error.json: the kind of failure, its message and the traceback of the user's frames."""
    text = ""
    if error is not None:
        exc = traceback.TracebackException.from_exception(error)
        _user_frames(exc)
        message = message or "".join(exc.format_exception_only()).strip()
        if exc.stack or exc.__cause__ or exc.__context__:
            text = "".join(exc.format()).rstrip()
    Path("error.json").write_text(json.dumps({"kind": kind, "message": message, "traceback": text}))


def _check_result(result: Any) -> list[Any]:
    import pandas as pd

    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    if not 1 <= len(outputs) <= 2 or not all(isinstance(o, pd.DataFrame) for o in outputs):
        kinds = ", ".join(type(o).__name__ for o in outputs) or "nothing"
        raise TypeError(
            "the entry point must return a pandas DataFrame or a tuple of one or two "
            f"DataFrames, got {kinds}"
        )
    return outputs


def _save(df: Any, path: str) -> None:
    import pandas as pd

    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    df.to_parquet(path, index=False)


def enter(memory: str) -> None:
    """Stage one, as the worker's user: limit resources, drop root, and re-exec stage two."""
    limit_memory(int(memory))
    if os.geteuid() == 0:
        try:
            drop_privileges()
        except (OSError, KeyError) as error:
            write_error(
                "sandbox", None, f"cannot switch to the unprivileged user '{SANDBOX_USER}': {error}"
            )
            sys.exit(2)
    os.execv(sys.executable, [sys.executable, "-I", "-B", __file__, "run"])


def main() -> int:
    """Load the inputs, run the user's entry point, save its outputs; 0 on success."""
    source = Path("script.py").read_text()
    linecache.cache[USER_FILE] = (len(source), None, source.splitlines(True), USER_FILE)
    try:
        import pandas as pd

        inputs = [
            pd.read_parquet(p) if Path(p).exists() else None
            for p in ("input1.parquet", "input2.parquet")
        ]
    except MemoryError:
        write_error("memory", None, "the memory limit is too low to load pandas and the inputs")
        return 1
    namespace: dict[str, Any] = {"__name__": "__user_script__"}
    try:
        exec(compile(source, USER_FILE, "exec"), namespace)
        entry = next((namespace[n] for n in ENTRY_POINTS if callable(namespace.get(n))), None)
        if entry is None:
            write_error("user", None, "define a function azureml_main(dataframe1, dataframe2=None)")
            return 1
        outputs = _check_result(entry(*inputs))
        for i, df in enumerate(outputs, start=1):
            _save(df, f"output{i}.parquet")
    except MemoryError as error:
        write_error("memory", error)
        return 1
    except BaseException as error:  # the user's error, reported with the user's line numbers
        write_error("user", error)
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "enter":
        enter(sys.argv[2])
    sys.exit(main())
