"""The local executor: drives the run state machine (machine.py) with a Runner, in one thread.

One loop, no polling: it reports what the runner says to the machine and sleeps in
`runner.wait` until a message, the machine's next deadline or retry, or the cancel token wakes
it. A runner with a ``prefetch`` (LocalRunner) gets that many tasks beyond its capacity, which
wait in busy workers, so a worker never idles through a loop turn between two ready steps.
What the machine asks for — launch a task, place a speculative one on the worker holding
its inputs (runners with ``placeable``: LocalRunner, see docs/decisions/0007), kill one — goes
to the runner: this file decides only where steps run.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from designer.engine.cache import Cache
from designer.engine.cancel import CancelToken
from designer.engine.events import Event
from designer.engine.machine import Emit, Policy, RunMachine, Task
from designer.engine.plan import Plan
from designer.engine.results import RunResult
from designer.engine.runners.base import Runner
from designer.engine.store import ArtifactStore
from designer.engine.worker import make_task

# Seconds a settled run waits for its discarded speculative tasks to end on their own (one that
# waited behind a step that failed ends at once: its input is gone) before stopping their workers.
DRAIN_GRACE = 0.1


def _noop_emit(event: Event) -> None:
    return None


class RunnerLauncher:
    """Carries out the machine's requests on a Runner: tasks built by worker.make_task."""

    def __init__(
        self,
        plan: Plan,
        runner: Runner,
        *,
        run_id: str,
        store: ArtifactStore,
        datasets: str | None,
        workdir: str | os.PathLike[str] | None,
        min_free: int = 0,
    ):
        self.plan = plan
        self.steps: dict[str, dict[str, Any]] = {}  # task forms, made once per run when needed
        self.runner = runner
        self.run_id = run_id
        self.store_root = os.fspath(store.root)
        self.datasets = datasets
        self.workdir = None if workdir is None else os.fspath(Path(workdir))
        self.min_free = min_free
        placeable = getattr(runner, "placeable", None)
        self.placeable: Callable[[dict[str, Any]], bool] | None = (
            placeable if callable(placeable) else None
        )

    def step(self, key: str) -> dict[str, Any]:
        """The step's task form, made on its first launch (a reused step never needs one)."""
        known = self.steps.get(key)
        if known is None:
            known = self.steps[key] = self.plan.step(key).task_form()
        return known

    def task(self, task: Task) -> dict[str, Any]:
        built = make_task(
            self.step(task.key),
            task.inputs,
            run_id=self.run_id,
            attempt=task.attempt,
            store=self.store_root,
            datasets=self.datasets,
            workdir=self.workdir,
            min_free=self.min_free,
        )
        if self.placeable is not None:
            built["stage"] = True  # report "computed" before storing (decision 0007)
        return built

    def launch(self, task: Task) -> bool | None:
        return self.runner.submit(task.id, self.task(task))

    def place(self, task: Task) -> bool:
        # where it could go depends on its step and inputs: ask before building the whole task
        where = {"step": self.step(task.key), "inputs": task.inputs}
        if self.placeable is None or not self.placeable(where):
            return False
        self.runner.submit(task.id, self.task(task))
        return True

    def kill(self, task_id: str) -> None:
        self.runner.kill(task_id)

    def wake(self, at: float) -> None:
        return None  # the loop asks the machine for its next wake-up before each wait


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
    datasets: str | None = None,
    workdir: str | os.PathLike[str] | None = None,
    min_free: int = 0,
) -> RunResult:
    """Run `plan` and return what happened; progress is reported through `emit(event)`.

    - `runner` runs the tasks (e.g. runners.local.LocalRunner); `parallelism` caps how many
      steps run at once (default and maximum: the runner's capacity).
    - `cache` decides reuse (cache.NullCache bypasses it); `scope` (e.g. a graph id) keys
      the per-node history used to explain re-runs.
    - `timeout` (seconds) applies to each attempt of the steps whose node and module set none;
      a failed or timed-out attempt is retried up to `retries` times (unless its node says
      otherwise), waiting `backoff`, then twice, four times as long…; StepError failures
      (user mistakes) are not retried.
    - `datasets` names the space of the store's registered datasets the steps see (None: none).
    - `min_free` (bytes) is the floor of free space a folder store's disk keeps: a step whose
      outputs would go below it fails, naming the free space and the floor, and is not retried.
    - `cancel` stops the run from another thread: running steps' process groups are killed.
    """
    run_id = run_id or uuid.uuid4().hex[:12]
    capacity = max(1, min(parallelism or runner.capacity, runner.capacity))
    launcher = RunnerLauncher(
        plan,
        runner,
        run_id=run_id,
        store=store,
        datasets=datasets,
        workdir=workdir,
        min_free=min_free,
    )
    machine = RunMachine(
        plan,
        cache=cache,
        store=store,
        launcher=launcher,
        emit=emit or _noop_emit,
        run_id=run_id,
        policy=Policy(retries=max(0, retries), backoff=max(0.0, backoff), timeout=timeout),
        scope=scope,
        capacity=capacity,
        prefetch=int(getattr(runner, "prefetch", 0)) if capacity == runner.capacity else 0,
        speculate=launcher.placeable is not None,
    )
    batch = getattr(cache, "batch", None)
    wake = [cancel.fileno()] if cancel is not None else []
    try:
        with batch() if callable(batch) else contextlib.nullcontext():
            machine.begin()
            while True:
                if cancel is not None and cancel.canceled:
                    machine.cancel()
                    break
                machine.poll()
                if machine.settled:
                    break
                due = machine.next_wake()
                wait = None if due is None else max(0.0, due - time.monotonic())
                for message in runner.wait(wait, wake):
                    machine.message(message.task_id, message.kind, message.data)
            grace = time.monotonic() + DRAIN_GRACE
            while machine.draining and not (cancel is not None and cancel.canceled):
                left = grace - time.monotonic()
                if left <= 0:
                    break
                for message in runner.wait(left, wake):
                    machine.message(message.task_id, message.kind, message.data)
    except BaseException:
        for task_id in machine.tasks():
            with contextlib.suppress(Exception):
                runner.kill(task_id)
        raise
    return machine.finish()
