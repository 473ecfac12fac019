"""Running one step inside a worker: a plain function of plain data.

``run_step(task, report)`` loads the step's inputs from the artifact store, builds the
StepContext, calls the module implementation, encodes and stores its outputs, and returns a
JSON-ready result. The local runner's worker processes call it, and so can a Celery task:
nothing here knows about processes, queues or frameworks.

Task (``make_task`` builds one)::

    {"run_id": str, "attempt": int, "step": Step.to_dict(),
     "inputs": {port: {"digest", "kind"} | None},
     "store": artifact store root, "datasets": the space of the store's datasets it sees | None,
     "workdir": parent | None, "min_free": bytes a folder store's disk keeps free (0: no floor)}

Result::

    {"status": "succeeded", "outputs": {port: OutputRecord.to_dict()}, "started_at", "finished_at"}
    {"status": "failed", "error": message, "error_type", "param", "port", "traceback",
     "retryable": bool, "started_at", "finished_at"}

``report(kind, data)`` receives ("log", {"stream": "log"|"stdout"|"stderr", "lines": [...]}) and
("progress", {"value", "max"}) while the step runs.

Inputs come from the store, or from what this process holds in memory (``held``: recent
Arrow tables by digest, staged outputs by token). ``staging.stage_step`` runs a step in two
halves with the helpers here (``call`` runs the module; ``store_outputs``, ``failure``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from designer.engine import requirements
from designer.engine.artifacts import (
    KIND_PARQUET,
    OutputTypeError,
    Prepared,
    clipped,
    output_table,
    prepare,
    stored_as_table,
    stored_schema_matches,
    summarize_frame,
    table_to_parquet,
    write_parquet,
)
from designer.engine.context import DatasetStore, StepError
from designer.engine.datasets import StoredDatasets
from designer.engine.derived import Derivation, Hint, derive
from designer.engine.diskspace import DiskNearlyFull
from designer.engine.hashing import canonical_json, sha256_hex
from designer.engine.held import (
    Parents,
    ProvisionalMissing,
    keep_big_inputs,
    load_input,
    load_provisional,
    recent_tables,
    stored_parents,
)
from designer.engine.plan import Step
from designer.engine.store import ArtifactError, ArtifactStore, Written, open_store
from designer.engine.types import PortType

Report = Callable[[str, dict[str, Any]], None]
PROGRESS_INTERVAL = 0.05  # seconds between progress reports (the first and last always go)
MAX_LINE = 10_000  # longer log lines are cut


def make_task(
    step: Step | Mapping[str, Any],
    inputs: Mapping[str, Mapping[str, str] | None],
    *,
    run_id: str,
    attempt: int,
    store: str | os.PathLike[str],
    datasets: str | None = None,
    workdir: str | os.PathLike[str] | None = None,
    min_free: int = 0,
) -> dict[str, Any]:
    """Build the plain-data task for `run_step` (a step as a Step or its `task_form`; inputs as
    in cache.Decision.inputs); the step fails rather than store outputs that would leave less
    than `min_free` bytes of a folder store's disk free."""
    return {
        "run_id": run_id,
        "attempt": attempt,
        "step": step.task_form() if isinstance(step, Step) else dict(step),
        "inputs": {k: None if v is None else dict(v) for k, v in inputs.items()},
        "store": os.fspath(store),
        "datasets": datasets,
        "workdir": None if workdir is None else os.fspath(workdir),
        "min_free": min_free,
    }


def no_report(kind: str, data: dict[str, Any]) -> None:
    """The `report` of a caller that wants no logs or progress."""
    return None


_stores: dict[tuple[str, int], ArtifactStore] = {}
_implementations: dict[str, tuple[str, Callable[..., Any]]] = {}


def _store(root: str, min_free: int) -> ArtifactStore:
    key = (root, min_free)
    if key not in _stores:
        _stores[key] = open_store(root, min_free=min_free)
    return _stores[key]


class _NoDatasets:
    """The dataset store of a run that has none: every use fails the step."""

    def read(self, name: str, version: str | None = None) -> tuple[Path, str]:
        raise StepError("no dataset store is configured for this run")

    def write(self, name: str, parquet_path: Path, description: str = "") -> str:
        raise StepError("no dataset store is configured for this run")


class _StepDatasets:
    """A step's view of the dataset store: what it writes is recorded as its run's and node's."""

    def __init__(self, store: StoredDatasets, writer: Mapping[str, str]):
        self._store, self._writer = store, writer

    def read(self, name: str, version: str | None = None) -> tuple[Path, str]:
        return self._store.read(name, version)

    def write(self, name: str, parquet_path: Path, description: str = "") -> str:
        return self._store.write(name, parquet_path, description, writer=self._writer)


def _datasets(store: ArtifactStore, space: str | None, writer: Mapping[str, str]) -> DatasetStore:
    if space is None:
        return _NoDatasets()
    return _StepDatasets(StoredDatasets(store, space), writer)


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
        lines = [clipped(line, MAX_LINE) for line in done.split("\n")]
        self.report("log", {"stream": self.stream, "lines": lines})
        return len(text)

    def flush(self) -> None:
        with self.lock:
            rest, self.buffer = self.buffer, ""
        if rest:
            self.report("log", {"stream": self.stream, "lines": [clipped(rest, MAX_LINE)]})

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("captured stream has no file descriptor")

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)


class _StepView:
    """What a worker needs of a plan step, read straight from its dict (no re-validation)."""

    __slots__ = (
        "deterministic", "digest", "implementation", "key", "label", "module", "outputs", "params"
    )  # fmt: skip

    def __init__(self, data: Mapping[str, Any]):
        self.key: str = data["key"]
        self.module: str = data["module"]
        self.implementation: str = data["implementation"]
        self.digest: str = data["implementation_digest"]
        text = data.get("params_json")
        if text is None:  # a task queued before the task form (kept in Redis across an upgrade)
            text = json.dumps(data["params"])
        self.params: dict[str, Any] = json.loads(text)  # its own copy
        self.label: str = data.get("label", "")
        self.deterministic: bool = data.get("deterministic", True)  # absent from older tasks
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
        writer = {"run": task["run_id"], "node": step.key, "label": step.label or step.key}
        self.datasets: DatasetStore = _datasets(store, task.get("datasets"), writer)
        self.run_id: str = task["run_id"]
        self.attempt: int = task["attempt"]
        self._step = step
        self._inputs: Mapping[str, Any] = task["inputs"]
        self._cache: dict[str, Any] = {}
        self._tables: list[Any] = []  # what input frames are built over (held.frame_over)
        self.seen: dict[str, Any] = recent_tables.watch(Parents())  # recipes' parents
        self.hints: dict[str, Hint] = {}  # output port -> what the module said it derives from
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
                value = load_provisional(self._store, ref["pending"], self._tables, self.seen)
            except ProvisionalMissing:
                self.provisional_missing = True
                raise
        else:  # "reused": its step was reused by this run, so likely by the next (held.py)
            lasting = "reused" in ref
            value = load_input(
                self._store, ref["digest"], ref["kind"], self._tables, self.seen, lasting
            )
        self._cache[port] = value
        return value

    def log(self, message: str) -> None:
        lines = [clipped(x, MAX_LINE) for x in str(message).splitlines()] or [""]
        self._report("log", {"stream": "log", "lines": lines})

    def progress(self, value: float, maximum: float | None = None) -> None:
        now = time.monotonic()
        final = maximum is not None and value >= maximum
        if self._last_progress and not final and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        self._report("progress", {"value": value, "max": maximum})

    def rows_of(self, output: str, source: str, positions: Any) -> None:
        import numpy as np

        self._hint(output, source, rows=np.asarray(positions, dtype="int64"))

    def rescaled(
        self, output: str, source: str, columns: Mapping[str, tuple[float, float]]
    ) -> None:
        self._hint(
            output, source, rescaled={str(c): (float(a), float(b)) for c, (a, b) in columns.items()}
        )

    def _hint(self, output: str, source: str, **said: Any) -> None:
        ref = self._inputs.get(source)
        if ref is None:
            return
        key = ref["pending"] if "pending" in ref else ref["digest"]
        known = self.hints.get(output)
        self.hints[output] = (
            replace(known, **said) if known and known.source == key else Hint(key, **said)
        )

    def artifact(self, digest: str, kind: str) -> Any:
        # its table, like an input's, may be what an output is kept as a recipe over
        return load_input(self._store, digest, kind, self._tables, self.seen)


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
class Ran:
    """A module that returned: what it returned, when, and how to clean up after it."""

    step: _StepView
    store: ArtifactStore
    returned: Any
    started: float
    finished: float
    workdir: Path
    scratch: bool
    inputs: dict[str, Any] = field(default_factory=dict)  # WorkerContext.seen
    hints: dict[str, Hint] = field(default_factory=dict)  # WorkerContext.hints

    def cleanup(self) -> None:
        if self.scratch:
            _clear_scratch(self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def call(
    task: Mapping[str, Any],
    report: Report,
    *,
    capture_output: bool,
    chdir: bool,
    scratch: str | os.PathLike[str] | None,
) -> Ran | dict[str, Any]:
    """Run the module of `task`: a Ran (clean it up after storing), or a failure result."""
    started = time.time()
    step = _StepView(task["step"])
    store = _store(task["store"], task.get("min_free") or 0)
    if scratch is not None:
        workdir = scratch if isinstance(scratch, Path) else Path(scratch)  # no re-parse per step
        _clear_scratch(workdir)
    else:
        workdir = Path(tempfile.mkdtemp(prefix=f"step-{_safe(step.key)}-", dir=task.get("workdir")))
    ran = Ran(step, store, None, started, started, workdir, scratch is not None)
    try:
        requirements.check(task["step"].get("environment", {}).get("requirements", ()))
    except StepError as exc:
        ran.cleanup()
        return failure(exc, started, retryable=False)
    try:
        func = load(step.implementation, step.digest)
    except Exception as exc:
        ran.cleanup()
        return failure(exc, started, retryable=False, prefix="cannot load the implementation: ")
    ctx = WorkerContext(step, task, workdir, report, store)
    ran.inputs, ran.hints = ctx.seen, ctx.hints
    old_cwd = os.getcwd() if chdir else None
    failed: dict[str, Any] | None = None
    try:
        if chdir:
            os.chdir(workdir)
        if capture_output:
            with _captured(report):
                ran.returned = func(ctx)
        else:
            ran.returned = func(ctx)
    except (StepError, ArtifactError, DiskNearlyFull) as exc:
        failed = failure(exc, started, retryable=False)
    except Exception as exc:
        failed = failure(exc, started, retryable=True)
    except BaseException:  # SystemExit (Celery's pool gets SIGTERM as one), KeyboardInterrupt:
        # the process ends, never runs on with what it was importing half-imported (user code
        # is in the sandbox, where exit() ends only that process)
        ran.cleanup()
        raise
    finally:
        if old_cwd is not None:
            os.chdir(old_cwd)
    if ctx.provisional_missing:  # whatever the module made of it, its input was not there
        failed = _provisional_missing(started)
    if failed is not None:
        ran.cleanup()
        return failed
    ran.finished = time.time()
    return ran


def _provisional_missing(started: float) -> dict[str, Any]:
    failed = failure(ProvisionalMissing("a speculative input is gone"), started, retryable=True)
    failed["provisional_missing"] = True
    return failed


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
    ran = call(
        task, report or no_report, capture_output=capture_output, chdir=chdir, scratch=scratch
    )
    if isinstance(ran, dict):
        return ran
    try:
        return stored_result(
            lambda: {"outputs": store_outputs(ran)},
            ran.started,
            ran.finished,
        )
    finally:
        ran.cleanup()


def stored_result(
    store: Callable[[], dict[str, Any]], started: float, finished: float
) -> dict[str, Any]:
    """A step's result once `store()` stored its outputs (it returns "outputs" and any other
    result fields), or the failure it raised."""
    try:
        fields = store()
    except Exception as exc:
        return storing_failure(exc, started)
    fields["outputs_json"] = canonical_json(fields["outputs"])
    return {"status": "succeeded", **fields, "started_at": started, "finished_at": finished}


def storing_failure(exc: Exception, started: float) -> dict[str, Any]:
    """The result of a step whose outputs could not be stored: a user error is not retried, nor
    a disk nearly full (a retry soon after would find it so)."""
    if isinstance(exc, (StepError, OutputTypeError, DiskNearlyFull)):
        return failure(exc, started, retryable=False)
    return failure(exc, started, retryable=True, prefix="storing outputs failed: ")


def _empty(folder: Path) -> bool:
    """Remove everything inside `folder`; create it if gone. True when it held nothing."""
    try:
        entries_iter = os.scandir(folder)
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
        return False
    found = False
    with entries_iter as entries:
        for entry in entries:
            found = True
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    return not found


# scratch directory -> its mtime when it was last found empty, that mtime being SETTLED_NS old
# then: any entry made or removed since has moved its mtime (to at least the time of that scan)
_seen_empty: dict[str, int] = {}
SETTLED_NS = 50_000_000


def _clear_scratch(folder: Path) -> None:
    """Empty a worker's scratch directory before and after each step: one stat when nothing
    was made or removed in it since it was last found empty, a scan otherwise (decision 0037)."""
    key = os.fspath(folder)
    try:
        mtime: int | None = os.stat(key).st_mtime_ns
    except OSError:
        mtime = None
    if mtime is not None and _seen_empty.get(key) == mtime:
        return
    _seen_empty.pop(key, None)
    if _empty(folder) and mtime is not None and time.time_ns() - mtime > SETTLED_NS:
        _seen_empty[key] = mtime


# Writes tables to the store (mostly waiting on the disk) while the step's thread summarizes
# them and encodes the next output; its thread starts on first use.
writer = ThreadPoolExecutor(1, thread_name_prefix="artifact-writer")


def keep_summary(store: ArtifactStore, digest: str, summary: dict[str, Any]) -> None:
    """Store a summary beside its object; an OSError is ignored."""
    with contextlib.suppress(OSError):  # a summary is derived data: never fail a step on it
        store.put_summary(digest, summary)


def checked(step: _StepView, returned: Any) -> Mapping[str, Any]:
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


# An output table up to this size (Arrow bytes) is encoded in memory, in pyarrow's own buffer:
# streamed into the store, the encoder calls back into Python for every page, and each call
# waits for the GIL while the next step's module holds it (decision 0113).
SMALL_TABLE_BYTES = 4 << 20


@dataclass(frozen=True)
class EncodedTable:
    """A small table's Parquet bytes, encoded in memory: their digest, and whether the store
    holds them already (then nothing is written)."""

    data: Any  # a pyarrow Buffer
    digest: str
    held: bool


def encode_small(store: ArtifactStore, table: Any) -> EncodedTable | None:
    """A table's Parquet bytes in memory when it is small (SMALL_TABLE_BYTES), else None (a big
    table's bytes are streamed into the store, never whole in memory)."""
    if table.nbytes > SMALL_TABLE_BYTES:
        return None
    data = table_to_parquet(table)
    digest = sha256_hex(data)
    return EncodedTable(data, digest, store.holds(digest, data.size))


def write_table(
    store: ArtifactStore,
    frame: Any,
    table: Any,
    pending: list[Future[Any]],
    derivation: Derivation | None = None,
    summary: dict[str, Any] | None = None,
    encoded: EncodedTable | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store a table's Parquet durably (bytes, or a recipe), and its summary (`summary`, when
    made already) unless identical bytes have one stored; return its output record and whether
    it is exact.

    A small table's bytes are encoded in memory (`encoded`, or here) and written, with its
    summary, in this thread, and only when the store does not hold them already. A big
    table's go to a temp file as they are encoded (hashed on the way), never whole in memory,
    and are committed on the writer thread (into `pending`) while this one summarizes.
    The Arrow table is kept for this process's readers when the bytes decode to exactly it
    (exact). An exact table with a `derivation` (`derive_outputs`) is kept as a recipe over its
    parent instead of its bytes (engine/derived.py).
    """
    if encoded is None:
        encoded = encode_small(store, table)
    if encoded is None:
        digest, size, exact = _write_streamed(store, table, pending, derivation)
    else:
        digest, size, exact = _write_small(store, table, encoded, derivation)
    stored = store.summary(digest)
    if stored is None:
        summary = summarize_frame(frame) if summary is None else summary
        if encoded is None:
            pending.append(writer.submit(keep_summary, store, digest, summary))
        else:
            keep_summary(store, digest, summary)
    else:
        summary = stored
    if exact:
        recent_tables.put(digest, table)
    return {"digest": digest, "kind": KIND_PARQUET, "size": size, "summary": summary}, exact


def _write_small(
    store: ArtifactStore, table: Any, encoded: EncodedTable, derivation: Derivation | None
) -> tuple[str, int, bool]:
    """Store a small table's bytes (or its recipe) durably unless the store holds them, here:
    a hop to the writer thread would cost more than it overlaps. Its digest, size and whether
    it is exact."""
    exact = stored_schema_matches(table, encoded.data)
    if not encoded.held:
        derived = _with_patch(store, derivation) if exact and derivation else None
        if derived is None:
            store.put(encoded.data, encoded.digest)
        else:
            _commit_recipe(store, encoded.digest, *derived)
    return encoded.digest, encoded.data.size, exact


def _write_streamed(
    store: ArtifactStore, table: Any, pending: list[Future[Any]], derivation: Derivation | None
) -> tuple[str, int, bool]:
    """Stream a table's Parquet into a temp file of the store and queue its commit (as bytes,
    or as a recipe); its digest, size and whether it is exact."""
    written = store.write(lambda sink: write_parquet(table, sink))
    try:
        exact = stored_schema_matches(table, written.path)
        derived = _with_patch(store, derivation) if exact and derivation else None
    except BaseException:
        store.discard(written)
        raise
    if derived is None:
        pending.append(writer.submit(store.commit, written))
    else:
        pending.append(writer.submit(_recipe_instead, store, written, *derived))
    return written.digest, written.size, exact


def derive_outputs(
    store: ArtifactStore,
    tables: Mapping[str, Any],
    seen: dict[str, Any],
    hints: Mapping[str, Hint],
) -> dict[str, Derivation]:
    """How each output table (by port) derives from one of the step's stored input tables
    (`seen`, `hints`: what its context recorded), where one saves enough. Run it before
    storing, so the input tables can be let go of early."""
    if not tables:
        return {}
    parents = stored_parents(store, seen)
    if not parents:
        return {}
    tables_by_digest = dict(parents.values())
    found: dict[str, Derivation] = {}
    for port, table in tables.items():
        hint = hints.get(port)
        if hint is not None:
            hint = replace(hint, source=parents[hint.source][0]) if hint.source in parents else None
        derivation = derive(table, tables_by_digest, hint)
        if derivation is not None:
            found[port] = derivation
    return found


def _with_patch(
    store: ArtifactStore, derivation: Derivation
) -> tuple[Derivation, Written | None] | None:
    """A derivation with its patch streamed into a temp file of the store; None when the patch
    would not read back exactly."""
    if derivation.patch is None:
        return derivation, None
    patch = derivation.patch
    written = store.write(lambda sink: write_parquet(patch, sink))
    try:
        if stored_schema_matches(patch, written.path):
            return derivation, written
    except BaseException:
        store.discard(written)
        raise
    store.discard(written)
    return None


def _commit_recipe(
    store: ArtifactStore, digest: str, derivation: Derivation, patch: Written | None
) -> str:
    """Keep a table as a recipe under its digest: its patch stored durably, then the recipe
    (nothing new when the table is stored already)."""
    try:
        if store.exists(digest):
            return digest
        patch_digest = None if patch is None else store.commit(patch)
        store.put_recipe(digest, derivation.recipe(patch_digest).to_json())
        return digest
    finally:
        if patch is not None:
            store.discard(patch)


def _recipe_instead(
    store: ArtifactStore, written: Written, derivation: Derivation, patch: Written | None
) -> str:
    """Keep a table streamed into a temp file as a recipe; its own bytes are dropped."""
    try:
        return _commit_recipe(store, written.digest, derivation, patch)
    finally:
        store.discard(written)


def write_export(store: ArtifactStore, prepared: Prepared, pending: list[Future[Any]]) -> None:
    """Queue the durable write of the portable copy an output's summary names, if it has one."""
    if prepared.export is not None:
        pending.append(writer.submit(store.put, prepared.export))


def store_outputs(ran: Ran) -> dict[str, Any]:
    """Encode and store every output of a module durably; their records by port."""
    step, store = ran.step, ran.store
    returned = checked(step, ran.returned)
    outputs: dict[str, Any] = {}
    pending: list[Future[Any]] = []
    for port, _ in step.outputs:
        if port not in returned:
            raise OutputTypeError(f"module {step.module} returned no value for output `{port}`")
    tables = {
        port: output_table(returned[port], port)
        for port, port_type in step.outputs
        if stored_as_table(returned[port], port_type, port)
    }
    keep_big_inputs(ran.inputs, tables.values())
    # small tables are encoded first: one whose bytes the store holds needs no derivation
    encoded = {port: encode_small(store, table) for port, table in tables.items()}
    new = {
        port: table
        for port, table in tables.items()
        if (known := encoded[port]) is None or not known.held
    }
    # every other output is encoded (and checked against its port's bounds) before anything
    # is stored: an output refused stores none of the step's
    values = {
        port: prepare(returned[port], port_type, port)
        for port, port_type in step.outputs
        if port not in tables
    }
    derivations = derive_outputs(store, new, ran.inputs, ran.hints)
    ran.inputs = recent_tables.lasting_among(ran.inputs)  # the others are not needed
    try:
        for port, _ in step.outputs:
            if port in tables:
                derivation = derivations.get(port)
                table, known = tables[port], encoded[port]
                outputs[port] = write_table(
                    store, returned[port], table, pending, derivation, encoded=known
                )[0]
                continue
            prepared = values.pop(port)
            digest = store.put(prepared.data)
            write_export(store, prepared, pending)
            outputs[port] = {
                "digest": digest,
                "kind": prepared.kind,
                "size": prepared.size,
                "summary": prepared.summary(),
            }
    finally:
        wait(pending)  # every write has ended (durably, or failed) before the step reports
    for future in pending:
        future.result()  # a failed write fails the step
    return outputs


# characters of a failed step's error, and of its traceback: it travels in the step's events,
# the run's record and every answer showing the step (decision 0099)
MAX_ERROR_CHARS = 20_000


def start_and_end(text: str) -> str:
    """`text`, or past MAX_ERROR_CHARS its start and its end (where a traceback's last frames
    and line are) around a line saying how much was cut."""
    if len(text) <= MAX_ERROR_CHARS:
        return text
    half = MAX_ERROR_CHARS // 2
    return f"{text[:half]}\n… {len(text) - 2 * half:,} characters cut …\n{text[-half:]}"


def failure(
    exc: BaseException, started: float, *, retryable: bool, prefix: str = ""
) -> dict[str, Any]:
    """The failure result of a step for `exc` (its traceback unless it is a user error), each
    text cut to its start and end past MAX_ERROR_CHARS."""
    user = isinstance(exc, (StepError, OutputTypeError, ArtifactError, DiskNearlyFull))
    message = str(exc) if user else f"{type(exc).__name__}: {exc}"
    return {
        "status": "failed",
        "error": start_and_end(prefix + message),
        "error_type": type(exc).__name__,
        "param": getattr(exc, "param", None),
        "port": getattr(exc, "port", None),
        "traceback": None if user else start_and_end("".join(traceback.format_exception(exc))),
        "retryable": retryable,
        "started_at": started,
        "finished_at": time.time(),
    }
