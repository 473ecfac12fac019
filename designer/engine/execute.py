"""The executor: runs a Plan on a Runner, with the cache deciding what runs, reporting events.

One thread, one loop, no polling: every step whose inputs are ready is decided at once
(reused from the cache, or queued to run), queued steps start as soon as a worker slot is
free (up to `parallelism`), and the loop sleeps in `runner.wait` until a message, a deadline
(timeout, retry backoff) or the cancel token wakes it.

Speculation (runners with ``placeable``: LocalRunner; docs/decisions/0007): tasks are staged,
so a worker reports "computed" when a step's module returned and stores its outputs while it
takes the next task. A pending step whose inputs are all stored or computed may then start on
the worker that holds them in memory, before anything about it is announced. When its upstream
steps have succeeded (outputs durable, digests known) it is decided as usual: "run" confirms
the speculative task (``step.started`` then, and its held logs, result), "reuse" discards it
(early cutoff). It is also discarded when an upstream step fails, when an in-memory input
differs from what its stored bytes decode to, or when its worker dies. Discarded tasks still in
their module keep their slot until they return, and are killed when the run ends. A step is
not speculated on when its cache entry for the upstream's previous outputs exists (early
cutoff is then likely).
"""

from __future__ import annotations

import contextlib
import heapq
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import (
    Cache,
    Decision,
    decide,
    fingerprint,
    material,
    record_reuse,
    record_success,
)
from designer.engine.cancel import CancelToken
from designer.engine.events import Event, EventType
from designer.engine.plan import Plan
from designer.engine.results import RunResult, StepResult
from designer.engine.runners.base import Runner, RunnerMessage
from designer.engine.scheduler import DONE, StepStatus, ready_steps
from designer.engine.store import ArtifactStore
from designer.engine.worker import make_task

Emit = Callable[[Event], None]
MAX_BACKOFF = 60.0


@dataclass
class _Speculation:
    """A task started before its upstream outputs were stored; nothing about it is announced."""

    task_id: str
    key: str
    sources: set[tuple[str, str]]  # (step, port) of the in-memory outputs it reads
    started: float  # time.monotonic() at submit: its timeout counts from here once confirmed
    held: list[RunnerMessage] = field(default_factory=list)  # its logs and progress
    done: dict[str, Any] | None = None  # its result, when it came before the confirmation


def _noop_emit(event: Event) -> None:
    return None


def requested_reason(plan: Plan) -> str:
    """The reason given to steps a subset plan forces to run."""
    mode, node = plan.target
    if mode == "from":
        return f"ran: requested (run from `{node}`)"
    if mode == "only":
        return f"ran: requested (run only `{node}`)"
    return "ran: requested"


def execute(
    plan: Plan,
    *,
    runner: Runner,
    cache: Cache,
    store: ArtifactStore,
    emit: Emit | None = None,
    parallelism: int | None = None,
    cancel: CancelToken | None = None,
    run_id: str | None = None,
    scope: str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    backoff: float = 0.5,
    datasets: str | os.PathLike[str] | None = None,
    workdir: str | os.PathLike[str] | None = None,
) -> RunResult:
    """Run `plan` and return what happened; progress is reported through `emit(event)`.

    - `runner` runs the tasks (e.g. runners.local.LocalRunner); `parallelism` caps how many
      steps run at once (default and maximum: the runner's capacity).
    - `cache` decides reuse (cache.NullCache bypasses it); `scope` (e.g. a graph id) keys
      the per-node history used to explain re-runs.
    - `timeout` (seconds) applies to each attempt of each step; a failed or timed-out attempt
      is retried up to `retries` times, waiting `backoff`, then twice, four times as long….
      StepError failures (user mistakes) are not retried.
    - `cancel` stops the run from another thread: running steps' process groups are killed.
    """
    return _Execution(
        plan,
        runner=runner,
        cache=cache,
        store=store,
        emit=emit or _noop_emit,
        parallelism=parallelism,
        cancel=cancel,
        run_id=run_id or uuid.uuid4().hex[:12],
        scope=scope,
        timeout=timeout,
        retries=max(0, retries),
        backoff=max(0.0, backoff),
        datasets=datasets,
        workdir=workdir,
    ).run()


class _Execution:
    """The state and the loop of one execute() call."""

    def __init__(
        self,
        plan: Plan,
        *,
        runner: Runner,
        cache: Cache,
        store: ArtifactStore,
        emit: Emit,
        parallelism: int | None,
        cancel: CancelToken | None,
        run_id: str,
        scope: str | None,
        timeout: float | None,
        retries: int,
        backoff: float,
        datasets: str | os.PathLike[str] | None,
        workdir: str | os.PathLike[str] | None,
    ):
        self.plan = plan
        self.runner = runner
        self.cache = cache
        self.store = store
        self.emit_event = emit
        self.capacity = max(1, min(parallelism or runner.capacity, runner.capacity))
        self.cancel = cancel
        self.run_id = run_id
        self.scope = scope
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.store_root = os.fspath(store.root)
        self.datasets = None if datasets is None else os.fspath(datasets)
        self.workdir = None if workdir is None else os.fspath(Path(workdir))
        self.requested = requested_reason(plan)
        self.statuses: dict[str, StepStatus] = {k: StepStatus.PENDING for k in plan.order}
        self.results = {s.key: StepResult(s.key, s.module) for s in plan.steps}
        self.outputs: dict[str, dict[str, OutputRecord]] = {}
        self.decisions: dict[str, Decision] = {}
        self.position = {k: i for i, k in enumerate(plan.order)}
        self.queue: list[tuple[int, str]] = []
        self.running: dict[str, tuple[str, float | None]] = {}  # task id -> (key, deadline)
        self.retry_at: list[tuple[float, int, str]] = []
        self.step_dicts = {s.key: s.to_dict() for s in plan.steps}
        self.held: list[tuple[EventType, str | None, dict[str, Any]]] | None = None
        self.busy: set[str] = set()  # tasks in their module: each takes a worker slot
        placeable = getattr(runner, "placeable", None)
        self.placeable: Callable[[dict[str, Any]], bool] | None = (
            placeable if callable(placeable) else None
        )
        self.speculating = self.placeable is not None
        self.speculation: dict[str, _Speculation] = {}  # step key -> its speculative task
        self.spec_tasks: dict[str, str] = {}  # task id -> step key, until the task is done
        self.draining: set[str] = set()  # discarded speculative tasks still in their module
        self.provisional: dict[str, dict[str, dict[str, Any]]] = {}  # computed, not yet done
        self.restarts: list[str] = []  # steps whose storage died with another step's worker
        self.quiet: set[str] = set()  # restarted tasks: their logs were reported already
        self.serial = 0

    def emit(self, type_: EventType, step: str | None = None, **data: Any) -> None:
        if self.held is not None:
            self.held.append((type_, step, data))
            return
        self.emit_event(Event(type_, step, data))

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> RunResult:
        started = time.monotonic()
        self.emit(
            EventType.RUN_STARTED,
            run_id=self.run_id,
            steps=list(self.plan.order),
            target={"mode": self.plan.target[0], "node": self.plan.target[1]},
        )
        batch = getattr(self.cache, "batch", None)
        try:
            with batch() if callable(batch) else contextlib.nullcontext():
                self.settle(None)
                self.loop()
        except BaseException:
            for task_id in [*self.running, *self.spec_tasks, *self.draining]:
                with contextlib.suppress(Exception):
                    self.runner.kill(task_id)
            raise
        for task_id in list(self.draining):  # discarded work still in its module: stop it
            self.runner.kill(task_id)
        self.draining.clear()
        status = self.outcome()
        result = RunResult(self.run_id, status, self.results, time.monotonic() - started)
        self.emit(
            EventType.RUN_FINISHED,
            status=status,
            counts=result.counts,
            duration=result.duration,
        )
        return result

    def loop(self) -> None:
        wake = [self.cancel.fileno()] if self.cancel is not None else []
        while True:
            if self.cancel is not None and self.cancel.canceled:
                self.cancel_all()
                return
            now = time.monotonic()
            self.expire(now)
            while self.retry_at and self.retry_at[0][0] <= now:
                _, _, key = heapq.heappop(self.retry_at)
                self.statuses[key] = StepStatus.QUEUED
                heapq.heappush(self.queue, (self.position[key], key))
            self.fill()
            if not self.running and not self.retry_at and not self.queue and not self.restarts:
                for key in list(self.speculation):  # cannot happen: their sources are running
                    self.discard(key)  # pragma: no cover
                return
            deadlines = [d for _, d in self.running.values() if d is not None]
            if self.retry_at:
                deadlines.append(self.retry_at[0][0])
            wait = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            for message in self.runner.wait(wait, wake):
                self.handle(message)

    def settle(self, finished: Iterable[str] | None) -> None:
        """Decide every step that just became ready: reuse it, queue it, or fail it."""
        candidates = None if finished is None else self._dependents(finished)
        while True:
            ready = ready_steps(self.plan, self.statuses, candidates)
            if not ready:
                return
            reused = []
            for key in ready:
                if self.decide(key):
                    reused.append(key)
            if not reused:
                return
            candidates = self._dependents(reused)

    def _dependents(self, keys: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for key in keys:
            out.update(self.plan.dependents[key])
        return out

    def decide(self, key: str) -> bool:
        """Decide one ready step; return True when it was reused (its dependents may be ready)."""
        step = self.plan.step(key)
        decision = decide(
            step, self.outputs, self.cache, self.store, scope=self.scope, requested=self.requested
        )
        self.decisions[key] = decision
        result = self.results[key]
        result.reason = decision.reason
        result.fingerprint = decision.fingerprint
        speculative = self.speculation.get(key)
        if speculative is not None:
            if decision.action == "run":
                self.confirm(speculative, decision)
                return False
            self.discard(key)  # e.g. early cutoff: the cached result wins
        if decision.action == "reuse" and decision.entry is not None:
            outputs = decision.entry.outputs
            self.outputs[key] = outputs
            result.outputs = dict(outputs)
            self.statuses[key] = result.status = StepStatus.REUSED
            try:
                record_reuse(self.cache, decision, self.run_id, self.scope)
            except Exception as exc:
                self.cache_warning(key, exc)
            for port, record in outputs.items():
                self.emit(EventType.STEP_OUTPUT, key, port=port, **record.to_dict())
            self.emit(
                EventType.STEP_REUSED,
                key,
                reason=decision.reason,
                fingerprint=decision.fingerprint,
                run=decision.entry.run_id,
            )
            return True
        if decision.action == "missing":
            self.fail(key, decision.reason, retryable=False)
            return False
        self.statuses[key] = result.status = StepStatus.QUEUED
        heapq.heappush(self.queue, (self.position[key], key))
        if len(self.busy) >= self.capacity:
            self.emit(EventType.STEP_QUEUED, key, reason=decision.reason)
        return False

    def cache_warning(self, key: str, exc: Exception) -> None:
        line = f"warning: the cache could not record this result ({type(exc).__name__}: {exc})"
        self.emit(EventType.STEP_LOG, key, stream="stderr", lines=[line])

    def fill(self) -> None:
        while self.restarts and len(self.busy) < self.capacity:
            self.start(self.restarts.pop(0), restart=True)
        while self.queue and len(self.busy) < self.capacity:
            _, key = heapq.heappop(self.queue)
            if self.statuses[key] is StepStatus.QUEUED:
                self.start(key)

    def task(self, key: str, inputs: dict[str, dict[str, Any] | None], attempt: int) -> Any:
        task = make_task(
            self.step_dicts[key],
            inputs,
            run_id=self.run_id,
            attempt=attempt,
            store=self.store_root,
            datasets=self.datasets,
            workdir=self.workdir,
        )
        if self.placeable is not None:
            task["stage"] = True  # report "computed" before storing (see the module docstring)
        return task

    def start(self, key: str, *, restart: bool = False) -> None:
        result = self.results[key]
        if not restart:
            result.attempts += 1
        decision = self.decisions[key]
        task = self.task(key, dict(decision.inputs), result.attempts)
        task_id = f"{self.run_id}:{key}:{result.attempts}"
        if restart:
            self.serial += 1
            task_id += f"r{self.serial}"
            self.quiet.add(task_id)
        deadline = time.monotonic() + self.timeout if self.timeout else None
        self.running[task_id] = (key, deadline)
        self.busy.add(task_id)
        self.runner.submit(task_id, task)
        if restart:
            return  # the same attempt again, announced already
        self.statuses[key] = result.status = StepStatus.RUNNING
        self.emit(
            EventType.STEP_STARTED,
            key,
            attempt=result.attempts,
            reason=decision.reason,
            fingerprint=decision.fingerprint,
        )

    # -- speculation ------------------------------------------------------------------------

    def speculate(self, candidates: Iterable[str]) -> None:
        """Start pending steps whose inputs are stored or held in memory by one worker."""
        if not self.speculating or self.placeable is None:
            return
        for key in sorted(set(candidates), key=self.position.__getitem__):
            if len(self.busy) >= self.capacity:
                return
            if self.statuses[key] is not StepStatus.PENDING or key in self.speculation:
                continue
            step = self.plan.step(key)
            if step.mode == "reuse" or not all(
                self.statuses[dep] in DONE or dep in self.provisional for dep in step.dependencies
            ):
                continue
            inputs: dict[str, dict[str, Any] | None] = {}
            sources: set[tuple[str, str]] = set()
            for wire in step.inputs:
                source, port = wire.source_step, wire.source_port
                if source is None or port is None:
                    inputs[wire.port] = None
                elif self.statuses[source] in DONE:
                    record = self.outputs[source][port]
                    inputs[wire.port] = {"digest": record.digest, "kind": record.kind}
                else:
                    inputs[wire.port] = dict(self.provisional[source][port])
                    sources.add((source, port))
            if not sources or self.likely_reused(key, {source for source, _ in sources}):
                continue
            task = self.task(key, inputs, self.results[key].attempts + 1)
            if not self.placeable(task):
                continue
            self.serial += 1
            task_id = f"{self.run_id}:{key}:s{self.serial}"
            self.runner.submit(task_id, task)
            self.speculation[key] = _Speculation(task_id, key, sources, time.monotonic())
            self.spec_tasks[task_id] = key
            self.busy.add(task_id)

    def likely_reused(self, key: str, sources: set[str]) -> bool:
        """Whether `key` has a cache entry for the outputs its in-memory sources had last time.

        Then the sources may well produce the same bytes again (a re-read dataset, "run from"),
        and the step would be reused: speculating on it would likely be wasted.
        """
        step = self.plan.step(key)
        if self.cache.bypass or step.mode == "run" or not step.deterministic:
            return False
        if self.scope is None:
            return False
        try:
            upstream = {dep: self.outputs[dep] for dep in step.dependencies if dep in self.outputs}
            for source in sources:
                previous = self.cache.previous(self.scope, source)
                entry = None if previous is None else self.cache.get(previous.fingerprint)
                if entry is None:
                    return False
                upstream[source] = entry.outputs
            return self.cache.get(fingerprint(material(step, upstream))) is not None
        except KeyError:  # an earlier entry without the port now wired: nothing to reuse
            return False
        except Exception:  # the cache is unreadable: stay on the safe side
            return True

    def confirm(self, speculative: _Speculation, decision: Decision) -> None:
        """The upstream steps succeeded and the step must run: its speculative task is the run."""
        key = speculative.key
        del self.speculation[key]
        result = self.results[key]
        result.attempts += 1
        self.statuses[key] = result.status = StepStatus.RUNNING
        self.emit(
            EventType.STEP_STARTED,
            key,
            attempt=result.attempts,
            reason=decision.reason,
            fingerprint=decision.fingerprint,
        )
        for message in speculative.held:
            kind = EventType.STEP_LOG if message.kind == "log" else EventType.STEP_PROGRESS
            self.emit(kind, key, **message.data)
        if speculative.done is not None:
            self.done(key, speculative.done)
            return
        self.spec_tasks.pop(speculative.task_id, None)
        deadline = speculative.started + self.timeout if self.timeout else None
        self.running[speculative.task_id] = (key, deadline)

    def discard(self, key: str) -> None:
        """Forget a speculative task (and those reading its outputs); nothing was announced."""
        speculative = self.speculation.pop(key, None)
        if speculative is None:
            return
        task_id = speculative.task_id
        self.spec_tasks.pop(task_id, None)
        if task_id in self.busy:
            self.draining.add(task_id)
        self.provisional.pop(key, None)
        self.discard_readers(key)

    def discard_readers(self, key: str, ports: set[str] | None = None) -> None:
        """Discard the speculative tasks that read `key`'s in-memory outputs (on `ports`)."""
        for other in list(self.speculation.values()):
            if any(s == key and (ports is None or p in ports) for s, p in other.sources):
                self.discard(other.key)

    def speculative_message(self, speculative: _Speculation, message: RunnerMessage) -> None:
        key = speculative.key
        if message.kind in ("log", "progress"):
            speculative.held.append(message)
        elif message.kind == "computed":
            self.provisional[key] = dict(message.data["outputs"])
            self.fill()
            self.speculate(self.plan.dependents[key])
        elif message.kind == "done":
            self.spec_tasks.pop(speculative.task_id, None)
            data = message.data
            if data.get("status") != "succeeded":
                if data.get("provisional_missing") or data.get("error_type") == "WorkerDied":
                    self.discard(key)  # not the step's doing: it runs again once decided
                    return
                self.provisional.pop(key, None)
                self.discard_readers(key)
            speculative.done = data

    # -- messages ---------------------------------------------------------------------------

    def handle(self, message: RunnerMessage) -> None:
        task_id = message.task_id
        if message.kind in ("computed", "done"):
            self.busy.discard(task_id)  # its module returned: the slot is free
            if task_id in self.draining:
                self.draining.discard(task_id)
                return
        key = self.spec_tasks.get(task_id)
        if key is not None:
            self.speculative_message(self.speculation[key], message)
            return
        entry = self.running.get(task_id)
        if entry is None:
            return  # a killed, discarded or finished task
        key = entry[0]
        if message.kind in ("log", "progress") and task_id in self.quiet:
            return
        if message.kind == "log":
            self.emit(EventType.STEP_LOG, key, **message.data)
        elif message.kind == "progress":
            self.emit(EventType.STEP_PROGRESS, key, **message.data)
        elif message.kind == "computed":
            self.provisional[key] = dict(message.data["outputs"])
            self.fill()
            self.speculate(self.plan.dependents[key])
        elif message.kind == "done":
            del self.running[task_id]
            self.quiet.discard(task_id)
            self.done(key, message.data)

    def done(self, key: str, data: dict[str, Any]) -> None:
        result = self.results[key]
        if data.get("status") != "succeeded" and data.get("collateral"):
            # Its module had returned; its outputs were lost with a worker that another step
            # crashed or that was stopped for another step: run it again, as the same attempt,
            # and stop speculating (the crash may come from a speculative step).
            self.speculating = False
            self.provisional.pop(key, None)
            self.discard_readers(key)
            self.restarts.append(key)
            return
        result.started_at = data.get("started_at")
        result.finished_at = data.get("finished_at")
        if data.get("status") != "succeeded":
            result.traceback = data.get("traceback")
            self.fail(
                key,
                str(data.get("error") or "the step failed"),
                retryable=bool(data.get("retryable", True)),
                param=data.get("param"),
                port=data.get("port"),
            )
            return
        self.provisional.pop(key, None)
        inexact = set(data.get("inexact") or ())
        if inexact:  # readers of those saw a table that differs from its stored bytes
            self.discard_readers(key, inexact)
        outputs = {k: OutputRecord.from_dict(v) for k, v in data["outputs"].items()}
        self.outputs[key] = outputs
        result.outputs = outputs
        result.error = result.traceback = None
        self.statuses[key] = result.status = StepStatus.SUCCEEDED
        # Start what this unblocks first, so workers get busy while the bookkeeping below runs
        # (the events of those steps are held back to keep their order after this step's).
        held: list[tuple[EventType, str | None, dict[str, Any]]] = []
        outer, self.held = self.held, held
        try:
            self.settle([key])
            self.fill()
            self.speculate(self.plan.dependents[key])
        finally:
            self.held = outer
        try:
            record_success(self.cache, self.decisions[key], outputs, self.run_id, self.scope)
        except Exception as exc:  # the result is still good for this run
            self.cache_warning(key, exc)
        for port, record in outputs.items():
            self.emit(EventType.STEP_OUTPUT, key, port=port, **record.to_dict())
        self.emit(
            EventType.STEP_SUCCEEDED,
            key,
            attempt=result.attempts,
            duration=result.duration,
            started_at=result.started_at,
            finished_at=result.finished_at,
        )
        for type_, step, payload in held:
            self.emit(type_, step, **payload)

    def fail(
        self,
        key: str,
        error: str,
        *,
        retryable: bool,
        param: str | None = None,
        port: str | None = None,
    ) -> None:
        result = self.results[key]
        result.error = error
        self.provisional.pop(key, None)
        self.discard_readers(key)
        if retryable and result.attempts and result.attempts <= self.retries:
            delay = min(MAX_BACKOFF, self.backoff * 2 ** (result.attempts - 1))
            self.statuses[key] = result.status = StepStatus.RETRYING
            heapq.heappush(self.retry_at, (time.monotonic() + delay, self.position[key], key))
            self.emit(
                EventType.STEP_RETRYING, key, attempt=result.attempts + 1, delay=delay, error=error
            )
            return
        self.statuses[key] = result.status = StepStatus.FAILED
        self.emit(
            EventType.STEP_FAILED,
            key,
            error=error,
            attempt=result.attempts,
            traceback=result.traceback,
            param=param,
            port=port,
        )
        for blocked in self.plan.downstream(key):
            if self.statuses[blocked] is StepStatus.PENDING:
                self.statuses[blocked] = self.results[blocked].status = StepStatus.UPSTREAM_FAILED
                self.results[blocked].reason = f"upstream `{key}` failed"
                self.emit(EventType.STEP_UPSTREAM_FAILED, blocked, upstream=key)

    def expire(self, now: float) -> None:
        for task_id, (key, deadline) in list(self.running.items()):
            if deadline is not None and deadline <= now:
                self.runner.kill(task_id)
                del self.running[task_id]
                self.busy.discard(task_id)
                self.quiet.discard(task_id)
                self.fail(key, f"timed out after {self.timeout:g}s", retryable=True)

    def cancel_all(self) -> None:
        for task_id in [*self.running, *self.spec_tasks, *self.draining]:
            self.runner.kill(task_id)
        self.running.clear()
        self.speculation.clear()
        self.spec_tasks.clear()
        self.draining.clear()
        self.busy.clear()
        self.provisional.clear()
        self.restarts.clear()
        for key in self.plan.order:
            if self.statuses[key] in (
                StepStatus.PENDING,
                StepStatus.QUEUED,
                StepStatus.RUNNING,
                StepStatus.RETRYING,
            ):
                self.statuses[key] = self.results[key].status = StepStatus.CANCELED
                self.emit(EventType.STEP_CANCELED, key)
        self.queue.clear()
        self.retry_at.clear()

    def outcome(self) -> str:
        values = self.statuses.values()
        if any(v is StepStatus.CANCELED for v in values):
            return "canceled"
        if any(v in (StepStatus.FAILED, StepStatus.UPSTREAM_FAILED) for v in values):
            return "failed"
        if any(v not in (StepStatus.SUCCEEDED, StepStatus.REUSED) for v in values):
            return "failed"  # pragma: no cover - every step reaches a final status
        return "succeeded"
