"""The interface between the executor and whatever runs step tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

MessageKind = Literal["started", "log", "progress", "computed", "done"]


@dataclass(frozen=True)
class RunnerMessage:
    """Something a task reported: a log batch, a progress value, or its result ("done").

    "started" (only from runners with ``prefetch``) says a task that `submit` queued behind
    another one in a busy worker has just been taken by that worker.

    For "done", `data` is the worker.run_step result dict (status, outputs or error, times).
    "computed" (only for tasks with ``task["stage"]``, from runners that stage them: LocalRunner)
    says the module returned and the task no longer occupies a worker slot while its outputs are
    stored: `data` is ``{"outputs": {port: {"pending": token, "kind": kind}}}``, refs a task
    placed on the same worker may take as inputs before "done" (see execute.py); an output
    whose bytes are in the store already is named by ``{"digest", "kind"}`` instead.
    """

    kind: MessageKind
    task_id: str
    data: dict[str, Any] = field(default_factory=dict)


class Runner(Protocol):
    """Runs tasks (worker.make_task dicts) and reports back through `wait`.

    The executor never submits more than `capacity` tasks at once, plus, to a runner with a
    ``prefetch`` attribute, that many more, which it queues in busy workers. Task ids are
    unique per runner for its lifetime.
    """

    @property
    def capacity(self) -> int:
        """How many tasks may run at the same time."""
        ...

    def submit(self, task_id: str, task: Mapping[str, Any]) -> bool | None:
        """Start a task; False when it waits in a busy worker (a "started" message follows)."""
        ...

    def wait(self, timeout: float | None, wake_fds: Sequence[int] = ()) -> list[RunnerMessage]:
        """Block until messages arrive, a wake fd is readable, or the timeout passes.

        Returns the messages that arrived (possibly none). Wake fds are not read.
        """
        ...

    def kill(self, task_id: str) -> None:
        """Stop a running task at once, with everything it started; no "done" will follow."""
        ...

    def close(self) -> None:
        """Stop every worker."""
        ...
