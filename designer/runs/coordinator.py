"""The embedded run coordinator: drives engine.execute() with worker pools in the server.

Each run executes on a background thread of the server process; user code runs only in the
LocalRunner's worker processes, or in a container for a step whose module names an image
(RoutingRunner). Engine events go through a queue to a writer thread that saves
them in batches (runs.services.record_events), holding log lines back for up to 100 ms so that
a chatty step produces a few capped step.log messages instead of one per line.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection

from designer.engine.cancel import CancelToken
from designer.engine.events import Event, EventType
from designer.engine.execute import execute
from designer.engine.plan import Plan
from designer.engine.runners.routing import RoutingRunner
from designer.realtime.protocol import LOG_BATCH_SECONDS
from designer.runs import dispatch, engine_setup, room, services
from designer.runs.fair_slots import FairSlots
from designer.runs.models import Run, RunStatus

logger = logging.getLogger(__name__)
MAX_CONCURRENT_RUNS = 2  # each run gets its own warm pool of DESIGNER_WORKERS processes
COALESCE_SECONDS = 0.005  # a state change waits this long for the events right behind it
_STOP = object()


class EventWriter:
    """Saves a run's engine events in batches on its own thread (logs held back ≤ 100 ms)."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.finished = False  # whether the engine reported the run's end
        self.error = ""  # set when a batch could not be saved
        self.queue: queue.Queue[object] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name=f"run-{run_id}-events", daemon=True)
        self.thread.start()

    def emit(self, event: Event) -> None:
        """The executor's emit callback (any thread)."""
        if event.type is EventType.RUN_FINISHED:
            self.finished = True
        self.queue.put(event)

    def close(self) -> None:
        """Write what is left and stop."""
        self.queue.put(_STOP)
        self.thread.join()

    def _save(self, events: list[Event]) -> None:
        try:
            services.record_events(self.run_id, events)
        except Exception as exc:  # keep draining; the coordinator fails the run afterwards
            logger.exception("run %s: could not save %d events", self.run_id, len(events))
            self.error = f"Could not save the run's progress: {exc}"

    def _loop(self) -> None:
        pending: list[Event] = []
        logs_since: float | None = None
        try:
            while True:
                timeout = (
                    None
                    if logs_since is None
                    else max(0.0, logs_since + LOG_BATCH_SECONDS - time.monotonic())
                )
                try:
                    item = self.queue.get(timeout=timeout)
                except queue.Empty:
                    item = None
                stop = item is _STOP
                if isinstance(item, Event):
                    pending.append(item)
                    if item.type is not EventType.STEP_LOG:
                        time.sleep(COALESCE_SECONDS)  # let a burst (e.g. many reuses) gather
                    while not self.queue.empty():
                        more = self.queue.get_nowait()
                        if more is _STOP:
                            stop = True
                            break
                        pending.append(more)  # type: ignore[arg-type]
                only_logs = all(e.type is EventType.STEP_LOG for e in pending)
                if only_logs and pending and not stop:
                    logs_since = logs_since or time.monotonic()
                    if time.monotonic() - logs_since < LOG_BATCH_SECONDS:
                        continue
                if pending:
                    self._save(pending)
                pending, logs_since = [], None
                if stop:
                    return
        finally:
            connection.close()


class Coordinator:
    """Starts and cancels runs in this process; at most MAX_CONCURRENT_RUNS execute at once,
    shared fairly between workspaces."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[int, CancelToken] = {}
        self.idle: list[RoutingRunner] = []
        self.slots = FairSlots(MAX_CONCURRENT_RUNS)
        atexit.register(self.close)

    def close(self) -> None:
        """Stop the idle worker pools (at interpreter exit)."""
        with self.lock:
            idle, self.idle = self.idle, []
        for runner in idle:
            runner.close()

    def start(self, run_id: int) -> None:
        """Execute a queued run on a background thread."""
        with self.lock:
            self.tokens[run_id] = CancelToken()
        threading.Thread(
            target=self._drive, args=(run_id,), name=f"run-{run_id}", daemon=True
        ).start()

    def active(self, run_id: int) -> bool:
        """Whether a run still has a thread in this process."""
        with self.lock:
            return run_id in self.tokens

    def cancel(self, run_id: int) -> None:
        """Stop a run's running steps (its canceled state is already saved)."""
        with self.lock:
            token = self.tokens.get(run_id)
        if token is not None:
            token.cancel()

    def _runner(self) -> RoutingRunner:
        with self.lock:
            if self.idle:
                return self.idle.pop()
        return engine_setup.step_runner(settings.DESIGNER_WORKERS, engine_setup.PRELOAD)

    def warm(self) -> None:
        """Start one pool's workers now, unless a pool exists: they import PRELOAD while no
        run waits, so the first run starts on warm workers as every later one does."""
        with self.lock:  # a run that asks for a pool meanwhile waits for this one
            if self.idle or self.tokens:
                return
            self.idle.append(
                engine_setup.step_runner(
                    settings.DESIGNER_WORKERS, engine_setup.PRELOAD, started=True
                )
            )

    def _drive(self, run_id: int) -> None:
        token = self.tokens[run_id]
        try:
            close_old_connections()
            workspace = Run.objects.filter(pk=run_id).values_list("workspace_id", flat=True).first()
            if workspace is None:  # deleted meanwhile
                return
            with self.slots.slot(workspace):
                close_old_connections()
                run = (
                    Run.objects.select_related("graph_version")
                    .defer("graph_version__document")  # only its graph id is needed
                    .get(pk=run_id)
                )
                if run.status != RunStatus.QUEUED or token.canceled:
                    return
                self._execute(run, token)
        except Exception as exc:
            logger.exception("run %s crashed in the coordinator", run_id)
            try:
                services.finish(run_id, RunStatus.FAILED, f"The run coordinator failed: {exc}")
            except Exception:  # e.g. the run was deleted meanwhile: nothing left to mark
                logger.exception("run %s: could not record the failure", run_id)
        finally:
            with self.lock:
                self.tokens.pop(run_id, None)
            # the token closes its pipe when collected (CancelToken.__del__); closing it here
            # as well would close the fd numbers twice, possibly someone else's by then
            connection.close()

    def _execute(self, run: Run, token: CancelToken) -> None:
        writer = EventWriter(run.pk)
        runner = self._runner()
        policy = engine_setup.policy(run)
        try:
            execute(
                Plan.from_dict(run.plan),
                runner=runner,
                cache=engine_setup.cache_for(run),
                store=engine_setup.artifact_store(),
                emit=writer.emit,
                cancel=token,
                run_id=str(run.pk),
                scope=engine_setup.scope(run),
                datasets=engine_setup.dataset_space(run),
                min_free=room.disk_floor(),
                retries=policy.retries,
                backoff=policy.backoff,
                timeout=policy.timeout,
            )
        finally:
            writer.close()
            with self.lock:
                self.idle.append(runner)
        if writer.error or not writer.finished:
            reason = writer.error or "The run ended without reporting its outcome."
            services.finish(run.pk, RunStatus.FAILED, reason)


def recover() -> None:
    """Fail the local runs an earlier server process left unfinished: their threads are gone."""
    orphans = Run.objects.filter(
        runner="local",
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
        created_at__lt=dispatch.PROCESS_STARTED,
    ).values_list("pk", flat=True)
    for run_id in list(orphans):
        services.finish(
            run_id,
            RunStatus.FAILED,
            "The server restarted while this run was executing; run it again.",
        )


def start_in_background() -> None:
    """At server start, on a daemon thread: fail the runs an earlier process left unfinished
    (they would show as running until the next run) and warm one worker pool."""

    def start() -> None:
        try:
            get().warm()
        except Exception:  # the server serves on; the first run creates what is missing
            logger.exception("could not prepare the run coordinator at start")
        finally:
            connection.close()

    threading.Thread(target=start, name="coordinator-start", daemon=True).start()


_coordinator: Coordinator | None = None
_creating = threading.Lock()


def get() -> Coordinator:
    """The process's coordinator (created on first use, after recovering orphaned runs; once,
    whether the server's start or a first run's request gets here first)."""
    global _coordinator
    with _creating:
        if _coordinator is None:
            recover()
            _coordinator = Coordinator()
        return _coordinator
