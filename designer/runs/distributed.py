"""The distributed path: each step is a Celery task; the run state machine decides in the database.

Every change to a Celery run is one transaction under the Run row lock (`_transition`): the
run's `engine.machine.RunMachine` is rebuilt from its StepRun rows, told what happened (the run
starts, a worker took a step, a step finished or its worker was lost, the clock moved on), and
what it decided is saved — StepRun rows and RunEvents through `translate`, exactly as the
local coordinator's events are — and carried out after the commit: step tasks sent (task id
`run<id>-<key>-<attempt>`; the first step a worker's result makes ready, else a queued one,
is started by that worker instead, in the same transaction), killed ones revoked, and an
`advance_run` queued for the moment a deadline or a retry falls due when that moment moved
(it is saved as `Run.wake_at`, which every worker's reconciler also watches: an `advance_run`
held by a worker that died is no lost wake-up). Nothing but each run's immutable plan lives in
memory, so any worker (or the web server) may make the next transition, and the web server can
restart meanwhile. Only a step task whose attempt the machine launched is started (`claim`),
and only a result of the attempt that is running is taken (`report`), so a redelivered task or
a late result never runs, writes or announces anything twice.

The machine's clock is the database's (PostgreSQL's `clock_timestamp()`, advanced by this
process's monotonic clock), and the events' times are stamped with it: deadlines, retries and
attempt times agree across hosts, and a worker whose wall clock jumps decides nothing early.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When

from designer.engine.artifacts import OutputRecord
from designer.engine.events import Event
from designer.engine.machine import KnownStep, RunMachine, Task, attempt_task_id
from designer.engine.plan import Plan, PlanError
from designer.engine.worker import make_task
from designer.runs import engine_setup, eventlog, heartbeat, room, transition_sql, translate
from designer.runs.models import Run, RunStatus, StepRun, StepStatus
from designer.runs.priority import owed_worker, step_priority

FINAL_RUN = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED)
DATABASE_NOW = transition_sql.DATABASE_NOW
logger = logging.getLogger(__name__)
WAKE_MARGIN = 0.05  # seconds an advance is sent after the wake-up it is for (then it is due)
Claimed = tuple[int, str, dict[str, Any]]  # a step attempt started for this process: run, key, task


def task_id(run_id: int, key: str, attempt: int) -> str:
    """The Celery task id of one attempt of one step (deterministic, so it can be revoked)."""
    return f"run{run_id}-{key}-{attempt}"


def database_clock(now: float | None = None) -> Callable[[], float]:
    """A clock (epoch seconds) that reads the database's time once (or starts at `now`, read
    with the run's lock) and then runs on this process's monotonic clock; this process's wall
    clock where the database has none (SQLite: one host)."""
    if connection.vendor != "postgresql":
        return time.time
    if now is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {DATABASE_NOW}")
            (now,) = cursor.fetchone()
    base, since = float(now), time.monotonic()
    return lambda: base + time.monotonic() - since


def _lock(run_id: int) -> tuple[Run, Callable[[], float]]:
    """The run's row, locked (eventlog.lock_run), and the machine's clock, read in the same
    query (one round trip, not two)."""
    if connection.vendor != "postgresql":
        return eventlog.lock_run(run_id), time.time
    locked, now = transition_sql.lock_run(run_id)
    return locked, database_clock(now)


def advance_later(run_id: int, at: float | None = None, *, priority: int = 0) -> None:
    """Queue an advance of the run on the workers (called after the run is committed): now,
    or at `at` (epoch seconds on the machine's clock, the database's). The message's ETA is
    that moment itself: a countdown would become an ETA on this host's wall clock (Celery
    adds it to the sender's `now`), two hours late when this host's clock is two hours ahead. The
    worker holding the message fires it on its own wall clock, so a wrong clock there
    advances early (which decides nothing: the machine reads the database's clock) or late
    (then the reconcilers' sweep of overdue `wake_at`, on the database's clock, does it).
    `priority`: the run's broker priority (`Run.priority`)."""
    from designer.runs.tasks import advance_run

    if at is None:
        advance_run.apply_async((run_id,), priority=priority)
    else:
        eta = datetime.fromtimestamp(at, tz=UTC)
        advance_run.apply_async((run_id,), eta=eta, priority=priority)


def stop_tasks(run_id: int) -> None:
    """Revoke (and terminate) the step tasks of a canceled run."""
    steps = StepRun.objects.filter(run_id=run_id, attempts__gt=0).values_list("key", "attempts")
    _revoke([task_id(run_id, key, attempts) for key, attempts in steps])


def _revoke(ids: list[str]) -> None:
    """Revoke (and terminate) step attempts' tasks, and the tasks of earlier steps that the
    running ones among them run inside (a worker runs a step it made ready itself)."""
    from designer.celery import app

    ids = sorted({*ids, *heartbeat.carrier_tasks(ids)})
    if ids:
        app.control.revoke(ids, terminate=True)


class CeleryLauncher:
    """Collects what the machine asks for; it is carried out once the transition commits."""

    def __init__(self, run: Run, plan: Plan, clock: Callable[[], float]):
        self.run, self.plan, self.clock = run, plan, clock  # the machine's (the database's)
        self.sends: list[tuple[str, dict[str, Any]]] = []
        self.kills: list[str] = []
        self.wake_at: float | None = None  # the run's new wake-up, when the transition moved it
        self.here: tuple[str, dict[str, Any]] | None = None  # the step this process runs next
        self.beats: list[str] = []  # attempts started in this transition (their heartbeats)
        self.taken: str | None = None  # a queued attempt started here, whose task is out
        self.holding = False  # whether the run holds a worker after this transition

    def launch(self, task: Task) -> None:
        self.sends.append((task.key, self._task(task.key, task.attempt, task.inputs)))

    def _task(self, key: str, attempt: int, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return make_task(
            self.plan.step(key),
            inputs,
            run_id=str(self.run.pk),
            attempt=attempt,
            store=engine_setup.artifact_store().root,
            datasets=engine_setup.dataset_space(self.run),
            min_free=room.disk_floor(),
        )

    def place(self, task: Task) -> bool:
        return False  # no worker holds outputs in memory for another: never speculates

    def kill(self, machine_task_id: str) -> None:
        _, key, attempt = machine_task_id.rsplit(":", 2)
        self.kills.append(task_id(self.run.pk, key, int(attempt)))

    def wake(self, at: float) -> None:
        """Nothing to do here: the transition saves the machine's next wake-up as the run's
        `wake_at` and queues an advance for it when it moved (`wake_at` above)."""

    def start_here(self, machine: RunMachine, waiting: str | None) -> None:
        """Start a step in this process rather than leave it to a worker taking its task: the
        first step this transition launched (then it is not sent), else the queued attempt of
        step `waiting`, whose task was sent before (the worker that takes it drops it: the
        attempt has started). The worker that reported a result runs it next: no broker round
        trip and no claim of its own (it starts in this transition, with its heartbeat, as a
        claim would: see `beat`)."""
        if self.sends:
            key, task = self.here = self.sends.pop(0)
        else:
            queued = (a for a in machine.running.values() if a.key == waiting and not a.started)
            attempt = next(queued, None)
            if attempt is None:
                return
            key = attempt.key
            task = self._task(key, attempt.number, machine.decision(key).inputs)
            self.here = (key, task)
            self.taken = task_id(self.run.pk, key, attempt.number)
        machine.started(attempt_task_id(str(self.run.pk), key, task["attempt"]))
        self.beat(task_id(self.run.pk, key, task["attempt"]))

    def beat(self, name: str) -> None:
        """Start attempt `name`'s heartbeat with this transition (see `redis_writes`)."""
        self.beats.append(name)

    def redis_writes(self) -> heartbeat.Pending:
        """Send this transition's Redis writes, to be waited for before it commits: the
        heartbeats of the attempts it started (an attempt is never running without a key that
        names the task it runs in), and the marks of the tasks it sends (a reconciler's sweep
        that sees their attempts queued never takes them for lost messages while they are
        being sent; if this process dies before sending, the marks expire and the sweep sends
        them, see heartbeat.sent_lately)."""
        sent = [task_id(self.run.pk, key, task["attempt"]) for key, task in self.sends]
        return heartbeat.Pending(self.beats, sent)

    def carry_out(self) -> None:
        """Send, revoke and schedule (after the transition committed); note a queued attempt
        started here as taken, so that its task is dropped where it is received."""
        if self.taken is not None:
            heartbeat.mark_taken(self.taken, run_stamp(self.run))
        _send_steps(self.run, self.sends, step_priority(self.run.priority, self.holding))
        _revoke(self.kills)
        if self.wake_at is not None:
            advance_later(self.run.pk, self.wake_at + WAKE_MARGIN, priority=self.run.priority)


FIRST_SENDS = 8  # a large batch's first tasks, in Redis before the others are built


def run_stamp(run: Run) -> str:
    """What tells a run from another with its id (another database's): its creation time."""
    return run.created_at.isoformat()


def _send_steps(run: Run, sends: list[tuple[str, dict[str, Any]]], priority: int) -> None:
    """Send step tasks: several in one broker round trip (a publish batch: a fan-out's first
    transition sends 199, the first FIRST_SENDS handed to Redis before the rest are built, so
    idle workers start on them meanwhile), else, or if the batch fails, one by one with the
    publish retries (those not handed to Redis yet: a duplicate of a message the failed part
    did deliver is dropped by its claim). Each message's
    `argsrepr` (what worker logs and task events show of its arguments) names the run, step
    and attempt: Celery would otherwise build a `saferepr` of the whole task, its inputs and
    module spec, for every message (some 40% of the CPU of sending a fan-out's 199, measured).
    Each goes at `priority` (runs/priority.step_priority)."""
    from designer.celery import app
    from designer.runs.tasks import run_step

    run_id, stamp = run.pk, run_stamp(run)
    messages = [
        ((run_id, key, task, stamp), task_id(run_id, key, task["attempt"])) for key, task in sends
    ]
    flushed = 0  # messages handed to Redis
    if len(messages) > 1:
        try:
            with app.producer_or_acquire() as producer, producer.batch() as batch:
                for count, (args, name) in enumerate(messages, start=1):
                    run_step.apply_async(
                        args,
                        task_id=name,
                        producer=producer,
                        priority=priority,
                        **_shown(args, name),
                    )
                    if count == FIRST_SENDS and len(messages) > count:
                        batch.flush()
                        flushed = count
            return
        except Exception:
            logger.warning(
                "a batch of %d step tasks failed: sent one by one", len(messages) - flushed
            )
    for args, name in messages[flushed:]:
        run_step.apply_async(args, task_id=name, priority=priority, **_shown(args, name))


def _shown(args: tuple[Any, ...], name: str) -> dict[str, str]:
    """What a step task's message shows of its arguments (`argsrepr`, `kwargsrepr`)."""
    run_id, key, _, stamp = args
    return {"argsrepr": f"({run_id}, {key!r}, <task {name}>, {stamp!r})", "kwargsrepr": "{}"}


def _epoch(value: datetime | str | None) -> float | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.timestamp()


@dataclass(frozen=True)
class _Setup:
    """What a run was created with (its options, workspace, graph and plan): fixed for its
    life, so each process reads and parses it once, not at every transition."""

    run: Run
    plan: Plan


_CREATED: dict[int, datetime] = {}  # run id -> creation time, of runs this process saw (_setup)
KNOWN_RUNS = 1024


def remember(run_id: int, created: datetime) -> None:
    """Note a run's creation time (`_CREATED`): this process knows its plan from now on."""
    if len(_CREATED) >= KNOWN_RUNS:
        _CREATED.clear()
    _CREATED[run_id] = created


@lru_cache(maxsize=16)
def _setup(run_id: int, created: datetime) -> _Setup:
    runs = Run.objects.select_related("graph_version", "shared_plan")
    run = runs.defer("graph_version__document").get(pk=run_id)  # its graph's id is all it reads
    return _Setup(run, Plan.from_dict(run.plan))


STATE_FIELDS = ("key", "status", "attempts", "reason", "fingerprint", "error", "retry_at")
State = tuple[str, str, int, str, str, str, datetime | None]  # a step's STATE_FIELDS
ROW_FIELDS = tuple(f.attname for f in StepRun._meta.concrete_fields)
WHOLE_ONLY = transition_sql.WHOLE_ONLY


@dataclass(frozen=True)
class Around:
    """The steps a claim or a result can decide, whose whole rows it reads (with the steps
    they read); `queued`: also the rows of queued attempts (one of which it may start here)."""

    keys: frozenset[str]
    queued: bool = False


def _load_steps(
    run_id: int, around: Around | None, fetched: list[tuple[bool, StepRun]] | None = None
) -> tuple[dict[str, KnownStep], dict[str, StepRun]]:
    """The run's saved steps as the machine restores them, and the rows a transition may
    change (what `translate` saves): every step's state, and whole rows (outputs, current
    attempt's start, history) of the steps `around` names — of every step when None. A
    transition about one step needs those only of the steps it can decide. One query, or
    none when `fetched` holds its rows (transition_sql.lock_run_and_steps)."""
    if fetched is None:
        fetched = _step_rows(run_id, around)
    loaded = {row.key: row for whole, row in fetched if whole}
    known = {row.key: known_step(row_state(row), loaded.get(row.key)) for _, row in fetched}
    return known, loaded


def _step_rows(run_id: int, around: Around | None) -> list[tuple[bool, StepRun]]:
    """The run's step rows, each with whether it is whole (see _load_steps)."""
    if connection.vendor == "postgresql":
        keys = None if around is None else around.keys
        return transition_sql.steps(run_id, keys, around is not None and around.queued)
    rows = StepRun.objects.filter(run_id=run_id)
    if around is None:
        return [(True, row) for row in rows]
    whole = Q(key__in=around.keys)
    if around.queued:
        whole |= Q(status=StepStatus.QUEUED, attempts__gt=0)
    marked = rows.annotate(
        whole=Case(When(whole, then=Value(True)), default=Value(False)),
        **{
            f"part_{name}": Case(
                When(whole, then=F(name)), output_field=StepRun._meta.get_field(name)
            )
            for name in WHOLE_ONLY
        },
    )
    names = [f"part_{name}" if name in WHOLE_ONLY else name for name in ROW_FIELDS]
    return [
        (values[0], StepRun.from_db(rows.db, ROW_FIELDS, values[1:]))
        for values in marked.values_list("whole", *names)
    ]


def known_step(state: State, row: StepRun | None) -> KnownStep:
    """A step as the machine restores it: its state, and its outputs and current attempt's
    start from its whole `row` (none when not loaded)."""
    _, status, attempts, reason, fingerprint, error, retry_at = state
    outputs = row.outputs if row is not None else {}
    current = row.history[-1] if row is not None and row.history else {}
    return KnownStep(
        status=status,
        attempts=attempts,
        outputs={port: OutputRecord.from_dict(info) for port, info in outputs.items()},
        reason=reason,
        fingerprint=fingerprint,
        error=error or None,
        started=_epoch(current.get("started_at")),
        retry_at=_epoch(retry_at),
    )


def row_state(row: StepRun) -> State:
    """A whole row's STATE_FIELDS."""
    return tuple(getattr(row, name) for name in STATE_FIELDS)  # type: ignore[return-value]


def machine_for(
    launcher: CeleryLauncher, events: list[Event], known: Mapping[str, KnownStep]
) -> RunMachine:
    """The run's machine restored from `known` steps, deciding through `launcher` on its
    clock; what it emits goes to `events`, stamped with that clock."""
    run, clock = launcher.run, launcher.clock
    return RunMachine(
        launcher.plan,
        cache=engine_setup.cache_for(run),
        store=engine_setup.artifact_store(),
        launcher=launcher,
        emit=lambda event: events.append(dataclasses.replace(event, time=clock())),
        run_id=str(run.pk),
        policy=engine_setup.policy(run),
        scope=engine_setup.scope(run),
        capacity=None,  # Celery's queue takes every task: a step starts when a worker claims it
        clock=clock,
        known=known or None,
    )


def _transition(
    run_id: int,
    act: Callable[[RunMachine], bool],
    around: Callable[[Plan], Around] | None = None,
    here: Callable[[RunMachine, dict[str, StepRun]], str | None] | None = None,
    before: Sequence[Event] = (),
) -> CeleryLauncher | None:
    """Rebuild the run's machine under the row lock, let `act` tell it something, save what
    it decided, and carry that out after the commit (`here`: but start a step in this
    process, see CeleryLauncher.start_here; given the machine and the rows loaded, it names
    the queued step to start when the transition launched none; `before`: events saved ahead
    of the machine's, a step's last logs). The launcher, or None (nothing saved) when the run
    is final or `act` returns False (a stale report).

    With `around` (a step's claim or result) the machine knows every step's state but the
    outputs only of the steps `around` names — those a result can decide — and the clock is
    not acted on (an `advance` does that, with everything loaded): the run's saved wake-up is
    kept unless an earlier one comes up, and a transition costs about the same for a step of a
    200-step fan-out as for one of a chain.
    """
    with transaction.atomic():
        locked, clock, fetched = _lock_and_read(run_id, around)
        if locked.status in FINAL_RUN:
            return None
        try:
            setup = _setup(run_id, locked.created_at)
        except PlanError as exc:  # damaged, or saved by a version reading plans otherwise
            error = f"The run's plan cannot be read: {exc}"
            eventlog.append(locked, translate.finish_run(locked, RunStatus.FAILED, error))
            return None
        remember(run_id, locked.created_at)
        run, plan = setup.run, setup.plan
        events: list[Event] = list(before)
        launcher = CeleryLauncher(run, plan, clock)
        fresh = locked.status == RunStatus.QUEUED
        near = None if around is None else around(plan)
        if fresh:  # nothing to restore; the rows read with the lock are those it queues
            known, rows = {}, {row.key: row for whole, row in fetched or () if whole}
        else:
            known, rows = _load_steps(run_id, near, fetched)
        machine = machine_for(launcher, events, known)
        if fresh:
            machine.begin()
        if not act(machine):
            return None
        if around is None:
            machine.poll()
        if here is not None:
            launcher.start_here(machine, here(machine, rows))
        launcher.holding = any(a.started is not None for a in machine.running.values())
        if machine.settled:
            machine.finish()
        wake = None if machine.settled else machine.next_wake()
        if around is not None and locked.wake_at is not None and not machine.settled:
            wake = locked.wake_at if wake is None else min(wake, locked.wake_at)
        moved = wake != locked.wake_at
        launcher.wake_at = wake if moved else None  # an advance is queued for an unmoved one
        locked.wake_at = wake
        changed = ("wake_at",) if moved else ()
        if fresh:  # its start, which translate leaves to the events' statement
            changed += ("status", "started_at")
        pending: list[tuple[str, list[Any]]] = []  # the rows' UPDATEs, run with the events'
        messages = translate.apply_events(locked, events, loaded=rows, pending=pending)
        writes = launcher.redis_writes()  # Redis answers while the database saves
        try:
            eventlog.append(locked, messages, run_fields=changed, before=pending)
            if changed and not messages:
                Run.objects.filter(pk=run_id).update(**{f: getattr(locked, f) for f in changed})
        finally:
            writes.wait()
        transaction.on_commit(launcher.carry_out)
    return launcher


def _lock_and_read(
    run_id: int, around: Callable[[Plan], Around] | None
) -> tuple[Run, Callable[[], float], list[tuple[bool, StepRun]] | None]:
    """The run's row locked, the machine's clock, and on PostgreSQL the step rows the
    transition reads, in the same round trip when this process knows which (an advance: all;
    a claim or a result: those `around` names in the run's plan, parsed here before). None
    for the rows: read them after the lock (_load_steps)."""
    created = _CREATED.get(run_id)
    if connection.vendor != "postgresql" or (around is not None and created is None):
        return (*_lock(run_id), None)
    near = None if around is None or created is None else around(_setup(run_id, created).plan)
    keys = None if near is None else near.keys
    locked, now, fetched = transition_sql.lock_run_and_steps(
        run_id, keys, near is not None and near.queued
    )
    if around is not None and locked.created_at != created:
        return locked, database_clock(now), None  # another run with this id: read again
    return locked, database_clock(now), fetched


def advance(run_id: int, *, run_here: bool = False) -> Claimed | None:
    """Start a queued run, or act on the clock: deadlines passed, retries due. `run_here` (an
    `advance_run` task): the first step this launches is started for this process to run (its
    key and task, returned) rather than sent: a run's first step costs no broker round trip
    and no claim of its own."""
    launcher = _transition(
        run_id, lambda machine: True, here=(lambda machine, rows: None) if run_here else None
    )
    return None if launcher is None or launcher.here is None else (run_id, *launcher.here)


def claim(run_id: int, key: str, attempt: int) -> bool:
    """A worker takes a step task: True if that attempt may start now. The attempt's heartbeat
    starts with the claim, so it is never running without one. A task whose attempt is no
    longer queued (a worker started it in place, or it is stale) is dropped without the lock.
    On PostgreSQL a claim goes beside the run's other sibling transitions (runs.siblings:
    it changes only its step's row), not under the run lock."""
    from designer.runs import siblings

    if not transition_sql.is_queued(run_id, key, attempt):
        return False
    beside = siblings.claim(run_id, key, attempt)
    if beside is not None:
        return beside
    name = attempt_task_id(str(run_id), key, attempt)

    def act(machine: RunMachine) -> bool:
        if not machine.started(name):
            return False
        assert isinstance(machine.launcher, CeleryLauncher)
        machine.launcher.beat(task_id(run_id, key, attempt))
        return True

    def around(plan: Plan) -> Around:
        return Around(frozenset({key, *plan.step(key).dependencies}))

    return _transition(run_id, act, around) is not None


def report(
    run_id: int,
    key: str,
    attempt: int,
    result: dict[str, Any],
    *,
    run_here: bool = False,
    logs: Sequence[Event] = (),
) -> Claimed | None:
    """A step attempt ended (worker.run_step's result, or its worker was lost): save it and
    move the run on. A report about an attempt that is no longer running is dropped; `logs`
    (the attempt's last log and progress events, saved first in the same transaction) are
    saved anyway, unless the run is final.
    `run_here`: a step this made ready, else a queued one whose task is still in the broker,
    is started for this process to run (returned) rather than left to the queue: in a fan-out,
    one transition a step instead of a claim and a result; and a fan-out sibling's success is
    saved beside the other siblings' (runs.siblings)."""
    from designer.runs import services, siblings

    if run_here and siblings.applies(run_id, key, result):
        saved, here = siblings.report(run_id, key, attempt, result, logs)
        if saved:
            return None if here is None else (run_id, *here)
    name = attempt_task_id(str(run_id), key, attempt)

    def act(machine: RunMachine) -> bool:
        if name not in machine.running:
            return False
        machine.message(name, "done", result)
        return True

    def around(plan: Plan) -> Around:
        return Around(frozenset(_decidable(plan, key)), queued=run_here)

    def waiting(machine: RunMachine, rows: dict[str, StepRun]) -> str | None:
        return _first_queued(machine, rows, skip=_decidable(machine.plan, key))

    launcher = _transition(run_id, act, around, waiting if run_here else None, logs)
    if launcher is None:
        if logs:
            services.record_events(run_id, list(logs))  # a stale attempt's, as told
        return None
    return None if launcher.here is None else (run_id, *launcher.here)


def take_queued(run_id: int) -> Claimed | None:
    """Start here, for a process another run's step freed (runs/priority.owed_worker), the
    first step of a queued run (its start, as its `advance_run` would, which then finds it
    started), or of a run going the first step (in plan order) whose task waits in the queue
    (its task's message is dropped where it is received). None when the run has no such step
    any more."""
    launcher = _transition(run_id, lambda machine: True, here=_first_queued)
    return None if launcher is None or launcher.here is None else (run_id, *launcher.here)


def _first_queued(
    machine: RunMachine, rows: dict[str, StepRun], skip: Collection[str] = ()
) -> str | None:
    """The first step in plan order, not in `skip`, with a queued attempt whose row and whose
    inputs' rows the transition loaded (all of them, when it loads every row)."""
    plan = machine.plan
    queued = {a.key for a in machine.running.values() if a.started is None}
    return next(
        (
            step
            for step in plan.order
            if step in queued
            and step in rows
            and step not in skip
            and all(dep in rows for dep in plan.step(step).dependencies)
        ),
        None,
    )


def owed(run_id: int) -> int | None:
    """Another workspace's run the process that ended a step of the run goes to
    (runs/priority.owed_worker); None for a run this process does not know yet (its next
    step's end asks)."""
    created = _CREATED.get(run_id)
    return None if created is None else owed_worker(_setup(run_id, created).run)


def _decidable(plan: Plan, key: str) -> set[str]:
    """The steps a result of `key` can decide (itself and every step downstream: a reused
    step makes its dependents ready in the same transition), with the steps they read."""
    steps = {key, *plan.downstream(key)}
    return steps.union(*(plan.step(step).dependencies for step in steps))


def resend(run_id: int, key: str, attempt: int) -> None:
    """Send the task of a queued attempt again: its message may be lost (a broker that lost
    its data, a send that never happened because its process died after the commit: its mark
    expired). A duplicate is harmless: only the first claim of an attempt starts it."""
    name = attempt_task_id(str(run_id), key, attempt)

    def act(machine: RunMachine) -> bool:
        queued = machine.running.get(name)
        if queued is None or queued.started is not None:
            return False
        machine.launcher.launch(Task(name, key, attempt, dict(machine.decision(key).inputs)))
        return True

    _transition(run_id, act)


def queued_attempts() -> list[tuple[int, str, int]]:
    """(run id, step key, attempt) of every Celery step attempt sent and not yet started."""
    rows = StepRun.objects.filter(
        status=StepStatus.QUEUED,
        attempts__gt=0,
        run__status=RunStatus.RUNNING,
        run__runner="celery",
    ).values_list("run_id", "key", "attempts")
    return list(rows)


def running_attempts(started_before: float) -> list[tuple[int, str, int]]:
    """(run id, step key, attempt) of every Celery step attempt running now that started
    before `started_before` (machine clock)."""
    rows = StepRun.objects.filter(
        status=StepStatus.RUNNING, run__status=RunStatus.RUNNING, run__runner="celery"
    ).values_list("run_id", "key", "attempts", "history")
    return [
        (run_id, key, attempts)
        for run_id, key, attempts, history in rows
        if _attempt_start(history) < started_before
    ]


def _attempt_start(history: list[dict[str, Any]]) -> float:
    """When a step's current attempt started (machine clock; 0 when unknown)."""
    return (_epoch(history[-1].get("started_at")) if history else None) or 0.0
