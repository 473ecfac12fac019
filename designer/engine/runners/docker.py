"""DockerRunner: each step in a container of its module's image, with no network.

The only engine file that talks to the Docker SDK (imported when a DockerRunner is created).
A container runs ``worker.run_step`` on the task (passed as JSON in an environment variable)
with the artifact store, the dataset folder, the `designer` package (not the repository, where
the data dir may be) and custom module folders bind-mounted at the same paths as on the host
(package and modules read-only), as the caller's uid/gid, with ``network_mode "none"``, a
read-only root and a tmpfs /tmp, every capability dropped, no-new-privileges, a pids limit and
a memory limit (DEFAULT_MEMORY unless given), and a clean environment. Its
stdout carries log lines and, on lines that start with a marker, JSON messages (progress, logs,
and the final result); a reader thread per container turns them into RunnerMessages and wakes
``wait()`` through a pipe.

The image must provide Python 3.11 and the engine's dependencies (pandas, pyarrow, …) plus
whatever the module's `requirements` name: with no network nothing is installed at run time,
and an image is never pulled (a missing one fails the step, not retried). Steps whose spec
names no image use `default_image`; scripts/step_image.py builds a local image from this
Python, and runners.routing sends only the steps that name an image here.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from designer.engine.images import pin_images
from designer.engine.plan import Plan
from designer.engine.runners.base import MessageKind, RunnerMessage

MARKER = "\x1edesigner-msg:"
_CONTAINER_CODE = "from designer.engine.runners.docker import container_main; container_main()"
PROJECT_ROOT = str(Path(__file__).resolve().parents[3])
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # designer/: not the data dir beside it
DEFAULT_MEMORY = "4g"
MAX_PROCESSES = 256


def container_spec(
    task: Mapping[str, Any],
    *,
    default_image: str,
    mounts: Sequence[str],
    read_only: Sequence[str] = (),
    memory_limit: str | None = None,
    python: str = "python",
) -> dict[str, Any]:
    """The `containers.run` keyword arguments for one task (pure; tested without an engine)."""
    step = task["step"]
    environment = step.get("environment", {})
    memory = memory_limit or DEFAULT_MEMORY
    image = environment.get("image_id") or environment.get("image") or default_image
    volumes: dict[str, dict[str, str]] = {PACKAGE_ROOT: {"bind": PACKAGE_ROOT, "mode": "ro"}}
    for path in (task.get("store"), *mounts):
        if path:
            volumes[str(path)] = {"bind": str(path), "mode": "rw"}
    for path in read_only:  # e.g. custom module folders: their code is imported by path
        volumes[str(path)] = {"bind": str(path), "mode": "ro"}
    spec: dict[str, Any] = {
        "image": image,
        "command": [python, "-c", _CONTAINER_CODE],
        "environment": {
            "DESIGNER_TASK": json.dumps(task),
            "PYTHONPATH": PROJECT_ROOT,
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
            "HOME": "/tmp",
            "DESIGNER_ISOLATION": "container",  # custom module code is imported only in here
        },
        "volumes": volumes,
        "working_dir": "/tmp",
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={memory}"},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "pids_limit": MAX_PROCESSES,
        "mem_limit": memory,
        "user": f"{os.getuid()}:{os.getgid()}",
        "detach": True,
        "stdout": True,
        "stderr": True,
        "labels": {"designer.step": str(step.get("key")), "designer.run": str(task.get("run_id"))},
    }
    return spec


def pin_plan_images(plan: Plan, client: Any = None) -> Plan:
    """The plan with its steps' images pinned to their IDs on the Docker engine (DOCKER_HOST).

    Unchanged when no step names an image (the SDK is not even imported) or no engine answers
    (those steps fail at run time, saying so).
    """
    if not any(step.environment_image for step in plan.steps):
        return plan
    if client is None:
        try:
            import docker

            client = docker.from_env(timeout=5)
            client.ping()
        except Exception:
            return plan

    def image_id(name: str) -> str | None:
        try:
            return str(client.images.get(name).id)
        except Exception:  # not on this engine (never pulled), or the engine went away
            return None

    return pin_images(plan, image_id)


def parse_line(line: str) -> tuple[str, dict[str, Any]]:
    """Turn one container output line into (kind, data): a marker message or a stdout log line."""
    if line.startswith(MARKER):
        message = json.loads(line[len(MARKER) :])
        return str(message["kind"]), dict(message["data"])
    return "log", {"stream": "stdout", "lines": [line]}


class DockerRunner:
    """Runs step tasks in containers; see the module docstring."""

    def __init__(
        self,
        capacity: int = 2,
        *,
        default_image: str = "python:3.11-slim",
        mounts: Sequence[str] = (),
        read_only: Sequence[str] = (),
        memory_limit: str | None = None,
        client: Any = None,
    ):
        if client is None:
            import docker  # the only import of the Docker SDK in the engine

            client = docker.from_env()
            client.ping()  # fail here, not on every step, when no engine answers
        self.client = client
        self.size = max(1, capacity)
        self.default_image = default_image
        self.mounts = tuple(mounts)
        self.read_only = tuple(str(Path(p).resolve()) for p in read_only)
        self.memory_limit = memory_limit
        self._containers: dict[str, Any] = {}
        self._killed: set[str] = set()
        self._inbox: queue.SimpleQueue[RunnerMessage] = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self.size

    def fileno(self) -> int:
        """A descriptor that turns readable when a message arrives (for a caller's select)."""
        return self._wake_r

    def submit(self, task_id: str, task: Mapping[str, Any]) -> None:
        if "://" in str(task.get("store")):  # a container has no network to reach it
            message = "steps with an image need a folder artifact store, not an object store"
            self._post(RunnerMessage("done", task_id, failed_result(message, retryable=False)))
            return
        spec = container_spec(
            task,
            default_image=self.default_image,
            mounts=self.mounts,
            read_only=self.read_only,
            memory_limit=self.memory_limit,
        )
        try:
            self.client.images.get(spec["image"])
        except Exception as exc:  # never pulled: this engine has no registry to pull from
            name = task["step"].get("environment", {}).get("image") or self.default_image
            pinned = "" if name == spec["image"] else f" (as pinned for this run: {spec['image']})"
            message = f"the image {name}{pinned} is not on this Docker engine ({exc})"
            self._post(RunnerMessage("done", task_id, failed_result(message, retryable=False)))
            return
        try:
            container = self.client.containers.run(**spec)
        except Exception as exc:  # daemon gone, bad spec, …
            message = f"cannot start the container: {exc}"
            self._post(RunnerMessage("done", task_id, failed_result(message)))
            return
        with self._lock:
            self._containers[task_id] = container
        threading.Thread(
            target=self._follow, args=(task_id, container), daemon=True, name=f"docker-{task_id}"
        ).start()

    def _post(self, message: RunnerMessage) -> None:
        self._inbox.put(message)
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def _follow(self, task_id: str, container: Any) -> None:
        """Relay a container's messages; report "done" only once the container is removed."""
        result: dict[str, Any] | None = None
        buffer = ""
        try:
            for chunk in container.logs(stream=True, follow=True):
                buffer += chunk.decode("utf-8", "replace")
                *lines, buffer = buffer.split("\n")
                for line in lines:
                    kind, data = parse_line(line)
                    if task_id in self._killed:
                        return
                    if kind == "done":
                        result = data
                    else:
                        self._post(RunnerMessage(cast(MessageKind, kind), task_id, data))
            if result is None:
                status = container.wait()
                code = status.get("StatusCode") if isinstance(status, dict) else status
                result = failed_result(f"the container exited ({code})")
        except Exception as exc:
            if result is None:
                result = failed_result(f"lost the container: {exc}")
        finally:
            with self._lock:
                self._containers.pop(task_id, None)
            with contextlib.suppress(Exception):
                container.remove(force=True)
        if task_id not in self._killed:
            self._post(RunnerMessage("done", task_id, result))

    def wait(self, timeout: float | None, wake_fds: Sequence[int] = ()) -> list[RunnerMessage]:
        if self._inbox.empty():
            select.select([self._wake_r, *wake_fds], [], [], timeout)
        with contextlib.suppress(OSError):
            os.read(self._wake_r, 65536)
        messages = []
        while not self._inbox.empty():
            messages.append(self._inbox.get_nowait())
        return [m for m in messages if m.task_id not in self._killed]

    def kill(self, task_id: str) -> None:
        with self._lock:
            self._killed.add(task_id)
            container = self._containers.pop(task_id, None)
        if container is not None:
            with contextlib.suppress(Exception):
                container.kill()
            with contextlib.suppress(Exception):
                container.remove(force=True)
            with contextlib.suppress(Exception):  # its log follower may be removing it too
                container.wait(condition="removed", timeout=10)

    def close(self) -> None:
        with self._lock:
            ids = list(self._containers)
        for task_id in ids:
            self.kill(task_id)
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)


def failed_result(error: str, retryable: bool = True) -> dict[str, Any]:
    """A run_step-shaped result for a step whose container could not run or report."""
    return {
        "status": "failed",
        "error": error,
        "error_type": "ContainerError",
        "traceback": None,
        "retryable": retryable,
        "started_at": None,
        "finished_at": time.time(),
    }


def run_in_container(
    task: Mapping[str, Any], send: Callable[[str, dict[str, Any]], None], runner: DockerRunner
) -> dict[str, Any]:
    """Run one task in a container and wait for it, passing its logs and progress to `send`.

    The synchronous form used by a Celery worker; returns the task's run_step result.
    """
    task_id = f"{task.get('run_id')}-{task['step']['key']}-{task.get('attempt')}"
    runner.submit(task_id, task)
    while True:
        for message in runner.wait(None):
            if message.kind == "done":
                return message.data
            send(message.kind, message.data)


def container_main() -> None:
    """Entry point inside the container: run the task from DESIGNER_TASK, report on stdout."""
    from designer.engine.worker import run_step

    task = json.loads(os.environ.pop("DESIGNER_TASK"))
    lock = threading.Lock()
    out = sys.stdout

    def send(kind: str, data: dict[str, Any]) -> None:
        with lock:
            out.write(MARKER + json.dumps({"kind": kind, "data": data}) + "\n")
            out.flush()

    result = run_step(task, send, capture_output=True, chdir=True)
    send("done", result)
