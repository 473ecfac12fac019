"""DockerRunner: the container spec, the stdout protocol (through a fake client that runs the
container entry point as a local process), and a real engine when one answers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from designer.engine.cache import FileCache
from designer.engine.compile import compile_document
from designer.engine.execute import execute
from designer.engine.registry import Registry
from designer.engine.runners.docker import PROJECT_ROOT, DockerRunner, container_spec, parse_line
from designer.engine.store import ArtifactStore
from tests.support.graphs import graph, node

TASK = {
    "run_id": "r1",
    "attempt": 1,
    "step": {"key": "n1", "environment": {"image": None, "requirements": []}},
    "inputs": {},
    "store": "/data/store",
    "datasets": "/data/datasets",
    "workdir": None,
}


def test_container_spec_isolates_the_step() -> None:
    spec = container_spec(TASK, default_image="img:1", mounts=("/extra",), memory_limit="1g")
    assert spec["image"] == "img:1"
    assert spec["network_mode"] == "none"
    assert spec["mem_limit"] == "1g"
    assert spec["user"] == f"{os.getuid()}:{os.getgid()}"
    assert spec["volumes"][PROJECT_ROOT]["mode"] == "ro"
    assert {"/data/store", "/data/datasets", "/extra"} <= set(spec["volumes"])
    assert "SECRET_KEY" not in spec["environment"]
    with_image = {**TASK, "step": {"key": "n1", "environment": {"image": "custom:2"}}}
    assert container_spec(with_image, default_image="img:1", mounts=())["image"] == "custom:2"


def test_parse_line() -> None:
    assert parse_line("plain") == ("log", {"stream": "stdout", "lines": ["plain"]})
    assert parse_line('\x1edesigner-msg:{"kind": "progress", "data": {"value": 1, "max": 2}}') == (
        "progress",
        {"value": 1, "max": 2},
    )


class FakeContainer:
    """Runs the container's command as a local process (same protocol, no Docker)."""

    def __init__(self, spec: dict[str, Any]):
        env = {"PATH": os.environ["PATH"], **spec["environment"]}
        self.proc = subprocess.Popen(
            [sys.executable, *spec["command"][1:]],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=spec["working_dir"],
        )

    def logs(self, stream: bool, follow: bool) -> Iterator[bytes]:
        assert self.proc.stdout is not None
        yield from iter(lambda: self.proc.stdout.readline(), b"")  # type: ignore[union-attr]

    def wait(self) -> dict[str, int]:
        return {"StatusCode": self.proc.wait()}

    def kill(self) -> None:
        self.proc.kill()

    def remove(self, force: bool = False) -> None:
        self.proc.wait()


class FakeClient:
    def __init__(self) -> None:
        self.specs: list[dict[str, Any]] = []
        self.containers = self

    def run(self, **spec: Any) -> FakeContainer:
        self.specs.append(spec)
        return FakeContainer(spec)


def _run(runner: Any, reg: Registry, tmp_path: Path) -> Any:
    doc = graph(
        [
            node("a", "test.const@1", value=2),
            node("b", "test.add@1", amount=3),
            node("c", "test.chatty@1"),
        ],
        [("a.out", "b.in")],
    )
    plan = compile_document(doc, reg)
    events: list[Any] = []
    result = execute(
        plan,
        runner=runner,
        cache=FileCache(tmp_path),
        store=ArtifactStore(tmp_path / "artifacts"),
        emit=events.append,
    )
    return result, events


def test_protocol_end_to_end_with_a_fake_client(tmp_path: Path, reg: Registry) -> None:
    client = FakeClient()
    runner = DockerRunner(2, client=client)
    try:
        result, events = _run(runner, reg, tmp_path)
    finally:
        runner.close()
    assert result.status == "succeeded", {k: s.error for k, s in result.steps.items()}
    assert all(spec["network_mode"] == "none" for spec in client.specs)
    lines = [line for e in events if e.type.value == "step.log" for line in e.data["lines"]]
    assert "hello from ctx.log" in lines and "hello from a subprocess" in lines
    assert any(e.type.value == "step.progress" for e in events)


def _engine() -> Any:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return client
    except Exception:
        return None


@pytest.mark.docker
def test_real_containers(tmp_path: Path, reg: Registry) -> None:
    client = _engine()
    if client is None:
        pytest.skip("no Docker engine answers")
    image = os.environ.get("DESIGNER_TEST_IMAGE", "python:3.11-slim")
    runner = DockerRunner(2, client=client, default_image=image)
    try:
        result, _ = _run(runner, reg, tmp_path)
    finally:
        runner.close()
    assert result.status == "succeeded", {k: s.error for k, s in result.steps.items()}
