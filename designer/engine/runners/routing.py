"""RoutingRunner: steps whose module names a container image run in Docker, every other locally.

Both kinds share one set of slots (the local pool's size), so the executor's parallelism is the
same whatever mix a plan has; speculation (a step started on the worker that holds its inputs
in memory, decisions/0007) stays with the local pool. The container runner is made on the first
step that needs one; a step that names an image when no Docker engine answers fails with that
reason and is not retried, and it never silently runs outside its image.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from designer.engine.runners.base import Runner, RunnerMessage
from designer.engine.runners.docker import failed_result


class ContainerRunner(Runner, Protocol):
    """A runner for container steps that can wake a caller's select (DockerRunner)."""

    def fileno(self) -> int:
        """A descriptor that turns readable when a message arrives."""
        ...


def no_engine_result(image: str, exc: Exception) -> dict[str, Any]:
    """The failed result of a step that names an image when no Docker engine answers."""
    message = f"this step runs in the image {image}, but no Docker engine answers: {exc}"
    return failed_result(message, retryable=False)


def step_image(task: Mapping[str, Any]) -> str | None:
    """The container image a task's step must run in, or None for the local pool."""
    image = task["step"].get("environment", {}).get("image")
    return str(image) if image else None


class RoutingRunner:
    """Sends each task to the local runner or the container runner; see the module docstring."""

    def __init__(self, local: Runner, containers: Callable[[], ContainerRunner]):
        self.local = local
        self._make_containers = containers
        self._containers: ContainerRunner | None = None
        self._owners: dict[str, Runner] = {}
        self._refused: list[RunnerMessage] = []

    @property
    def capacity(self) -> int:
        return self.local.capacity

    @property
    def prefetch(self) -> int:
        """Tasks the local pool takes beyond its capacity (they wait in busy workers)."""
        return int(getattr(self.local, "prefetch", 0))

    def placeable(self, task: Mapping[str, Any]) -> bool:
        """Whether a speculative task (execute.py) could start now: only in the local pool, which
        holds its upstream's outputs in memory; a container cannot take those."""
        local = getattr(self.local, "placeable", None)
        return step_image(task) is None and callable(local) and bool(local(task))

    def submit(self, task_id: str, task: Mapping[str, Any]) -> bool | None:
        image = step_image(task)
        runner: Runner = self.local
        if image is not None:
            if self._containers is None:
                try:
                    self._containers = self._make_containers()
                except Exception as exc:
                    failed = no_engine_result(image, exc)
                    self._refused.append(RunnerMessage("done", task_id, failed))
                    return None
            runner = self._containers
        self._owners[task_id] = runner
        return runner.submit(task_id, task)

    def wait(self, timeout: float | None, wake_fds: Sequence[int] = ()) -> list[RunnerMessage]:
        if self._refused:
            timeout = 0
        fds = [*wake_fds, self._containers.fileno()] if self._containers else list(wake_fds)
        messages = self.local.wait(timeout, fds)
        if self._containers is not None:
            messages += self._containers.wait(0)
        messages += self._refused
        self._refused = []
        for message in messages:
            if message.kind == "done":
                self._owners.pop(message.task_id, None)
        return messages

    def kill(self, task_id: str) -> None:
        runner = self._owners.pop(task_id, None)
        if runner is not None:
            runner.kill(task_id)
        self._refused = [m for m in self._refused if m.task_id != task_id]

    def close(self) -> None:
        self.local.close()
        if self._containers is not None:
            self._containers.close()

    def __enter__(self) -> RoutingRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
