"""Celery tasks of the distributed path: advance a run, and run one step on a worker; and the
reconciler each worker runs once it is ready."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from celery import shared_task
from celery.signals import (
    task_prerun,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from celery.worker.request import Request
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from designer.engine import memory
from designer.engine.events import Event, EventType
from designer.engine.held import recent_tables
from designer.engine.runners.routing import step_image
from designer.engine.worker import run_step as engine_run_step
from designer.realtime import broadcast
from designer.realtime.protocol import LOG_BATCH_SECONDS
from designer.runs import distributed, engine_setup, heartbeat, reconciler, services
from designer.runs.heartbeat import Heartbeat

T = TypeVar("T")
logger = logging.getLogger(__name__)
_reconciler: subprocess.Popen[bytes] | None = None  # this worker's (runs.reconciler)
DATABASE_PATIENCE = 120.0  # seconds a step's claim or result waits for the database to be back
_attempt: tuple[int, str, int] | None = None  # the step attempt this pool process runs


def _patiently(act: Callable[[], T]) -> T:
    """`act()`, tried again on a fresh connection while the database is unreachable (it
    restarted): a finished step's result is saved once it is back, not lost."""
    deadline = time.monotonic() + DATABASE_PATIENCE
    while True:
        try:
            return act()
        except (OperationalError, InterfaceError):
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


@worker_init.connect
def preload(sender: Any = None, **_: Any) -> None:
    """Import what steps use before the pool forks, so no step pays for it (and its heartbeat
    thread is not starved by a cold import), and size the table cache of each pool process by
    their number. What is loaded then lives as long as the processes: it is frozen out of the
    collector's reach, so that a full collection in a pool process (some 250 ms of CPU, in the
    middle of a step or a transition) scans only what the process made since, not its ~300,000
    objects."""
    for name in engine_setup.PRELOAD:
        __import__(name)
    processes = getattr(sender, "concurrency", None) or os.cpu_count() or 1
    recent_tables.configure(int(processes), engine_setup.worker_memory_limit())
    gc.freeze()


@worker_process_init.connect
def watch_memory(**_: Any) -> None:
    """A pool process past DESIGNER_WORKER_MAX_MEMORY_MB reports its step as out of memory and
    ends (Celery starts another), as the local runner stops its workers (decision 0074)."""
    limit = engine_setup.worker_memory_limit()
    if limit:
        os.environ[memory.LIMIT_VARIABLE] = str(limit)  # what a step may use (the Join asks)
        threading.Thread(target=_watch, args=(limit,), daemon=True, name="worker-memory").start()


def _watch(limit: int) -> None:
    while True:
        time.sleep(memory.POLL_SECONDS)
        used = memory.resident(os.getpid())
        if used is None or used <= limit:
            continue
        attempt = _attempt
        if attempt is not None:  # told first: a lost worker's attempt would be retried
            try:
                distributed.report(*attempt, memory.failure(limit))
            except Exception:
                logger.exception("reporting a step out of memory failed")
        logger.error("pool process %s stopped: %s bytes past its limit", os.getpid(), used)
        os.kill(os.getpid(), signal.SIGKILL)


@task_prerun.connect
def reuse_connection(**_: Any) -> None:
    """A task uses the connection the one before it left open (Celery's own fixup would close
    it: settings.CELERY_DB_REUSE_MAX), unless that one broke or outlived CONN_MAX_AGE, as
    Django does between two requests."""
    close_old_connections()


@worker_process_shutdown.connect
def send_publishes(**_: Any) -> None:
    """A pool process that goes sends the events it handed to its publisher first (it ends
    without running atexit), and removes its scratch folder."""
    broadcast.flush()
    if _scratch.cache_info().currsize:
        shutil.rmtree(_scratch(os.getpid()), ignore_errors=True)


@lru_cache(maxsize=1)
def _scratch(pid: int) -> str:
    """The work directory this pool process's steps share, one after another (emptied before
    and after each: engine.worker.run_step's `scratch`), rather than one made and removed for
    each step."""
    return tempfile.mkdtemp(prefix=f"designer-steps-{pid}-")


@worker_ready.connect
def start_reconciler(**_: Any) -> None:
    """Every worker has a reconciler process sweeping for lost attempts and overdue runs."""
    global _reconciler
    _reconciler = reconciler.start()


@worker_shutdown.connect
def stop_reconciler(**_: Any) -> None:
    """The reconciler goes with its worker."""
    if _reconciler is not None:
        _reconciler.terminate()
        _reconciler.wait(10)


@shared_task(name="designer.runs.advance_run")
def advance_run(run_id: int) -> None:
    """Start a queued run, or move it on when a deadline or a retry fell due; then run the step
    that started here (the first it launched), and the steps those start here, and so on."""
    claimed = distributed.advance(run_id, run_here=True)
    while claimed is not None:
        claimed = _run_claimed(*claimed)


class _Reporter:
    """Collects a step's logs and progress and saves them at most every 100 ms."""

    def __init__(self, run_id: int, key: str, attempt: int):
        self.run_id, self.key, self.attempt = run_id, key, attempt
        self.pending: list[Event] = []
        self.last = time.monotonic()

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "log":
            event = Event(EventType.STEP_LOG, self.key, {**data, "attempt": self.attempt})
        else:
            event = Event(EventType.STEP_PROGRESS, self.key, dict(data))
        self.pending.append(event)
        if time.monotonic() - self.last >= LOG_BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            services.record_events(self.run_id, self.pending)
        self.pending = []
        self.last = time.monotonic()

    def take(self) -> list[Event]:
        """What is not saved yet (the step's last logs and progress), to save with its result."""
        pending, self.pending = self.pending, []
        return pending


class StepRequest(Request):
    """A `run_step` task as a worker receives it: one whose attempt a sibling's report already
    started in place (heartbeat.taken) is dropped there, as a revoked task is, rather than
    handed to a pool process to claim and find stale (a fan-out's ~195 such tasks, each a
    task run, a look at the database and an acknowledgement, took a tenth of its CPU)."""

    def revoked(self) -> bool:
        if super().revoked():
            return True
        args = self.args
        if len(args) < 4 or not heartbeat.taken(self.id, str(args[3])):
            return False
        logger.info("dropped %s: its attempt was started in place", self.id)
        self._announce_revoked("started in place", False, None, False)
        return True


@shared_task(name="designer.runs.run_step", Request=StepRequest)
def run_step(run_id: int, key: str, task: dict[str, Any], run: str = "") -> None:
    """Run one step attempt in this worker process and report its result to the run; then run
    the step the report started here (one it made ready, or a queued one), and so on. `run`:
    the run's creation time (distributed.run_stamp), for the worker's StepRequest."""
    attempt = int(task["attempt"])
    if not _patiently(lambda: distributed.claim(run_id, key, attempt)):
        return  # stale: a redelivery, or the run moved on
    claimed: distributed.Claimed | None = (run_id, key, task)
    while claimed is not None:
        claimed = _run_claimed(*claimed)


def _run_claimed(run_id: int, key: str, task: dict[str, Any]) -> distributed.Claimed | None:
    """Run a claimed attempt and report its result; the next step to run here (of this run, or
    of another workspace's run owed this process), if any."""
    global _attempt
    attempt = int(task["attempt"])
    reporter = _Reporter(run_id, key, attempt)
    _attempt = (run_id, key, attempt)
    with Heartbeat(distributed.task_id(run_id, key, attempt)):  # until the result is saved
        if step_image(task):
            result = engine_setup.run_step_in_image(task, reporter)
        else:
            scratch = _scratch(os.getpid())  # by pid: a forked process makes its own
            result = engine_run_step(
                task, reporter, capture_output=True, chdir=True, scratch=scratch
            )
        logs = reporter.take()  # saved in the report's transaction, not one of their own
        try:
            return _report(run_id, key, attempt, result, logs)
        finally:
            _attempt = None


def _report(
    run_id: int, key: str, attempt: int, result: dict[str, Any], logs: list[Event]
) -> distributed.Claimed | None:
    """Save a step's result; the step this process runs next. That is the run's next step,
    started in place, unless a run of another workspace is owed this process
    (runs/priority.owed_worker). Then it is that run's first step (a queued run's start) or its
    queued step, started before the result is saved: the run left never seems to hold no
    worker meanwhile (the owed run's own workers would give way to it). A process freed at the
    same moment may have taken the owed step: then the run's next."""
    owed = _patiently(lambda: distributed.owed(run_id))
    taken = None if owed is None else _take_owed(owed)
    mine = _patiently(
        lambda: distributed.report(run_id, key, attempt, result, run_here=taken is None, logs=logs)
    )
    return taken or mine


def _take_owed(run_id: int) -> distributed.Claimed | None:
    """The owed run's step started here (distributed.take_queued), or None: also when starting
    it failed, which is logged and never costs the result this process is about to save."""
    try:
        return _patiently(lambda: distributed.take_queued(run_id))
    except Exception:
        logger.exception("could not start a step of run %s, owed a worker", run_id)
        return None
