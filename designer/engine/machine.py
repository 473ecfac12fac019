"""The run state machine: one object decides what a run does next, whoever runs its steps.

Every executor drives it the same way — the local loop (`execute.py`), a run finished inside
the request that starts it, and the Celery path (both in the runs app) — by reporting facts (a
task started, logged, computed its outputs, finished; the clock moved on; cancel) and carrying
out what it asks through a `Launcher`: launch a task, place a speculative one next to its
inputs, kill one, wake the machine later. An executor decides only *where* a step runs; which
steps are ready, reuse, retries with backoff, per-step timeouts, cancel, speculation and held
outputs are decided here, once.

Steps whose inputs are ready are decided at once (reused from the cache, or queued to run),
not level by level. With a `capacity`, at
most that many tasks occupy worker slots (a task frees its slot when its module returns:
"computed"), and a queued step starts as soon as a slot frees; without one (a remote queue such
as Celery's takes every task) a launched step stays `queued` until its worker reports that it
`started`. With a `prefetch` (LocalRunner: two per worker; docs/decisions/0037), that many more
tasks are launched while every slot is busy: they wait in a worker (or the runner), which takes
the next one the moment it finishes one, and they stay `queued` until the runner says they
`started`.
Each attempt has its own number, timeout (the step's, else the policy's) and log;
a failed attempt is retried after `backoff`, twice, four times as long… (at most MAX_BACKOFF),
unless it failed by the user's doing (`retryable: false`: a StepError, a wrong output type).

Speculation (`speculate=True`: a runner that holds staged outputs in its workers' memory, see
docs/decisions/0007): when a step's module returned ("computed") while its outputs are still
being stored, a pending step whose inputs are all stored or held by one worker may start
there before anything about it is announced; a pending step whose only unfinished upstream
step is running in a worker is sent to wait behind it there, reading its outputs from that
worker's memory the moment it returns (a chain then runs without a round trip through the
executor between its steps). When its upstream steps succeed it is decided as
usual: "run" confirms the speculative task (its `step.started`, held logs and result are told
then), "reuse" discards it (early cutoff). It is also discarded when an upstream step fails or
retries, when it read a table that differs from its stored bytes, or when its worker dies;
discarded tasks still in their module keep their slot until they return and are killed when
the run ends. A step is not speculated on when the cache holds its entry for its sources'
previous outputs (a re-read dataset, "run from": early cutoff is then likely).

State can be rebuilt from what a coordinator saved (`known`), so a coordinator that keeps runs
in a database (the Celery path) makes a machine per transition: nothing lives in memory.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import (
    Cache,
    Decision,
    ReadOnlyCache,
    decide,
    decide_all,
    keyed,
    record_reuse,
    record_success,
    run_decision,
)
from designer.engine.events import Event, EventType
from designer.engine.plan import Plan, Step
from designer.engine.results import RunResult, StepResult
from designer.engine.scheduler import DONE, FINAL, StepStatus, ready_steps, run_status
from designer.engine.store import ArtifactStore

Emit = Callable[[Event], None]
MAX_BACKOFF = 60.0


@dataclass(frozen=True)
class Policy:
    """How slow and failed attempts are handled: the defaults for steps that set none."""

    retries: int = 0  # attempts after the first, for failures that may pass on another try
    backoff: float = 0.5  # seconds before the first retry; doubled for each next one
    timeout: float | None = None  # seconds per attempt, for steps whose node and module set none

    def retries_for(self, step: Step) -> int:
        """How many times a failed attempt of `step` is tried again."""
        return max(0, self.retries if step.retries is None else step.retries)

    def timeout_for(self, step: Step) -> float | None:
        """The time limit of each attempt of `step` (None: none)."""
        return self.timeout if step.timeout is None else step.timeout

    def delay(self, failed_attempt: int) -> float:
        """Seconds to wait after attempt number `failed_attempt` failed."""
        return float(min(MAX_BACKOFF, max(0.0, self.backoff) * 2.0 ** (failed_attempt - 1)))


@dataclass(frozen=True)
class Task:
    """One attempt of a step to run somewhere, or a speculative start of its next one."""

    id: str
    key: str
    attempt: int
    inputs: dict[str, dict[str, Any] | None]  # port -> {"digest", "kind"} | {"pending", ...}
    speculative: bool = False


class Launcher(Protocol):
    """What an executor does when the machine asks: the *where* of running a step."""

    def launch(self, task: Task) -> bool | None:
        """Start the task (or queue it where a worker will take it).

        With `prefetch`: False when it waits in a busy worker; `started` follows when it starts.
        """
        ...

    def place(self, task: Task) -> bool:
        """Start a speculative task where its in-memory inputs are, if that worker is free."""
        ...

    def kill(self, task_id: str) -> None:
        """Stop a task at once; nothing more of it will be reported."""
        ...

    def wake(self, at: float) -> None:
        """Call `poll()` again at `at` (machine clock): a deadline or a retry falls due."""
        ...


@dataclass(frozen=True)
class KnownStep:
    """A step's saved state, to rebuild a machine elsewhere (e.g. from database rows)."""

    status: str
    attempts: int = 0
    outputs: Mapping[str, OutputRecord] = field(default_factory=dict)
    reason: str = ""
    fingerprint: str = ""
    error: str | None = None
    started: float | None = None  # when its current attempt started (machine clock)
    retry_at: float | None = None  # when a retrying step's next attempt is due


@dataclass
class _Attempt:
    """A launched attempt: its step, number, and deadline once it has started."""

    key: str
    number: int
    started: float | None = None
    deadline: float | None = None
    quiet: bool = False  # a restart of an attempt whose logs were told already
    announced: bool = False  # a confirmed speculative task still waiting behind its source


@dataclass
class _Speculation:
    """A task started before its upstream outputs were stored; nothing about it is announced."""

    task_id: str
    key: str
    sources: set[tuple[str, str]]  # (step, port) of the in-memory outputs it reads
    started: float | None  # when its worker took it (machine clock): its timeout counts from here
    held: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # logs, progress
    done: dict[str, Any] | None = None  # its result, when it came before the confirmation


class _Results(dict[str, StepResult]):
    """Each step's StepResult, made when first asked for: a machine rebuilt for one transition
    of a 201-step run touches a few (it made all 201, half its set-up, measured)."""

    def __init__(self, plan: Plan):
        super().__init__()
        self.plan = plan

    def __missing__(self, key: str) -> StepResult:
        result = self[key] = StepResult(key, self.plan.step(key).module)
        return result

    def every(self) -> dict[str, StepResult]:
        """Every step's result, in plan order."""
        return {key: self[key] for key in self.plan.order}


class _Unfinished(dict[str, int]):
    """How many of each step's dependencies are not done yet: counted when first asked for,
    then kept current as steps finish, so a step's readiness is known without a scan of its
    dependencies (a fan-in of 200 was scanned after each of them finished)."""

    def __init__(self, plan: Plan, statuses: Mapping[str, StepStatus]):
        super().__init__()
        self.plan = plan
        self.statuses = statuses

    def __missing__(self, key: str) -> int:
        statuses = self.statuses
        count = self[key] = len(
            [dep for dep in self.plan.step(key).dependencies if statuses[dep] not in DONE]
        )
        return count

    def finished(self, key: str) -> None:
        """`key` is done now (its status just became one of DONE): its dependents wait on one
        step fewer (those counted before it was done)."""
        for dependent in self.plan.dependents[key]:
            if dependent in self:
                self[dependent] -= 1


def requested_reason(plan: Plan) -> str:
    """The reason given to steps a subset plan forces to run."""
    mode, node = plan.target
    if mode == "from":
        return f"ran: requested (run from `{node}`)"
    if mode == "only":
        return f"ran: requested (run only `{node}`)"
    return "ran: requested"


def attempt_task_id(run_id: str, key: str, attempt: int) -> str:
    """The id of one attempt of one step (deterministic, so a coordinator can find it again)."""
    return f"{run_id}:{key}:{attempt}"


class RunMachine:
    """The state of one run and every decision about it; see the module docstring."""

    def __init__(
        self,
        plan: Plan,
        *,
        cache: Cache,
        store: ArtifactStore,
        launcher: Launcher,
        emit: Emit,
        run_id: str,
        policy: Policy = Policy(),
        scope: str | None = None,
        capacity: int | None = None,
        prefetch: int = 0,
        speculate: bool = False,
        clock: Callable[[], float] = time.monotonic,
        known: Mapping[str, KnownStep] | None = None,
    ):
        self.plan = plan
        self.cache = cache
        self.store = store
        self.launcher = launcher
        self.emit_event = emit
        self.run_id = run_id
        self.policy = policy
        self.scope = scope
        self.capacity = capacity
        self.prefetch = prefetch if capacity is not None else 0
        self.speculating = speculate
        self.clock = clock
        self.requested = requested_reason(plan)
        self.created = clock()
        self.statuses: dict[str, StepStatus] = dict.fromkeys(plan.order, StepStatus.PENDING)
        self.unfinished = _Unfinished(plan, self.statuses)
        self.results = _Results(plan)
        self.outputs: dict[str, dict[str, OutputRecord]] = {}
        self.decisions: dict[str, Decision] = {}
        self.position = dict(zip(plan.order, range(len(plan.order)), strict=True))
        self.queue: list[tuple[int, str]] = []
        self.retry_at: list[tuple[float, int, str]] = []
        self.running: dict[str, _Attempt] = {}  # task id -> attempt
        self.busy: set[str] = set()  # tasks in their module: each takes a worker slot
        self.waiting: set[str] = set()  # launched tasks waiting in a busy worker (prefetch)
        self.told_queued: set[str] = set()  # steps whose current attempt was announced queued
        self.speculation: dict[str, _Speculation] = {}  # step key -> its speculative task
        self.spec_tasks: dict[str, str] = {}  # task id -> step key, until the task is done
        self.draining: set[str] = set()  # discarded speculative tasks still in their module
        self.provisional: dict[str, dict[str, dict[str, Any]]] = {}  # computed, not yet done
        self.restarts: list[str] = []  # steps whose storage died with another step's worker
        self.held: list[tuple[EventType, str | None, dict[str, Any]]] | None = None
        self.serial = 0
        if known:
            self._restore(known)

    # -- what the executor calls ------------------------------------------------------------

    def begin(self) -> None:
        """Start the run: announce it, decide every step that is ready, launch what may start."""
        self.emit(
            EventType.RUN_STARTED,
            run_id=self.run_id,
            steps=list(self.plan.order),
            target={"mode": self.plan.target[0], "node": self.plan.target[1]},
        )
        self.settle(None)
        self.fill()

    def poll(self) -> None:
        """Act on the clock: fail attempts past their deadline, start retries that fell due."""
        now = self.clock()
        for task_id, attempt in list(self.running.items()):
            if attempt.deadline is not None and attempt.deadline <= now:
                self.launcher.kill(task_id)
                del self.running[task_id]
                self.busy.discard(task_id)
                limit = self.policy.timeout_for(self.plan.step(attempt.key))
                self.fail(attempt.key, f"timed out after {limit or 0:g}s", retryable=True)
        while self.retry_at and self.retry_at[0][0] <= now:
            _, _, key = heapq.heappop(self.retry_at)
            self.statuses[key] = self.results[key].status = StepStatus.QUEUED
            heapq.heappush(self.queue, (self.position[key], key))
        self.fill()

    def started(self, task_id: str) -> bool:
        """A worker took a launched task (executors with a remote queue); False if it is stale."""
        attempt = self.running.get(task_id)
        if attempt is None or attempt.started is not None:
            return False
        self._start(task_id, attempt)
        return True

    def message(self, task_id: str, kind: str, data: dict[str, Any]) -> None:
        """A task reported that it "started" (after waiting in a worker), logs, progress,
        "computed" (its module returned) or "done"."""
        if kind == "started":
            self._taken(task_id)
            return
        if kind in ("computed", "done"):
            self.busy.discard(task_id)  # its module returned: the slot is free
            self.waiting.discard(task_id)
            if task_id in self.draining:
                self.draining.discard(task_id)
                return
        key = self.spec_tasks.get(task_id)
        if key is not None:
            self._speculative_message(self.speculation[key], kind, data)
            return
        attempt = self.running.get(task_id)
        if attempt is None:
            return  # a killed, discarded or finished task
        key = attempt.key
        if kind in ("log", "progress"):
            if not attempt.quiet:
                self._tell(key, attempt.number, kind, data)
        elif kind == "computed":
            self.provisional[key] = dict(data["outputs"])
            self.fill()
            self.speculate(self.plan.dependents[key])
        elif kind == "done":
            del self.running[task_id]
            self.done(key, data)

    def _taken(self, task_id: str) -> None:
        """A task that waited in a busy worker was taken by it: it holds a slot now."""
        attempt = self.running.get(task_id)
        key = self.spec_tasks.get(task_id)
        if task_id not in self.waiting or (
            attempt is None and key is None and task_id not in self.draining
        ):
            return
        self.waiting.discard(task_id)
        self.busy.add(task_id)
        if key is not None:  # speculative, not confirmed yet
            self.speculation[key].started = self.clock()
            self.speculate(self.plan.dependents[key])
        elif attempt is not None and attempt.started is None:
            if attempt.quiet or attempt.announced:  # told already: its clock starts now
                attempt.started = self.clock()
                attempt.deadline = self._deadline(attempt.key, attempt.started)
            else:
                self._start(task_id, attempt)
            self.speculate(self.plan.dependents[attempt.key])

    def cancel(self) -> None:
        """Stop everything: kill every task, mark every unfinished step canceled."""
        for task_id in self.tasks():
            self.launcher.kill(task_id)
        self.running.clear()
        self.speculation.clear()
        self.spec_tasks.clear()
        self.draining.clear()
        self.busy.clear()
        self.waiting.clear()
        self.provisional.clear()
        self.restarts.clear()
        for key in self.plan.order:
            if self.statuses[key] not in FINAL:
                self.statuses[key] = self.results[key].status = StepStatus.CANCELED
                self.emit(EventType.STEP_CANCELED, key)
        self.queue.clear()
        self.retry_at.clear()

    def finish(self) -> RunResult:
        """End the run (once `settled`): stop discarded work, announce and return the outcome."""
        for task_id in list(self.draining):
            self.launcher.kill(task_id)
        self.draining.clear()
        status = run_status(self.statuses.values())
        duration = self.clock() - self.created
        result = RunResult(self.run_id, status, self.results.every(), duration)
        self.emit(EventType.RUN_FINISHED, status=status, counts=result.counts, duration=duration)
        return result

    @property
    def settled(self) -> bool:
        """Whether nothing is running, queued or waiting to be retried: the run can finish."""
        return not (self.running or self.retry_at or self.queue or self.restarts)

    def next_wake(self) -> float | None:
        """The machine-clock time the next deadline or retry falls due, if any."""
        times = [a.deadline for a in self.running.values() if a.deadline is not None]
        if self.retry_at:
            times.append(self.retry_at[0][0])
        return min(times) if times else None

    def tasks(self) -> list[str]:
        """Every task that may still be executing (to kill them all when the executor fails)."""
        return [*self.running, *self.spec_tasks, *self.draining]

    # -- deciding ---------------------------------------------------------------------------

    def emit(self, type_: EventType, step: str | None = None, **data: Any) -> None:
        if self.held is not None:
            self.held.append((type_, step, data))
            return
        self.emit_event(Event(type_, step, data))

    def settle(self, finished: Iterable[str] | None) -> None:
        """Decide every step that just became ready: reuse it, queue it, or fail it."""
        ready = ready_steps(self.plan, self.statuses) if finished is None else self._ready(finished)
        while ready:
            decided = self.decide_ready(ready)
            reused = [key for key in ready if self.decide(key, decided.get(key))]
            ready = self._ready(reused)

    def _ready(self, finished: Iterable[str]) -> list[str]:
        """The pending steps that `finished` (steps just done) leave with every dependency
        done, in plan order (as scheduler.ready_steps finds them)."""
        pending, unfinished, statuses = StepStatus.PENDING, self.unfinished, self.statuses
        found = [
            dependent
            for key in finished
            for dependent in self.plan.dependents[key]
            if statuses[dependent] is pending and not unfinished[dependent]
        ]
        if len(found) < 2:
            return found
        return sorted(set(found), key=self.position.__getitem__)

    def decide_ready(self, keys: list[str]) -> dict[str, Decision]:
        """The decisions of steps ready together, with one cache query (e.g. a fan-out's
        middles); none for a single step (decided on its own, as before)."""
        if len(keys) < 2:
            return {}
        steps = [self.plan.step(key) for key in keys]
        decisions = decide_all(
            steps, self.outputs, self.cache, self.store, scope=self.scope, requested=self.requested
        )
        return dict(zip(keys, decisions, strict=True))

    def decide(self, key: str, decision: Decision | None = None) -> bool:
        """Decide one ready step (or apply its `decision`, made with others ready with it);
        True when it was reused (its dependents may be ready)."""
        if decision is None:
            decision = decide(
                self.plan.step(key),
                self.outputs,
                self.cache,
                self.store,
                scope=self.scope,
                requested=self.requested,
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
            self._finished(key, StepStatus.REUSED)
            self.record_and_tell(
                key, outputs, lambda: record_reuse(self.cache, decision, self.run_id, self.scope)
            )
            self.emit(
                EventType.STEP_REUSED,
                key,
                reason=decision.reason,
                fingerprint=decision.fingerprint,
                run=decision.entry.run_id,
            )
            return True
        self.statuses[key] = result.status = StepStatus.QUEUED
        heapq.heappush(self.queue, (self.position[key], key))
        if self.capacity is not None and len(self.busy) >= self.capacity:
            self.tell_queued(key)
        return False

    def tell_queued(self, key: str) -> None:
        """Announce that a step waits for a worker (once per attempt)."""
        if key not in self.told_queued:
            self.told_queued.add(key)
            self.emit(EventType.STEP_QUEUED, key, reason=self.decisions[key].reason)

    def record_and_tell(
        self, key: str, outputs: Mapping[str, OutputRecord], record: Callable[[], None]
    ) -> None:
        """Record a step's outputs in the cache (a failure only warns: the run can use them),
        then announce each of them."""
        try:
            record()
        except Exception as exc:
            self.cache_warning(key, exc)
        for port, output in outputs.items():
            self.emit(EventType.STEP_OUTPUT, key, port=port, **output.to_dict())

    def cache_warning(self, key: str, exc: Exception) -> None:
        line = f"warning: the cache could not record this result ({type(exc).__name__}: {exc})"
        attempt = self.results[key].attempts
        self.emit(EventType.STEP_LOG, key, stream="stderr", lines=[line], attempt=attempt)

    def _free(self) -> bool:
        return self.capacity is None or len(self.busy) < self.capacity

    def _room(self) -> bool:
        """Whether one more task may be launched: a free slot, or room in a busy worker."""
        if self.capacity is None:
            return True
        return len(self.busy) + len(self.waiting) < self.capacity + self.prefetch

    def fill(self) -> None:
        """Launch restarts, then queued steps in plan order, while there are free slots (and,
        with `prefetch`, room in busy workers)."""
        while self.restarts and self._free():
            self.launch(self.restarts.pop(0), restart=True)
        while self.queue and self._room():
            _, key = heapq.heappop(self.queue)
            if self.statuses[key] is StepStatus.QUEUED:
                self.launch(key)

    def decision(self, key: str) -> Decision:
        """The decision a step runs under (rebuilt from its inputs after a restore)."""
        known = self.decisions.get(key)
        if known is None:
            result = self.results[key]
            known = run_decision(self.plan.step(key), self.outputs, result.reason)
            self.decisions[key] = known
            result.fingerprint = known.fingerprint
        return known

    def launch(self, key: str, *, restart: bool = False) -> None:
        result = self.results[key]
        if not restart:
            result.attempts += 1
        task_id = attempt_task_id(self.run_id, key, result.attempts)
        if restart:
            self.serial += 1
            task_id += f"r{self.serial}"
        decision = self.decision(key)
        attempt = _Attempt(key, result.attempts, quiet=restart)
        self.running[task_id] = attempt
        self.busy.add(task_id)
        started = self.launcher.launch(
            Task(task_id, key, result.attempts, self._marked(key, decision.inputs))
        )
        if started is False and self.prefetch:  # it waits in a busy worker: "started" follows
            self.busy.discard(task_id)
            self.waiting.add(task_id)
            if restart:
                return  # announced already: its deadline counts from its start (`started`)
            self.tell_queued(key)
        elif restart:
            attempt.started = self.clock()  # the same attempt again, announced already
            attempt.deadline = self._deadline(key, attempt.started)
        elif self.capacity is None:  # a remote queue: it starts when a worker takes it
            self.emit(
                EventType.STEP_QUEUED,
                key,
                reason=decision.reason,
                fingerprint=decision.fingerprint,
                attempt=result.attempts,
            )
        else:
            self._start(task_id, attempt)
            self.speculate(self.plan.dependents[key])

    def _deadline(self, key: str, since: float) -> float | None:
        limit = self.policy.timeout_for(self.plan.step(key))
        if limit is None:
            return None
        self.launcher.wake(since + limit)
        return since + limit

    def _start(self, task_id: str, attempt: _Attempt) -> None:
        key = attempt.key
        attempt.started = self.clock()
        attempt.deadline = self._deadline(key, attempt.started)
        decision = self.decision(key)
        self.told_queued.discard(key)
        self.statuses[key] = self.results[key].status = StepStatus.RUNNING
        self.emit(
            EventType.STEP_STARTED,
            key,
            attempt=attempt.number,
            reason=decision.reason,
            fingerprint=decision.fingerprint,
        )

    def _tell(self, key: str, attempt: int, kind: str, data: Mapping[str, Any]) -> None:
        type_ = EventType.STEP_LOG if kind == "log" else EventType.STEP_PROGRESS
        payload = dict(data)
        if kind == "log":
            payload["attempt"] = attempt
        self.emit(type_, key, **payload)

    # -- speculation ------------------------------------------------------------------------

    def speculate(self, candidates: Iterable[str]) -> None:
        """Start pending steps whose inputs are stored or held in memory by one worker, or
        send one to wait behind the running step it reads (its only unfinished upstream)."""
        if not self.speculating:
            return
        behind: set[str] = set()  # running steps tried: one task at most waits behind each
        refused: set[frozenset[str]] = set()  # in-memory sources no worker can be given now
        for key in sorted(set(candidates), key=self.position.__getitem__):
            if self.statuses[key] is not StepStatus.PENDING or key in self.speculation:
                continue
            if self.unfinished[key] > len(self.provisional) + 1:
                continue  # more upstream steps unfinished than held and one running (a fan-in)
            if not self._room():
                return
            step = self.plan.step(key)
            running: tuple[str, str] | None = None  # the one upstream step running, its task
            held: set[str] = set()  # the upstream steps whose outputs a worker holds
            for dep in reversed(step.dependencies):  # latest first, as scheduler.ready_steps
                if self.statuses[dep] in DONE:
                    continue
                if dep in self.provisional:
                    held.add(dep)
                    continue
                task_id = None if running or dep in behind else self._running_task(dep)
                if task_id is None:
                    break
                running = (dep, task_id)
            else:
                if running:
                    behind.add(running[0])
                    self._place(key, step, running)
                    continue
                # refused once, refused for every step reading the same (a fan-out's middles)
                sources = frozenset(held)
                if not self._free() or sources in refused:
                    continue
                if self._place(key, step, None) is False:
                    refused.add(sources)

    def _marked(
        self, key: str, inputs: Mapping[str, dict[str, Any] | None]
    ) -> dict[str, dict[str, Any] | None]:
        """A task's `inputs`, those read from a step this run reused marked "reused": the table
        is likely read again by the next rerun, and its worker keeps it longer (held.py)."""
        marked = dict(inputs)
        for wire in self.plan.step(key).inputs:
            ref, source = marked.get(wire.port), wire.source_step
            if ref and source is not None and self.statuses[source] is StepStatus.REUSED:
                marked[wire.port] = {**ref, "reused": True}
        return marked

    def _place(self, key: str, step: Step, running: tuple[str, str] | None) -> bool | None:
        """Place a speculative task of `key`: it starts now on the worker holding its
        in-memory inputs, or, when it reads a running step (`running`: the step and its task),
        waits behind it in that worker. False when the launcher has no worker for it now;
        None when the step is not worth placing (no in-memory input, or likely reused)."""
        inputs: dict[str, dict[str, Any] | None] = {}
        sources: set[tuple[str, str]] = set()
        for wire in step.inputs:
            source, port = wire.source_step, wire.source_port
            if source is None or port is None:
                inputs[wire.port] = None
            elif self.statuses[source] in DONE:
                record = self.outputs[source][port]
                inputs[wire.port] = {"digest": record.digest, "kind": record.kind}
            elif running is not None and source == running[0]:  # the token it will be held under
                inputs[wire.port] = {"pending": f"{running[1]}/{port}"}
                sources.add((source, port))
            else:
                inputs[wire.port] = dict(self.provisional[source][port])
                sources.add((source, port))
        if not sources or self.likely_reused(key, {source for source, _ in sources}):
            return None
        self.serial += 1
        task_id = f"{self.run_id}:{key}:s{self.serial}"
        attempt = self.results[key].attempts + 1
        task = Task(task_id, key, attempt, self._marked(key, inputs), speculative=True)
        if not self.launcher.place(task):
            return False
        waits = running is not None  # behind its source: it takes a slot when its worker takes it
        self.speculation[key] = _Speculation(task_id, key, sources, None if waits else self.clock())
        self.spec_tasks[task_id] = key
        (self.waiting if waits else self.busy).add(task_id)
        if waits:  # what reads it may wait behind it in turn
            self.speculate(self.plan.dependents[key])
        return True

    def _running_task(self, key: str) -> str | None:
        """The task of `key` that a worker runs or will take next (its attempt, or a
        speculative task whose module has not returned), if any."""
        speculative = self.speculation.get(key)
        if speculative is not None:
            return speculative.task_id
        if self.statuses[key] is not StepStatus.RUNNING:
            return None
        return next((t for t, a in self.running.items() if a.key == key), None)

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
            return self.cache.get(keyed(step, upstream)[1]) is not None
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
        for kind, data in speculative.held:
            self._tell(key, result.attempts, kind, data)
        if speculative.done is not None:
            self.done(key, speculative.done)
            return
        self.spec_tasks.pop(speculative.task_id, None)
        attempt = _Attempt(key, result.attempts, speculative.started, announced=True)
        if speculative.started is not None:
            attempt.deadline = self._deadline(key, speculative.started)
        self.running[speculative.task_id] = attempt
        self.speculate(self.plan.dependents[key])

    def discard(self, key: str) -> None:
        """Forget a speculative task (and those reading its outputs); nothing was announced."""
        speculative = self.speculation.pop(key, None)
        if speculative is None:
            return
        task_id = speculative.task_id
        self.spec_tasks.pop(task_id, None)
        if task_id in self.busy or task_id in self.waiting:
            self.draining.add(task_id)
        self.provisional.pop(key, None)
        self.discard_readers(key)

    def discard_readers(self, key: str, ports: set[str] | None = None) -> None:
        """Discard the speculative tasks that read `key`'s in-memory outputs (on `ports`)."""
        for other in list(self.speculation.values()):
            if any(s == key and (ports is None or p in ports) for s, p in other.sources):
                self.discard(other.key)

    def _speculative_message(
        self, speculative: _Speculation, kind: str, data: dict[str, Any]
    ) -> None:
        key = speculative.key
        if kind in ("log", "progress"):
            speculative.held.append((kind, data))
        elif kind == "computed":
            self.provisional[key] = dict(data["outputs"])
            self.fill()
            self.speculate(self.plan.dependents[key])
        elif kind == "done":
            self.spec_tasks.pop(speculative.task_id, None)
            if data.get("status") != "succeeded":
                if data.get("provisional_missing") or data.get("error_type") == "WorkerDied":
                    self.discard(key)  # not the step's doing: it runs again once decided
                    return
                self.provisional.pop(key, None)
                self.discard_readers(key)
            speculative.done = data

    # -- outcomes ---------------------------------------------------------------------------

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
        self._finished(key, StepStatus.SUCCEEDED)
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
        decision = self.decision(key)
        self.record_and_tell(
            key,
            outputs,
            lambda: record_success(
                self.cache, decision, outputs, self.run_id, self.scope, data.get("outputs_json", "")
            ),
        )
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

    def _finished(self, key: str, status: StepStatus) -> None:
        """Give a step its outcome, one of DONE (its dependents' counts follow)."""
        was = self.statuses[key]
        self.statuses[key] = self.results[key].status = status
        if was not in DONE:
            self.unfinished.finished(key)

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
        step = self.plan.step(key)
        if retryable and result.attempts and result.attempts <= self.policy.retries_for(step):
            delay = self.policy.delay(result.attempts)
            self.statuses[key] = result.status = StepStatus.RETRYING
            due = self.clock() + delay
            heapq.heappush(self.retry_at, (due, self.position[key], key))
            self.launcher.wake(due)
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

    # -- rebuilding from saved state --------------------------------------------------------

    def _restore(self, known: Mapping[str, KnownStep]) -> None:
        for key, saved in known.items():
            if key not in self.statuses:
                continue
            status = StepStatus(saved.status)
            result = self.results[key]
            self.statuses[key] = result.status = status
            result.attempts = saved.attempts
            result.reason = saved.reason
            result.fingerprint = saved.fingerprint
            result.error = saved.error
            if status in DONE:
                self.outputs[key] = dict(saved.outputs)
                result.outputs = dict(saved.outputs)
            elif status is StepStatus.QUEUED and saved.attempts:
                task_id = attempt_task_id(self.run_id, key, saved.attempts)
                self.running[task_id] = _Attempt(key, saved.attempts)
            elif status is StepStatus.QUEUED:
                heapq.heappush(self.queue, (self.position[key], key))
            elif status is StepStatus.RUNNING:
                task_id = attempt_task_id(self.run_id, key, saved.attempts)
                started = self.clock() if saved.started is None else saved.started
                limit = self.policy.timeout_for(self.plan.step(key))
                deadline = None if limit is None else started + limit
                self.running[task_id] = _Attempt(key, saved.attempts, started, deadline)
            elif status is StepStatus.RETRYING:
                due = self.clock() if saved.retry_at is None else saved.retry_at
                heapq.heappush(self.retry_at, (due, self.position[key], key))


@dataclass(frozen=True)
class StepPreview:
    """What a run of a plan would do with one step, decided now against the cache."""

    key: str
    action: str  # "reuse", "run", or "after" (decided once the steps it waits for ran)
    reason: str  # "after": the upstream steps that run first decide it
    fingerprint: str = ""  # known unless it waits on upstream outputs ("after")
    run_id: str = ""  # "reuse": the run whose result it would take
    after: tuple[str, ...] = ()  # "after": the upstream steps that must run first


class _NoLaunch:
    """The launcher of a preview: nothing runs."""

    def launch(self, task: Task) -> None:
        return None

    def place(self, task: Task) -> bool:
        return False

    def kill(self, task_id: str) -> None:
        return None

    def wake(self, at: float) -> None:
        return None


def preview(
    plan: Plan, *, cache: Cache, store: ArtifactStore, scope: str | None = None
) -> list[StepPreview]:
    """Decide a plan's steps as a run starting now would, without running or recording anything.

    Steps downstream of one that must run are decided once its output exists ("after").
    """
    machine = RunMachine(
        plan,
        cache=ReadOnlyCache(cache),
        store=store,
        launcher=_NoLaunch(),
        emit=lambda event: None,
        run_id="preview",
        scope=scope,
    )
    machine.begin()
    out = []
    for step in plan.steps:
        status, result = machine.statuses[step.key], machine.results[step.key]
        decision = machine.decisions.get(step.key)
        if status is StepStatus.REUSED and decision is not None and decision.entry is not None:
            out.append(
                StepPreview(step.key, "reuse", result.reason, result.fingerprint,
                            decision.entry.run_id)
            )  # fmt: skip
        elif status in (StepStatus.QUEUED, StepStatus.RUNNING):
            out.append(StepPreview(step.key, "run", result.reason, result.fingerprint))
        else:
            waits = tuple(d for d in step.dependencies if machine.statuses[d] not in DONE)
            names = ", ".join(f"`{d}`" for d in waits)
            out.append(StepPreview(step.key, "after", f"decided once {names} ran", after=waits))
    return out
