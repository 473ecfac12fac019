"""LocalRunner: a pool of warm worker processes on this machine.

Each worker is a separate interpreter (never the caller's process) started once and reused
for many steps, so the cost of importing pandas / scikit-learn is paid once per worker, not
per step. Each worker is the leader of its own session and process group: killing a step
(cancel, timeout) kills the group — the worker and anything the step started — and the pool
starts a replacement.

Parent ⇄ worker traffic goes over one socket pair per worker (multiprocessing Connection's
framing, pickled tuples): tasks down; ("log" | "progress" | "done", task_id, data) up. The
worker's file descriptors 1 and 2 are pipes the parent reads too, so output of subprocesses and
C code reaches the step's log. The parent blocks in one poll over every socket and pipe (plus
the executor's wake fds) and then drains each ready socket in one read (channel.py): no polling
intervals, no per-step sleeps, no per-step process spawn.

A task goes to the idle worker that most recently stored or loaded most of its inputs (it may
still hold them decoded: held.recent_tables), else to the first idle one. When every worker is
busy, up to ``prefetch`` more tasks are sent ahead into a busy worker's socket (one per worker,
two to a worker whose last task took under SHORT_TASK), so that the worker starts its next task
the moment it finishes one, without a round trip through the executor; ``submit`` then returns
False and a ("started", task_id) message follows when the worker takes it (the runner knows the
moment: the worker reported "computed" or "done" of the task before it). A task that finds no
room in any line stays in the runner and goes, oldest first, to the first worker with room (at
the message that frees it). Such a queued task is never a speculative one; a speculative task
whose inputs are the outputs of the task a worker runs (or has last in its line) is sent to wait
behind that task, and reads those outputs from the worker's memory when it takes it. A queued
task lost with its worker (killed, died) never started: the next `wait` sends it again, to the
replacement. A task sent cannot be taken back,
so killing one that waits in a worker stops that worker, and the task running there fails as
"collateral" (the executor kills waiting tasks only when it stops the whole run).

Staged tasks (``task["stage"]``, set by the executor): the worker reports ("computed", task_id,
{"outputs": {port: {"pending": token, "kind"}}}) as soon as the module returned and its outputs
are held in memory, takes the next task at once, and stores the outputs on a storage thread,
reporting "done" when they are durable. A step whose tables would take the tables the worker
holds waiting to be stored beyond ``storing_bytes`` (or beyond STORING_LIMIT steps) waits for
the steps before it to be stored before it reports "computed" (decision 0034). A step that
returned no DataFrame while nothing else is being stored is stored at once instead (a plain
"done": the hand-off would cost more). A worker is idle when no task is in its main thread,
even while it stores others' outputs; a task whose inputs name pending tokens goes to the
worker that holds them (``placeable`` says whether it is idle), or waits behind the task
that makes them. Every output is held under its token once its module returned, a small one
already stored too (as its digest: read from the store, as any stored input). When a worker
dies or is killed, every task it still had gets a "done" failure; tasks that only lost their
storage to another task's crash or kill say ``"collateral": true``.

Workers get a clean environment (a short allow-list plus PYTHONPATH so they import what the
caller can, PYTHONHASHSEED=0 so set/dict order of strings is reproducible, which helps early
cutoff, and BLAS/OpenMP pools sized for every CPU unless the caller set a number), and stop on
their own when the parent process goes away. Each task carries its thread budget (threads.py):
every CPU for a step that starts alone, a share when other workers are busy or a storage thread
encodes a staged step's tables (its own worker's included).

With a ``memory_limit``, a thread of the runner looks at each worker's resident memory every
memory.POLL_SECONDS and kills a worker past it: the step in its main thread fails as out of
memory (not retried: it would run out again), the steps it was storing are run again, and a
new worker takes its place.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from designer.engine import memory
from designer.engine.artifacts import KIND_PARQUET
from designer.engine.runners.base import RunnerMessage
from designer.engine.runners.channel import Channel
from designer.engine.threads import THREAD_VARIABLES, cpus, share

ENV_ALLOW = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_NUMERIC",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
    "VIRTUAL_ENV",
)
# the locale, and the numeric libraries' settings (threads, and which kernels: OPENBLAS_CORETYPE,
# MKL_CBWR, NPY_DISABLE_CPU_FEATURES…) as the server has them: a model scores to the same bits
# in a worker as in the server's real-time scoring
ENV_ALLOW_PREFIXES = ("LC_", "OPENBLAS_", "MKL_", "OMP_", "NPY_")
_WORKER_CODE = "from designer.engine.runners.local import worker_main; worker_main()"
RECENT_DIGESTS = 64  # how many artifact digests the runner remembers per worker
WORKERS_VARIABLE = "DESIGNER_WORKER_POOL_SIZE"  # how many workers the runner keeps, for them
PROVISIONAL_LIMIT = 64  # as held.PROVISIONAL_LIMIT (not imported: the parent stays light)
# Tasks sent ahead to a busy worker (pipelining: decision 0037): one, or two while its last task
# took less than SHORT_TASK seconds (the round trip a second one saves is then a large part of a
# step; a longer step would hold a second one back from a worker that frees sooner).
QUEUE_DEPTH = 2
SHORT_TASK = 0.005
STORING_LIMIT = 4  # staged steps with tables not yet encoded a worker holds before it waits
# Bytes of tables (Arrow) a worker holds waiting to be encoded for the store: a step whose
# tables would go beyond waits, before it reports "computed", until the steps before it are
# encoded (decision 0034; their durable writes may still run, 0103), so that a worker never
# holds several big tables in flight beside the next step's data. A step's own tables are held
# whatever their size when nothing else waits.
STORING_BYTES = 256 * 1024 * 1024
# Staged steps with small outputs only, stored at once on as many threads: their fsyncs overlap,
# and the file system commits them together (4 concurrent durable writes: ~0.4 ms each here,
# one at a time: 2-5 ms; decision 0037).
SMALL_STORING_LIMIT = 8
# A worker's main thread (module code: many short GIL releases in numpy/pandas) and its storage
# thread (summaries: Python + small numpy calls) share the GIL; with the default 5 ms interval
# the main thread waits up to 5 ms for it after each release (a convoy). 0.5 ms keeps that short.
SWITCH_INTERVAL = 0.0005


def pending_tokens(task: Mapping[str, Any]) -> list[str]:
    """The in-memory outputs (tokens) a task's inputs name."""
    refs = (task.get("inputs") or {}).values()
    return [ref["pending"] for ref in refs if ref and "pending" in ref]


def _lost(error: str, *, collateral: bool) -> dict[str, Any]:
    return {
        "status": "failed",
        "error": error,
        "error_type": "WorkerDied",
        "traceback": None,
        "retryable": True,
        "collateral": collateral,
        "started_at": None,
        "finished_at": time.time(),
    }


def worker_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a worker: allow-listed variables only (no secrets), importable paths."""
    env = {
        k: v for k, v in os.environ.items() if k in ENV_ALLOW or k.startswith(ENV_ALLOW_PREFIXES)
    }
    paths = [p or os.getcwd() for p in sys.path]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if os.path.isdir(p)))
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


class _Worker:
    def __init__(self, python: str, env: dict[str, str], cwd: str | None):
        parent_sock, child_sock = socket.socketpair()
        child_fd = child_sock.fileno()
        self.scratch = tempfile.mkdtemp(prefix="designer-worker-")
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [python, "-c", _WORKER_CODE, str(child_fd), self.scratch, str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=err_w,
                pass_fds=(child_fd,),
                env=env,
                cwd=cwd,
                start_new_session=True,  # own session + process group: killpg reaches children
                close_fds=True,
            )
        finally:
            child_sock.close()
            os.close(out_w)
            os.close(err_w)
        self.conn = Channel(parent_sock)
        os.set_blocking(out_r, False)
        os.set_blocking(err_r, False)
        self.out_fd = out_r
        self.err_fd = err_r
        self.pipes = select.poll()  # whether its pipes hold output, in one call (_read_conn)
        for pipe in (out_r, err_r):
            self.pipes.register(pipe, select.POLLIN)
        self.task_id: str | None = None
        self.partial = {"stdout": "", "stderr": ""}
        self.decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in self.partial}
        self.closed = False
        self.recent: OrderedDict[str, None] = OrderedDict()  # digests it stored or loaded
        self.inflight: dict[str, None] = {}  # every task not done yet, oldest first
        self.tokens: OrderedDict[str, None] = OrderedDict()  # outputs it holds in memory
        self.queue: deque[tuple[str, dict[str, Any]]] = deque()  # sent ahead, not started yet
        self.storing: set[str] = set()  # staged steps whose tables it encodes and stores
        self.since = 0.0  # when the task in its main thread started there (monotonic)
        self.short = False  # whether the last task it finished in its main thread was short
        self.over = False  # killed by the memory watch: past the runner's memory_limit

    def flush(self) -> None:
        """Send the tasks posted to it (a dead worker is reported by wait(): EOF)."""
        if self.conn.posted:
            with contextlib.suppress(OSError):
                self.conn.flush()

    @property
    def room(self) -> bool:
        """Whether one more task may wait in its line (a second one only after a short task)."""
        return len(self.queue) < (QUEUE_DEPTH if self.short else 1)

    @property
    def idle(self) -> bool:
        """No task in its main thread and none sent ahead."""
        return self.task_id is None and not self.queue

    def saw(self, digests: Iterable[str]) -> None:
        """Remember artifacts this worker just loaded or stored (newest last, bounded)."""
        for digest in digests:
            self.recent[digest] = None
            self.recent.move_to_end(digest)
        while len(self.recent) > RECENT_DIGESTS:
            self.recent.popitem(last=False)

    def hold(self, tokens: Iterable[str]) -> None:
        """Remember outputs this worker holds in memory (as many as it keeps, newest last)."""
        for token in tokens:
            self.tokens[token] = None
            self.tokens.move_to_end(token)
        while len(self.tokens) > PROVISIONAL_LIMIT:
            self.tokens.popitem(last=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        """Kill the worker's whole process group and reap the worker."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()
        self.close_fds()

    def close_fds(self) -> None:
        if self.closed:
            return
        self.closed = True
        shutil.rmtree(self.scratch, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.conn.close()
        for fd in (self.out_fd, self.err_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class LocalRunner:
    """Runs step tasks in `workers` warm processes; see the module docstring.

    `preload` names modules every worker imports when it starts (e.g. "pandas", "sklearn"),
    so the first step does not pay for them. `memory_limit` (bytes) caps each worker's resident
    memory (see the module docstring). `storing_bytes` bounds the tables each worker holds
    waiting to be stored (default STORING_BYTES). Workers start on first use (or `start()`),
    and are replaced when killed or dead.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        preload: Sequence[str] = (),
        memory_limit: int | None = None,
        storing_bytes: int | None = None,
        env: Mapping[str, str] | None = None,
        python: str | None = None,
        cwd: str | None = None,
    ):
        self.size = max(1, workers or os.cpu_count() or 1)
        self.python = python or sys.executable
        extra = dict(env or {})
        if preload:
            extra["DESIGNER_WORKER_PRELOAD"] = ",".join(preload)
        self.memory_limit = int(memory_limit) if memory_limit else None
        if self.memory_limit:
            extra[memory.LIMIT_VARIABLE] = str(self.memory_limit)
        if storing_bytes is not None:
            extra["DESIGNER_WORKER_STORING_BYTES"] = str(int(storing_bytes))
        extra[WORKERS_VARIABLE] = str(self.size)  # what each worker's table cache is sized by
        # BLAS/OpenMP threads: unless the caller chose a number, pools are made for every CPU
        # and each task gets its share by load (threads.py): a step alone uses every CPU,
        # parallel steps split them (OpenBLAS's spinning threads, one per CPU in every worker,
        # had doubled module time with two workers on two CPUs: decision 0007).
        self.cpus = cpus()
        self.budget = not any(name in extra or name in os.environ for name in THREAD_VARIABLES)
        if self.budget:
            extra.update(dict.fromkeys(THREAD_VARIABLES, str(self.cpus)))
        self.env = worker_environment(extra)
        self.cwd = cwd
        self._workers: list[_Worker] = []
        self._by_task: dict[str, _Worker] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._poller = select.poll()
        self._polled: set[int] = set()
        self._handles: dict[int, tuple[_Worker, str]] = {}
        self._poll_key: tuple[int, tuple[int, ...]] | None = None
        self._generation = 0  # bumped whenever the set of workers (and so of fds) changes
        self._queued: list[RunnerMessage] = []  # failures of tasks lost with a killed worker
        # tasks in no worker yet: they waited in a worker now gone, or found no room in a line
        self._unsent: dict[str, dict[str, Any]] = {}
        self._watch: threading.Thread | None = None

    @property
    def capacity(self) -> int:
        return self.size

    @property
    def prefetch(self) -> int:
        """How many tasks beyond `capacity` may be submitted: they wait in busy workers."""
        return self.size * QUEUE_DEPTH

    def start(self) -> None:
        """Start any missing workers (they warm up in the background)."""
        if len(self._workers) >= self.size and not self._closed:
            return  # every worker is there (the check each submit and wait makes)
        with self._lock:
            if self._closed:
                raise RuntimeError("this LocalRunner is closed")
            while len(self._workers) < self.size:
                self._workers.append(_Worker(self.python, self.env, self.cwd))
                self._generation += 1
            if self.memory_limit and self._watch is None:
                self._watch = threading.Thread(
                    target=self._watch_memory, args=(self.memory_limit,), daemon=True
                )
                self._watch.name = "worker-memory"
                self._watch.start()

    def _watch_memory(self, limit: int) -> None:
        """Kill each worker whose resident memory is past `limit` (the runner's wait reports
        its tasks: _replace_dead)."""
        while not self._closed:
            time.sleep(memory.POLL_SECONDS)
            for worker in list(self._workers):
                if worker.closed or worker.over:
                    continue
                used = memory.resident(worker.pid)
                if used is not None and used > limit:
                    worker.over = True
                    worker.proc.send_signal(signal.SIGKILL)  # not once reaped (its pid reused)

    def pids(self) -> list[int]:
        """Process ids of the current workers."""
        return [w.pid for w in self._workers]

    def submit(self, task_id: str, task: Mapping[str, Any]) -> bool:
        """Start a task on an idle worker (True), or send it ahead to a busy one (False: a
        "started" message follows when that worker takes it). A task that finds no room in a
        line is kept here and sent by a later `wait` when a worker has room."""
        self.start()
        tokens = pending_tokens(task)
        if tokens:
            worker = self._reader(tokens)
            if worker is None:
                raise RuntimeError("no worker holds this task's inputs or runs what makes them")
        else:
            found = self._pick(task)
            if found is None:
                lined = len(self._unsent) + sum(len(w.queue) for w in self._workers)
                if lined >= self.prefetch:
                    raise RuntimeError("the executor submitted beyond capacity and prefetch")
                self._unsent[task_id] = dict(task)
                return False
            worker = found
        return self._send(worker, task_id, dict(task))

    def _pick(self, task: Mapping[str, Any]) -> _Worker | None:
        """An idle worker, else one with room in its line: the least queued, then the one that
        saw most of the task's inputs (the first on ties)."""
        inputs = [ref["digest"] for ref in (task.get("inputs") or {}).values() if ref]
        idle = [w for w in self._workers if w.idle]
        roomy = idle or [w for w in self._workers if w.room]
        if not roomy:
            return None
        if len(roomy) == 1:
            worker = roomy[0]
        else:
            worker = max(roomy, key=lambda w: (-len(w.queue), sum(d in w.recent for d in inputs)))
        worker.saw(inputs)
        return worker

    def _send(self, worker: _Worker, task_id: str, sent: dict[str, Any]) -> bool:
        """Hand a task to a worker: it starts now when the worker is idle, else waits in line."""
        self._by_task[task_id] = worker
        if self.budget:  # steps in main threads, and storage threads encoding tables (0027)
            running = sum((w.task_id is not None) + bool(w.storing) for w in self._workers)
            sent["threads"] = share(self.cpus, running + worker.idle)
            if not worker.idle and not worker.storing:  # its worker may store the tables of
                # the task before it when it takes it: then that counts too (the worker knows)
                sent["threads_storing"] = share(self.cpus, running + 1)
        started = worker.idle
        with contextlib.suppress(OSError):  # a dead worker is reported by wait() (EOF)
            if started:  # now (after any posted ahead of it)
                worker.task_id = task_id
                worker.inflight[task_id] = None
                worker.since = time.monotonic()
                worker.conn.send((task_id, sent))
            else:  # with the loop turn's others, before the runner waits (or the worker frees)
                worker.queue.append((task_id, sent))
                worker.conn.post((task_id, sent))
        return started

    def _next(self, worker: _Worker, messages: list[RunnerMessage]) -> None:
        """The worker's main thread is free: it takes the task sent ahead to it, if any."""
        worker.task_id = None
        worker.flush()
        if worker.queue:
            task_id, _ = worker.queue.popleft()
            worker.task_id = task_id
            worker.inflight[task_id] = None
            worker.since = time.monotonic()
            messages.append(RunnerMessage("started", task_id))

    def _refill(self, messages: list[RunnerMessage]) -> None:
        """Send tasks in no worker yet (they never started), oldest first, while one has room."""
        for task_id, sent in list(self._unsent.items()):
            worker = self._pick(sent)
            if worker is None:
                break
            del self._unsent[task_id]
            if self._send(worker, task_id, sent):
                messages.append(RunnerMessage("started", task_id))

    def _holder(self, tokens: Sequence[str]) -> _Worker | None:
        for worker in self._workers:
            if all(token in worker.tokens for token in tokens):
                return worker
        return None

    def _reader(self, tokens: Sequence[str]) -> _Worker | None:
        """Where a task reading the in-memory outputs `tokens` can go now: the worker holding
        them when it is idle, else the one running the task that makes them (`_behind`)."""
        worker = self._holder(tokens)
        return worker if worker is not None and worker.idle else self._behind(tokens)

    def _behind(self, tokens: Sequence[str]) -> _Worker | None:
        """The worker that runs the one task whose outputs `tokens` name ("<task id>/<port>")
        in its main thread, or has it last in its line, if the runner's lines have room: a task
        sent there waits for it and reads those outputs from memory when it returns."""
        source = tokens[0].rpartition("/")[0]
        if any(token.rpartition("/")[0] != source for token in tokens):
            return None
        worker = self._by_task.get(source)
        if worker is None or worker.closed:
            return None
        last = worker.queue[-1][0] if worker.queue else worker.task_id
        if last != source:
            return None
        lined = len(self._unsent) + sum(len(w.queue) for w in self._workers)
        return worker if lined < self.prefetch else None

    def placeable(self, task: Mapping[str, Any]) -> bool:
        """Whether `task` could be submitted now: the worker holding its pending inputs (or, for
        a task without any, some worker) has no task in its main thread, or the inputs are
        the outputs of the task a worker runs, with nothing waiting behind it."""
        self.start()
        tokens = pending_tokens(task)
        if tokens:
            return self._reader(tokens) is not None
        return any(w.idle for w in self._workers)

    def wait(self, timeout: float | None, wake_fds: Sequence[int] = ()) -> list[RunnerMessage]:
        self.start()
        handles = self._sync_poller(wake_fds)
        messages, self._queued = self._queued, []
        self._refill(messages)
        for worker in self._workers:  # the tasks this loop turn sent ahead, in one call each
            worker.flush()
        if messages:
            timeout = 0.0
        try:
            events = self._poller.poll(None if timeout is None else max(0.0, timeout) * 1000.0)
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for safety
            events = []
        dead: list[_Worker] = []
        ready = [handles[fd] for fd, _ in events if fd in handles]
        # pipes first, so output written before a "done" is reported before it
        for worker, what in sorted(ready, key=lambda h: h[1] == "conn"):
            if worker.closed:
                continue
            if what == "conn":
                if not self._read_conn(worker, messages):
                    dead.append(worker)
            else:
                self._read_pipe(worker, what, messages, final=False)
        for worker in dead:
            self._replace_dead(worker, messages)
        return messages

    def _sync_poller(self, wake_fds: Sequence[int]) -> dict[int, tuple[_Worker, str]]:
        """Keep one poll object registered with every worker fd (+ wake fds); no per-call setup."""
        key = (self._generation, tuple(wake_fds))
        if key == self._poll_key:
            return self._handles
        handles: dict[int, tuple[_Worker, str]] = {}
        for w in self._workers:
            handles[w.conn.fileno()] = (w, "conn")
            handles[w.out_fd] = (w, "stdout")
            handles[w.err_fd] = (w, "stderr")
        wanted = set(handles) | set(wake_fds)
        for fd in self._polled - wanted:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._poller.unregister(fd)
        for fd in wanted:
            self._poller.register(fd, select.POLLIN | select.POLLPRI)
        self._polled = wanted
        self._handles = handles
        self._poll_key = key
        return handles

    def _read_conn(self, worker: _Worker, messages: list[RunnerMessage]) -> bool:
        """Handle every message the worker's socket holds; False when it has closed."""
        received, open_ = worker.conn.drain()
        for kind, task_id, data in received:
            if task_id not in worker.inflight:  # late output of a killed task
                continue
            freed = kind in ("computed", "done") and task_id == worker.task_id
            if freed:  # its main thread is done: what it wrote before this message is in a pipe
                worker.short = time.monotonic() - worker.since < SHORT_TASK
                holding = {fd for fd, _ in worker.pipes.poll(0)}
                for stream, fd in (("stdout", worker.out_fd), ("stderr", worker.err_fd)):
                    if (
                        fd in holding
                        or worker.partial[stream]
                        or worker.decoders[stream].getstate()[0]
                    ):
                        self._read_pipe(worker, stream, messages, final=True)
            if kind == "computed":
                refs = data["outputs"].values()
                worker.hold(ref["pending"] for ref in refs if "pending" in ref)
                if any(ref["kind"] == KIND_PARQUET for ref in refs):
                    worker.storing.add(task_id)
            elif kind == "done":
                worker.storing.discard(task_id)
                outputs = data.get("outputs") or {}
                worker.saw(o["digest"] for o in outputs.values())
                del worker.inflight[task_id]
                self._by_task.pop(task_id, None)
            messages.append(RunnerMessage(kind, task_id, data))
            if freed:
                self._next(worker, messages)
                if self._unsent:
                    self._refill(messages)
        return open_

    def _read_pipe(
        self, worker: _Worker, stream: str, messages: list[RunnerMessage], *, final: bool
    ) -> None:
        fd = worker.out_fd if stream == "stdout" else worker.err_fd
        chunks = []
        while True:
            try:
                chunk = os.read(fd, 65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if len(chunk) < 65536:
                break
        text = worker.partial[stream] + worker.decoders[stream].decode(b"".join(chunks), final)
        if final:
            lines, worker.partial[stream] = (text.split("\n") if text else []), ""
            if lines and lines[-1] == "":
                lines.pop()
        else:
            *lines, worker.partial[stream] = text.split("\n")
        if not lines:
            return
        if worker.task_id is None:
            sys.stderr.write("".join(f"[worker {worker.pid}] {line}\n" for line in lines))
            return
        messages.append(RunnerMessage("log", worker.task_id, {"stream": stream, "lines": lines}))

    def _replace_dead(self, worker: _Worker, messages: list[RunnerMessage]) -> None:
        for stream in ("stdout", "stderr"):
            self._read_pipe(worker, stream, messages, final=True)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(worker.pid, signal.SIGKILL)  # anything the step left running (or a worker
            # that closed its socket but lives on); an exited worker keeps its exit code
        code = worker.proc.wait()
        main = worker.task_id
        lost = list(worker.inflight)
        worker.inflight.clear()
        worker.storing.clear()
        worker.close_fds()
        self._requeue(worker)
        self._swap(worker)
        how = f"exit code {code}"
        if code < 0:
            with contextlib.suppress(ValueError):
                how = f"signal {signal.Signals(-code).name}"
        for task_id in lost:
            self._by_task.pop(task_id, None)
            if (main is None or task_id == main) and worker.over and self.memory_limit:
                # the step in its main thread (else the steps it stored) held the memory: it
                # would run out again, so it is not retried
                result = {**memory.failure(self.memory_limit), "collateral": False}
            elif main is None or task_id == main:
                result = _lost(f"the worker process died ({how})", collateral=False)
            else:
                result = _lost(
                    f"the worker process died ({how}) running another step while this step's "
                    "outputs were being stored",
                    collateral=True,
                )
            messages.append(RunnerMessage("done", task_id, result))

    def _swap(self, worker: _Worker) -> None:
        with self._lock:
            self._generation += 1
            index = self._workers.index(worker)
            if self._closed:
                del self._workers[index]
            else:
                self._workers[index] = _Worker(self.python, self.env, self.cwd)

    def _requeue(self, worker: _Worker) -> None:
        """Tasks sent ahead to a worker that is going never started: the next `wait` sends them
        again (unless they are killed before, as when the whole run is being stopped)."""
        for task_id, sent in worker.queue:
            if self._by_task.pop(task_id, None) is not None:
                self._unsent[task_id] = sent
        worker.queue.clear()

    def kill(self, task_id: str) -> None:
        if self._unsent.pop(task_id, None) is not None:
            return
        worker = self._by_task.pop(task_id, None)
        if worker is None:
            return
        for other in worker.inflight:  # staged steps whose outputs it was still storing
            if other != task_id and self._by_task.pop(other, None) is not None:
                error = "the worker process was stopped (another step on it was stopped)"
                self._queued.append(RunnerMessage("done", other, _lost(error, collateral=True)))
        worker.task_id = None
        worker.inflight.clear()
        worker.storing.clear()
        self._requeue(worker)
        worker.kill()  # a task sent ahead cannot be taken back: the worker goes, see the docstring
        self._swap(worker)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._generation += 1
            workers, self._workers = self._workers, []
        for w in workers:
            with contextlib.suppress(OSError):
                w.conn.close()  # the worker sees EOF and exits
        deadline = time.monotonic() + 2.0
        for w in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                w.proc.wait(max(0.0, deadline - time.monotonic()))
            w.kill()
        self._by_task.clear()
        self._queued.clear()
        self._unsent.clear()

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Inside the worker process


def _watch_parent(parent: int, scratch: str) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:  # the caller is gone: stop this worker and its children
            shutil.rmtree(scratch, ignore_errors=True)
            os.killpg(0, signal.SIGKILL)


class StorageRoom:
    """Staged steps with tables a worker holds waiting to be encoded for the store, bounded by
    their number and by the bytes of their tables (the first one in always fits)."""

    def __init__(self, steps: int, size: int):
        self.steps, self.size = steps, size
        self.count = 0
        self.bytes = 0
        self._changed = threading.Condition()

    def fits(self, size: int) -> bool:
        """Whether a step with `size` bytes of tables would be counted in without waiting."""
        with self._changed:
            return self._fits(size)

    def _fits(self, size: int) -> bool:
        return self.count == 0 or (self.count < self.steps and self.bytes + size <= self.size)

    def enter(self, size: int) -> None:
        """Wait until a step with `size` bytes of tables fits, then count it in."""
        with self._changed:
            self._changed.wait_for(lambda: self._fits(size))
            self.count += 1
            self.bytes += size

    def leave(self, size: int) -> None:
        """A step with `size` bytes of tables is encoded (or failed to be)."""
        with self._changed:
            self.count -= 1
            self.bytes -= size
            self._changed.notify_all()


def worker_main() -> None:
    """Entry point of a worker process (started by LocalRunner; fd of its socket in argv)."""
    fd, scratch, parent = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    conn = Channel(socket.socket(fileno=fd))
    sys.setswitchinterval(SWITCH_INTERVAL)
    threading.Thread(
        target=_watch_parent, args=(parent, scratch), daemon=True, name="parent-watch"
    ).start()
    from designer.engine.held import recent_tables

    # the runner watches the memory bound (memory.py); what a worker keeps stays well within it
    limit = os.environ.get(memory.LIMIT_VARIABLE)
    recent_tables.configure(int(os.environ.pop(WORKERS_VARIABLE)), int(limit) if limit else None)
    for name in filter(None, os.environ.pop("DESIGNER_WORKER_PRELOAD", "").split(",")):
        try:
            __import__(name)
        except Exception as exc:
            print(f"preloading {name} failed: {exc}", file=sys.stderr)
    from designer.engine.staging import Staged, stage_step
    from designer.engine.threads import ThreadBudget
    from designer.engine.worker import run_step

    budget = ThreadBudget()
    lock = threading.Lock()
    storer = ThreadPoolExecutor(1, thread_name_prefix="storage")  # staged steps with tables
    size = int(os.environ.pop("DESIGNER_WORKER_STORING_BYTES", STORING_BYTES))
    room = StorageRoom(STORING_LIMIT, size)
    small_storer = ThreadPoolExecutor(SMALL_STORING_LIMIT, thread_name_prefix="small-storage")
    small_room = threading.BoundedSemaphore(SMALL_STORING_LIMIT)
    storing = [0]  # staged steps handed to the storer and not finished (guarded by `lock`)
    scratch_dir = Path(scratch)  # parsed once, not per step

    def send(message: tuple[str, str, dict[str, Any]]) -> None:
        with lock, contextlib.suppress(OSError):
            conn.send(message)

    def finish(staged: Staged, task_id: str, release: Callable[[], None]) -> None:
        left = False

        def leave() -> None:  # once: when its tables are encoded (decision 0103), else at the end
            nonlocal left
            if not left:
                left = True
                release()

        try:
            result = staged.finish(leave)
        finally:
            with lock:
                storing[0] -= 1
            leave()
        send(("done", task_id, result))

    while True:
        try:
            task_id, task = conn.recv()
        except (EOFError, OSError):
            shutil.rmtree(scratch, ignore_errors=True)
            break

        def report(kind: str, data: dict[str, Any], task_id: str = task_id) -> None:
            send((kind, task_id, data))

        storing_tables = room.count > 0 and "threads_storing" in task
        budget.apply(task.get("threads_storing" if storing_tables else "threads"))
        common: dict[str, Any] = {"capture_output": True, "chdir": True, "scratch": scratch_dir}
        if task.get("stage"):  # small outputs go through the storer only behind other storage
            with lock:
                small = storing[0] > 0
            outcome = stage_step(task, report, token=task_id, small=small, **common)
        else:
            outcome = run_step(task, report, **common)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        if isinstance(outcome, dict):
            send(("done", task_id, outcome))
            continue
        release: Callable[[], None]
        if outcome.tables:  # the worker is busy while the tables before fill the room
            if outcome.summarize_first or not room.fits(outcome.table_bytes):
                outcome.summarize()  # before the next module (0113), or with the CPU the wait
                # leaves idle (0034)
            room.enter(outcome.table_bytes)
            send(("computed", task_id, {"outputs": outcome.refs}))
            release = functools.partial(room.leave, outcome.table_bytes)
            pool = storer
        else:
            send(("computed", task_id, {"outputs": outcome.refs}))
            small_room.acquire()  # a bounded number of steps' outputs waiting to be stored
            release, pool = small_room.release, small_storer
        with lock:
            storing[0] += 1
        pool.submit(finish, outcome, task_id, release)
