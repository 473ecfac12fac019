"""Running one step inside a worker: a plain function of plain data.

``run_step(task, report)`` loads the step's inputs from the artifact store, builds the
StepContext, calls the module implementation, encodes and stores its outputs, and returns a
JSON-ready result. The local runner's worker processes call it, and so can a Celery task:
nothing here knows about processes, queues or frameworks.

Task (``make_task`` builds one)::

    {"run_id": str, "attempt": int, "step": Step.to_dict(),
     "inputs": {port: {"digest", "kind"} | None},
     "store": artifact store root, "datasets": dataset folder | None, "workdir": parent | None}

Result::

    {"status": "succeeded", "outputs": {port: OutputRecord.to_dict()}, "started_at", "finished_at"}
    {"status": "failed", "error": message, "error_type", "param", "port", "traceback",
     "retryable": bool, "started_at", "finished_at"}

``report(kind, data)`` receives ("log", {"stream": "log"|"stdout"|"stderr", "lines": [...]}) and
("progress", {"value", "max"}) while the step runs.

A process that runs steps keeps the Arrow tables of the DataFrames it recently stored or
loaded (``recent_tables``, keyed by digest, bounded by bytes), so the step after one that
produced a table — usually on the same warm worker — gets it without reading, hashing and
decoding the file again. Each step still gets its own new DataFrame (``table.to_pandas()``,
exactly what decoding the stored bytes gives).

Staged steps (``stage_step``, used by the local runner's workers; see
docs/decisions/0007-engine-staged-storage.md): the module runs, its DataFrame outputs are
converted to Arrow and its other outputs encoded and hashed, and the step is "computed": its
outputs are held in memory under tokens (``provisional``), so a step the executor starts
speculatively on this process can read them (``{"pending": token, "kind": kind}`` input refs)
while ``Staged.finish()`` — Parquet, SHA-256, summary, durable write — runs on a storage thread.
The result of ``finish()`` is the same as ``run_step``'s, plus ``"inexact"``: the ports whose
in-memory table is not exactly what decoding the stored bytes gives (a speculative reader of
those must be discarded).
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from designer.engine import requirements
from designer.engine.artifacts import (
    KIND_PARQUET,
    OutputTypeError,
    Prepared,
    decode,
    frame_to_table,
    is_dataframe,
    parquet_to_table,
    prepare,
    prepare_table,
    stored_as_table,
    stored_schema_matches,
    table_to_frame,
)
from designer.engine.context import DatasetStore, StepError
from designer.engine.datasets import FileDatasetStore
from designer.engine.hashing import sha256_hex
from designer.engine.plan import Step
from designer.engine.store import ArtifactError, ArtifactStore
from designer.engine.types import PortType

Report = Callable[[str, dict[str, Any]], None]
PROGRESS_INTERVAL = 0.05  # seconds between progress reports (the first and last always go)
MAX_LINE = 10_000  # longer log lines are cut
RECENT_TABLES_BYTES = 256 * 1024 * 1024  # default bound of the in-process table cache


class RecentTables:
    """A thread-safe LRU of Arrow tables by artifact digest, bounded by their size in bytes."""

    def __init__(self, limit: int = RECENT_TABLES_BYTES):
        self.limit = limit
        self._tables: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, digest: str) -> Any:
        """The table stored under `digest`, or None."""
        with self._lock:
            found = self._tables.get(digest)
            if found is None:
                return None
            self._tables.move_to_end(digest)
            return found[0]

    def put(self, digest: str, table: Any) -> None:
        """Keep a table (tables larger than the whole bound are not kept)."""
        size = int(table.nbytes)
        with self._lock:
            old = self._tables.pop(digest, None)
            if old is not None:
                self._size -= old[1]
            if size > self.limit:
                return
            self._tables[digest] = (table, size)
            self._size += size
            while self._size > self.limit:
                _, (_, dropped) = self._tables.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        """Forget every table."""
        with self._lock:
            self._tables.clear()
            self._size = 0

    def __contains__(self, digest: object) -> bool:
        with self._lock:
            return digest in self._tables


recent_tables = RecentTables()
PROVISIONAL_LIMIT = 64  # tokens a process remembers (the runner's view of them may be older)


class ProvisionalMissing(Exception):
    """A speculative step asked for an in-memory output this process no longer holds."""


@dataclass
class _Held:
    """An output held in memory under a token: its table or bytes until stored, then its digest."""

    kind: str
    table: Any = None
    data: bytes | memoryview | None = None
    digest: str | None = None


class Provisional:
    """Outputs of staged steps by token, readable before (and after) they are stored."""

    def __init__(self, limit: int = PROVISIONAL_LIMIT):
        self.limit = limit
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, token: str, held: _Held) -> None:
        """Hold an output under `token` (the oldest token is forgotten beyond the limit)."""
        with self._lock:
            self._held[token] = held
            self._held.move_to_end(token)
            while len(self._held) > self.limit:
                self._held.popitem(last=False)

    def resolve(self, token: str, digest: str) -> None:
        """The output is stored (durably) under `digest`: let go of its table or bytes."""
        with self._lock:
            held = self._held.get(token)
            if held is not None:
                self._held[token] = _Held(held.kind, digest=digest)

    def get(self, token: str) -> _Held | None:
        """What is held under `token`, or None."""
        with self._lock:
            return self._held.get(token)

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._held.clear()

    def __contains__(self, token: object) -> bool:
        with self._lock:
            return token in self._held


provisional = Provisional()


def make_task(
    step: Step | Mapping[str, Any],
    inputs: Mapping[str, Mapping[str, str] | None],
    *,
    run_id: str,
    attempt: int,
    store: str | os.PathLike[str],
    datasets: str | os.PathLike[str] | None = None,
    workdir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Build the plain-data task for `run_step` (inputs as in cache.Decision.inputs)."""
    return {
        "run_id": run_id,
        "attempt": attempt,
        "step": step.to_dict() if isinstance(step, Step) else dict(step),
        "inputs": {k: None if v is None else dict(v) for k, v in inputs.items()},
        "store": os.fspath(store),
        "datasets": None if datasets is None else os.fspath(datasets),
        "workdir": None if workdir is None else os.fspath(workdir),
    }


def _no_report(kind: str, data: dict[str, Any]) -> None:
    return None


_stores: dict[str, ArtifactStore] = {}
_dataset_stores: dict[str, FileDatasetStore] = {}
_implementations: dict[str, tuple[str, Callable[..., Any]]] = {}


def _store(root: str) -> ArtifactStore:
    if root not in _stores:
        _stores[root] = ArtifactStore(root)
    return _stores[root]


class _NoDatasets:
    def read(self, name: str, version: str | None = None) -> tuple[Path, str]:
        raise StepError("no dataset store is configured for this run")

    def write(self, name: str, parquet_path: Path, description: str = "") -> str:
        raise StepError("no dataset store is configured for this run")


def _datasets(root: str | None) -> DatasetStore:
    if root is None:
        return _NoDatasets()
    if root not in _dataset_stores:
        _dataset_stores[root] = FileDatasetStore(root)
    return _dataset_stores[root]


def load(path: str, digest: str) -> Callable[..., Any]:
    """Import an implementation, re-importing its module when its digest changed.

    Warm workers keep modules imported; an edited implementation (new digest) is reloaded so
    the step runs the code its fingerprint names.
    """
    known = _implementations.get(path)
    if known is not None and known[0] == digest:
        return known[1]
    module_name, _, attr = path.partition(":")
    if known is not None and module_name in sys.modules:
        importlib.reload(sys.modules[module_name])
    module = importlib.import_module(module_name)
    func: Callable[..., Any] = getattr(module, attr)
    _implementations[path] = (digest, func)
    return func


class _LineWriter:
    """A text stream that reports complete lines (stdout/stderr capture)."""

    def __init__(self, stream: str, report: Report, lock: threading.Lock):
        self.stream = stream
        self.report = report
        self.lock = lock
        self.buffer = ""
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self.lock:
            self.buffer += text
            if "\n" not in self.buffer:
                return len(text)
            done, _, self.buffer = self.buffer.rpartition("\n")
        self.report("log", {"stream": self.stream, "lines": [_cut(x) for x in done.split("\n")]})
        return len(text)

    def flush(self) -> None:
        with self.lock:
            rest, self.buffer = self.buffer, ""
        if rest:
            self.report("log", {"stream": self.stream, "lines": [_cut(rest)]})

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("captured stream has no file descriptor")

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)


def _cut(line: str) -> str:
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


class _StepView:
    """What a worker needs of a plan step, read straight from its dict (no re-validation)."""

    __slots__ = ("digest", "implementation", "key", "module", "outputs", "params")

    def __init__(self, data: Mapping[str, Any]):
        self.key: str = data["key"]
        self.module: str = data["module"]
        self.implementation: str = data["implementation"]
        self.digest: str = data["implementation_digest"]
        self.params: dict[str, Any] = copy.deepcopy(data["params"])
        self.outputs: list[tuple[str, PortType]] = [
            (o["port"], PortType(o["type"])) for o in data["outputs"]
        ]


class WorkerContext:
    """The StepContext handed to module implementations."""

    def __init__(
        self,
        step: _StepView,
        task: Mapping[str, Any],
        workdir: Path,
        report: Report,
        store: ArtifactStore,
    ):
        self.node_id = step.key
        self.params: Mapping[str, Any] = step.params
        self.workdir = workdir
        self.datasets: DatasetStore = _datasets(task.get("datasets"))
        self.run_id: str = task["run_id"]
        self.attempt: int = task["attempt"]
        self._step = step
        self._inputs: Mapping[str, Any] = task["inputs"]
        self._cache: dict[str, Any] = {}
        self._report = report
        self._store = store
        self._last_progress = 0.0
        self.provisional_missing = False  # a pending input was asked for and is gone

    def input(self, port: str) -> Any:
        if port in self._cache:
            return self._cache[port]
        if port not in self._inputs:
            raise StepError(f"module {self._step.module} has no input `{port}`", port=port)
        ref = self._inputs[port]
        if ref is None:
            value = None
        elif "pending" in ref:
            try:
                value = load_provisional(self._store, ref["pending"])
            except ProvisionalMissing:
                self.provisional_missing = True
                raise
        else:
            value = load_input(self._store, ref["digest"], ref["kind"])
        self._cache[port] = value
        return value

    def log(self, message: str) -> None:
        lines = [_cut(x) for x in str(message).splitlines()] or [""]
        self._report("log", {"stream": "log", "lines": lines})

    def progress(self, value: float, maximum: float | None = None) -> None:
        now = time.monotonic()
        final = maximum is not None and value >= maximum
        if self._last_progress and not final and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        self._report("progress", {"value": value, "max": maximum})


def load_input(store: ArtifactStore, digest: str, kind: str) -> Any:
    """Decode a stored artifact, taking DataFrames from `recent_tables` when they are there."""
    if kind != KIND_PARQUET:
        return decode(store.get(digest), kind)
    table = recent_tables.get(digest)
    if table is None:
        table = parquet_to_table(store.get(digest))  # digest checked by get()
        recent_tables.put(digest, table)
    return table_to_frame(table)


def load_provisional(store: ArtifactStore, token: str) -> Any:
    """A new value of an output held under `token` (ProvisionalMissing when it is not held)."""
    held = provisional.get(token)
    if held is None:
        raise ProvisionalMissing(f"input {token} is no longer held by this worker")
    if held.table is not None:
        return table_to_frame(held.table)
    if held.data is not None:
        return decode(bytes(held.data), held.kind)
    assert held.digest is not None
    return load_input(store, held.digest, held.kind)


@contextlib.contextmanager
def _captured(report: Report) -> Iterator[tuple[_LineWriter, _LineWriter]]:
    lock = threading.Lock()
    out, err = _LineWriter("stdout", report, lock), _LineWriter("stderr", report, lock)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        out.flush()
        err.flush()


def _safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:40]


@dataclass
class _Ran:
    """A module that returned: what it returned, when, and how to clean up after it."""

    step: _StepView
    store: ArtifactStore
    returned: Any
    started: float
    finished: float
    workdir: Path
    scratch: bool

    def cleanup(self) -> None:
        if self.scratch:
            _empty(self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _call(
    task: Mapping[str, Any],
    report: Report,
    *,
    capture_output: bool,
    chdir: bool,
    scratch: str | os.PathLike[str] | None,
) -> _Ran | dict[str, Any]:
    """Run the module of `task`: a _Ran (clean it up after storing), or a failure result."""
    started = time.time()
    step = _StepView(task["step"])
    store = _store(task["store"])
    if scratch is not None:
        workdir = Path(scratch)
        _empty(workdir)
    else:
        workdir = Path(tempfile.mkdtemp(prefix=f"step-{_safe(step.key)}-", dir=task.get("workdir")))
    ran = _Ran(step, store, None, started, started, workdir, scratch is not None)
    try:
        requirements.check(task["step"].get("environment", {}).get("requirements", ()))
    except StepError as exc:
        ran.cleanup()
        return _failure(exc, started, retryable=False)
    try:
        func = load(step.implementation, step.digest)
    except Exception as exc:
        ran.cleanup()
        return _failure(exc, started, retryable=False, prefix="cannot load the implementation: ")
    ctx = WorkerContext(step, task, workdir, report, store)
    old_cwd = os.getcwd() if chdir else None
    failure: dict[str, Any] | None = None
    try:
        if chdir:
            os.chdir(workdir)
        if capture_output:
            with _captured(report):
                ran.returned = func(ctx)
        else:
            ran.returned = func(ctx)
    except (StepError, ArtifactError) as exc:
        failure = _failure(exc, started, retryable=False)
    except Exception as exc:
        failure = _failure(exc, started, retryable=True)
    except SystemExit as exc:  # exit() in user code must not take the worker down
        failure = _failure(
            StepError(f"the step called exit({exc.code!r})"), started, retryable=False
        )
    except BaseException:  # e.g. KeyboardInterrupt: the work directory is still emptied
        ran.cleanup()
        raise
    finally:
        if old_cwd is not None:
            os.chdir(old_cwd)
    if ctx.provisional_missing:  # whatever the module made of it, its input was not there
        failure = _provisional_missing(started)
    if failure is not None:
        ran.cleanup()
        return failure
    ran.finished = time.time()
    return ran


def _provisional_missing(started: float) -> dict[str, Any]:
    failure = _failure(ProvisionalMissing("a speculative input is gone"), started, retryable=True)
    failure["provisional_missing"] = True
    return failure


def run_step(
    task: Mapping[str, Any],
    report: Report | None = None,
    *,
    capture_output: bool = True,
    chdir: bool = False,
    scratch: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Run one step described by `task`; return its result (never raises for a step failure).

    `capture_output` sends print()/sys.stderr output of the step through `report`; `chdir`
    makes the step's work directory the process's current directory while it runs (for
    dedicated worker processes; leave it off where other threads share the process).
    `scratch` is a directory this process owns and reuses as the work directory of each step
    (emptied before and after), which saves creating and removing one per step; without it
    each step gets a fresh temporary directory under task["workdir"].
    """
    ran = _call(
        task, report or _no_report, capture_output=capture_output, chdir=chdir, scratch=scratch
    )
    if isinstance(ran, dict):
        return ran
    try:
        try:
            outputs = _store_outputs(ran.step, ran.returned, ran.store)
        except (StepError, OutputTypeError) as exc:
            return _failure(exc, ran.started, retryable=False)
        except Exception as exc:
            return _failure(exc, ran.started, retryable=True, prefix="storing outputs failed: ")
        return {
            "status": "succeeded",
            "outputs": outputs,
            "started_at": ran.started,
            "finished_at": ran.finished,
        }
    finally:
        ran.cleanup()


@dataclass
class _Item:
    port: str
    token: str
    value: Any
    table: Any  # Arrow table of a DataFrame output, else None
    prepared: Prepared | None  # encoded bytes of any other output
    digest: str | None  # their SHA-256
    ref: dict[str, str]  # how a speculative reader on this process names it


class Staged:
    """A step whose module returned and whose outputs are held in memory, not yet stored.

    `refs` are the input refs a speculative step on this process uses for its outputs;
    `finish()` stores them (run it on a storage thread) and returns the step's result.
    """

    def __init__(self, ran: _Ran, items: list[_Item]):
        self.step = ran.step
        self.store = ran.store
        self.started = ran.started
        self.finished = ran.finished
        self.items = items
        self.refs = {item.port: item.ref for item in items}

    def finish(self) -> dict[str, Any]:
        """Store the outputs; the step's result (as `run_step` gives it, plus "inexact")."""
        try:
            outputs, inexact = self._store()
        except (StepError, OutputTypeError) as exc:
            return _failure(exc, self.started, retryable=False)
        except Exception as exc:
            return _failure(exc, self.started, retryable=True, prefix="storing outputs failed: ")
        return {
            "status": "succeeded",
            "outputs": outputs,
            "started_at": self.started,
            "finished_at": self.finished,
            "inexact": inexact,
        }

    def _store(self) -> tuple[dict[str, Any], list[str]]:
        store = self.store
        outputs: dict[str, Any] = {}
        inexact: list[str] = []
        stored: list[tuple[str, str]] = []  # (token, digest): read from the store once durable
        pending: list[Future[Any]] = []
        try:
            for item in self.items:
                if item.prepared is None:
                    prepared = prepare_table(item.value, item.table)
                    digest = sha256_hex(prepared.data)
                    pending.append(_writer.submit(store.put, prepared.data, digest))
                    summary = store.summary(digest)
                    if summary is None:
                        summary = prepared.summary()
                        pending.append(_writer.submit(_keep_summary, store, digest, summary))
                    if stored_schema_matches(item.table, prepared.data):
                        recent_tables.put(digest, item.table)
                    else:
                        inexact.append(item.port)
                else:
                    prepared = item.prepared
                    digest = item.digest or sha256_hex(prepared.data)
                    pending.append(_writer.submit(store.put, prepared.data, digest))
                    summary = prepared.summary()
                stored.append((item.token, digest))
                outputs[item.port] = {
                    "digest": digest,
                    "kind": prepared.kind,
                    "size": prepared.size,
                    "summary": summary,
                }
        finally:
            wait(pending)  # every write has ended (durably, or failed) before the step reports
        for future in pending:
            future.result()  # a failed write fails the step
        for token, digest in stored:
            provisional.resolve(token, digest)
        return outputs, inexact


def stage_step(
    task: Mapping[str, Any],
    report: Report | None = None,
    *,
    token: str,
    small: bool = True,
    capture_output: bool = True,
    chdir: bool = False,
    scratch: str | os.PathLike[str] | None = None,
) -> Staged | dict[str, Any]:
    """Run a step's module and hold its outputs in memory under ``f"{token}/{port}"``.

    Returns a Staged step (call `finish()` to store its outputs and get the result), or the
    result when the module failed or returned outputs that do not fit their ports — the same
    failures, with the same retryability, as `run_step`. With `small` false, a step that
    returned no DataFrame is stored at once, as `run_step` does (its result is returned): a few
    small writes cost less than the hand-off when no other storage is in progress.
    """
    ran = _call(
        task, report or _no_report, capture_output=capture_output, chdir=chdir, scratch=scratch
    )
    if isinstance(ran, dict):
        return ran
    try:
        if not small and not _has_table(ran.returned):
            outputs = _store_outputs(ran.step, ran.returned, ran.store)
            return {
                "status": "succeeded",
                "outputs": outputs,
                "started_at": ran.started,
                "finished_at": ran.finished,
            }
        return Staged(ran, _hold_outputs(ran, token))
    except (StepError, OutputTypeError) as exc:
        return _failure(exc, ran.started, retryable=False)
    except Exception as exc:
        return _failure(exc, ran.started, retryable=True, prefix="storing outputs failed: ")
    finally:
        ran.cleanup()


def _has_table(returned: Any) -> bool:
    return isinstance(returned, Mapping) and any(is_dataframe(v) for v in returned.values())


def _hold_outputs(ran: _Ran, token: str) -> list[_Item]:
    returned = _checked(ran.step, ran.returned)
    items: list[_Item] = []
    for port, port_type in ran.step.outputs:
        if port not in returned:
            raise OutputTypeError(f"module {ran.step.module} returned no value for output `{port}`")
        value = returned[port]
        name = f"{token}/{port}"
        if stored_as_table(value, port_type, port):
            table = frame_to_table(value)
            provisional.put(name, _Held(KIND_PARQUET, table=table))
            ref = {"pending": name, "kind": KIND_PARQUET}
            items.append(_Item(port, name, value, table, None, None, ref))
            continue
        prepared = prepare(value, port_type, port)
        digest = sha256_hex(prepared.data)
        if ran.store.exists(digest):  # already stored: readers take it from there (checked)
            ref = {"digest": digest, "kind": prepared.kind}
        else:
            provisional.put(name, _Held(prepared.kind, data=prepared.data))
            ref = {"pending": name, "kind": prepared.kind}
        items.append(_Item(port, name, value, None, prepared, digest, ref))
    return items


def _empty(folder: Path) -> None:
    """Remove everything inside `folder` (cheap when it is already empty); create it if gone."""
    try:
        entries_iter = os.scandir(folder)
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
        return
    with entries_iter as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


# Writes tables to the store (mostly waiting on the disk) while the step's thread summarizes
# them and encodes the next output; its thread starts on first use.
_writer = ThreadPoolExecutor(1, thread_name_prefix="artifact-writer")


def _keep_summary(store: ArtifactStore, digest: str, summary: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # a summary is derived data: never fail a step on it
        store.put_summary(digest, summary)


def _checked(step: _StepView, returned: Any) -> Mapping[str, Any]:
    """The module's returned mapping, checked for shape and unknown ports."""
    if returned is None:
        returned = {}
    if not isinstance(returned, Mapping):
        raise OutputTypeError(
            f"module {step.module} must return a dict of outputs, got {type(returned).__name__}"
        )
    declared = {port for port, _ in step.outputs}
    for port in returned:
        if port not in declared:
            raise OutputTypeError(f"module {step.module} returned an unknown output `{port}`")
    return returned


def _store_outputs(step: _StepView, returned: Any, store: ArtifactStore) -> dict[str, Any]:
    returned = _checked(step, returned)
    outputs: dict[str, Any] = {}
    pending: list[Future[Any]] = []
    try:
        for port, port_type in step.outputs:
            if port not in returned:
                raise OutputTypeError(f"module {step.module} returned no value for output `{port}`")
            prepared = prepare(returned[port], port_type, port)
            if prepared.kind == KIND_PARQUET:
                digest = sha256_hex(prepared.data)
                pending.append(_writer.submit(store.put, prepared.data, digest))
                summary = store.summary(digest)
                if summary is None:
                    summary = prepared.summary()
                    pending.append(_writer.submit(_keep_summary, store, digest, summary))
                if stored_schema_matches(prepared.table, prepared.data):
                    recent_tables.put(digest, prepared.table)
            else:
                digest = store.put(prepared.data)
                summary = prepared.summary()
            outputs[port] = {
                "digest": digest,
                "kind": prepared.kind,
                "size": prepared.size,
                "summary": summary,
            }
    finally:
        wait(pending)  # every write has ended (durably, or failed) before the step reports
    for future in pending:
        future.result()  # a failed write fails the step
    return outputs


def _failure(
    exc: BaseException, started: float, *, retryable: bool, prefix: str = ""
) -> dict[str, Any]:
    user = isinstance(exc, (StepError, OutputTypeError, ArtifactError))
    message = str(exc) if user else f"{type(exc).__name__}: {exc}"
    return {
        "status": "failed",
        "error": prefix + message,
        "error_type": type(exc).__name__,
        "param": getattr(exc, "param", None),
        "port": getattr(exc, "port", None),
        "traceback": None if user else "".join(traceback.format_exception(exc)),
        "retryable": retryable,
        "started_at": started,
        "finished_at": time.time(),
    }
