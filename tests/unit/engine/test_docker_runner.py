"""DockerRunner and RoutingRunner: the container spec, the stdout protocol (through a fake client
that runs the container entry point as a local process), routing steps by their image, and a
real engine when one answers (`make test` starts one and builds the image scripts/step_image.py
makes, with tests/fixtures/step_image in it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from designer.engine.cache import FileCache
from designer.engine.cancel import CancelToken
from designer.engine.compile import compile_document
from designer.engine.events import Event, EventType
from designer.engine.execute import execute
from designer.engine.images import pin_images
from designer.engine.plan import Plan
from designer.engine.registry import Environment, Registry
from designer.engine.runners.docker import (
    PACKAGE_ROOT,
    PROJECT_ROOT,
    DockerRunner,
    container_spec,
    parse_line,
    pin_plan_images,
)
from designer.engine.runners.local import LocalRunner
from designer.engine.runners.routing import RoutingRunner
from designer.engine.store import ArtifactStore
from tests.support.graphs import graph, node

TEST_IMAGE = os.environ.get("DESIGNER_TEST_IMAGE", "designer-step:test")
TEST_MODULES = (str(Path(PROJECT_ROOT) / "tests"),)  # the test registry's implementations
TASK = {
    "run_id": "r1",
    "attempt": 1,
    "step": {"key": "n1", "environment": {"image": None, "requirements": []}},
    "inputs": {},
    "store": "/data/store",
    "datasets": "7",
    "workdir": None,
}


def test_container_spec_isolates_the_step() -> None:
    spec = container_spec(
        TASK, default_image="img:1", mounts=("/extra",), read_only=("/mods",), memory_limit="1g"
    )
    assert spec["image"] == "img:1"
    assert spec["network_mode"] == "none"
    assert spec["mem_limit"] == "1g"
    assert spec["user"] == f"{os.getuid()}:{os.getgid()}"
    assert spec["volumes"][PACKAGE_ROOT]["mode"] == "ro" and PROJECT_ROOT not in spec["volumes"]
    assert spec["read_only"] is True and spec["cap_drop"] == ["ALL"]
    assert spec["security_opt"] == ["no-new-privileges:true"] and spec["pids_limit"] > 0
    assert spec["tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=1g"}
    assert spec["environment"]["DESIGNER_ISOLATION"] == "container"
    assert {"/data/store", "/extra"} <= set(spec["volumes"])
    assert spec["volumes"]["/mods"] == {"bind": "/mods", "mode": "ro"}
    assert "SECRET_KEY" not in spec["environment"]
    assert container_spec(TASK, default_image="img:1", mounts=())["mem_limit"] == "4g"
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

    def wait(self, **_: Any) -> dict[str, int]:
        return {"StatusCode": self.proc.wait()}

    def kill(self) -> None:
        self.proc.kill()

    def remove(self, force: bool = False) -> None:
        self.proc.wait()


class FakeClient:
    def __init__(self, images: tuple[str, ...] = ("python:3.11-slim", "img:1")) -> None:
        self.specs: list[dict[str, Any]] = []
        self.containers = self
        self.images = self
        self.known = images

    def get(self, image: str) -> str:
        if image not in self.known:
            raise LookupError(f"No such image: {image}")
        return image

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


def test_a_missing_image_fails_the_step_without_a_pull_or_a_retry(
    tmp_path: Path, reg: Registry
) -> None:
    client = FakeClient(images=())
    runner = DockerRunner(2, client=client)
    try:
        result, _ = _run(runner, reg, tmp_path)
    finally:
        runner.close()
    step = result.steps["a"]
    assert step.status == "failed" and step.attempts == 1
    assert "python:3.11-slim is not on this Docker engine" in str(step.error)
    assert client.specs == []


def test_a_container_step_on_an_object_store_fails_saying_why(tmp_path: Path) -> None:
    client = FakeClient()
    runner = DockerRunner(1, client=client)
    try:
        task = {"step": {"key": "a"}, "store": "s3://bucket/prefix", "run_id": "r", "attempt": 1}
        runner.submit("t", task)
        (message,) = runner.wait(10)
    finally:
        runner.close()
    assert message.kind == "done" and message.data["retryable"] is False
    assert "need a folder artifact store" in message.data["error"] and client.specs == []


def pinned(reg: Registry, image: str, *names: str) -> Registry:
    """The test registry with these modules pinned to a container image."""
    env = Environment(image=image)
    return Registry(replace(spec, environment=env) if spec.name in names else spec for spec in reg)


def output(store: ArtifactStore, step: Any) -> Any:
    """The JSON value a step put on its `out` port."""
    return json.loads(store.get(step.outputs["out"].digest))


def _mixed_run(runner: Any, reg: Registry, tmp_path: Path, image: str) -> Any:
    """const (local) → where (in the image) → add (local), plus an independent local step."""
    doc = graph(
        [
            node("a", "test.const@1", value=2),
            node("w", "test.where@1"),
            node("b", "test.add@1", amount=3),
            node("c", "test.const@1", value=7),
        ],
        [("a.out", "w.in"), ("a.out", "b.in")],
    )
    plan = compile_document(doc, pinned(reg, image, "test.where"))
    store = ArtifactStore(tmp_path / "artifacts")
    events: list[Any] = []
    result = execute(
        plan, runner=runner, cache=FileCache(tmp_path), store=store, emit=events.append
    )
    return result, events, store


def test_routing_sends_only_image_steps_to_containers(tmp_path: Path, reg: Registry) -> None:
    client = FakeClient()
    with LocalRunner(2) as local:
        routing = RoutingRunner(local, lambda: DockerRunner(2, client=client))
        result, _, store = _mixed_run(routing, reg, tmp_path, "img:1")
    assert result.status == "succeeded", {k: s.error for k, s in result.steps.items()}
    assert [spec["labels"]["designer.step"] for spec in client.specs] == ["w"]
    assert routing.capacity == 2
    where = output(store, result.steps["w"])
    assert where["upstream"] == {"value": 2}


def test_an_image_step_without_an_engine_fails_and_the_rest_runs(
    tmp_path: Path, reg: Registry
) -> None:
    def no_engine() -> DockerRunner:
        raise ConnectionError("connection refused")

    with LocalRunner(2) as local:
        routing = RoutingRunner(local, no_engine)
        result, _, _ = _mixed_run(routing, reg, tmp_path, "img:1")
    where = result.steps["w"]
    assert where.status == "failed" and where.attempts == 1
    assert "runs in the image img:1, but no Docker engine answers" in str(where.error)
    assert result.steps["b"].status == "succeeded" and result.steps["c"].status == "succeeded"


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
    runner = DockerRunner(2, client=client, default_image=TEST_IMAGE, read_only=TEST_MODULES)
    try:
        result, _ = _run(runner, reg, tmp_path)
    finally:
        runner.close()
    assert result.status == "succeeded", {k: s.error for k, s in result.steps.items()}


@pytest.fixture
def engine() -> Any:
    client = _engine()
    if client is None:
        pytest.skip("no Docker engine answers")
    try:
        client.images.get(TEST_IMAGE)
    except Exception:
        pytest.skip(f"the test image {TEST_IMAGE} is not built (scripts/step_image.py)")
    return client


@pytest.mark.docker
@pytest.mark.alone
def test_a_step_runs_in_its_image_without_network(
    tmp_path: Path, reg: Registry, engine: Any
) -> None:
    with LocalRunner(2) as local:
        routing = RoutingRunner(
            local, lambda: DockerRunner(2, client=engine, read_only=TEST_MODULES)
        )
        result, events, store = _mixed_run(routing, reg, tmp_path, TEST_IMAGE)
    assert result.status == "succeeded", {k: s.error for k, s in result.steps.items()}
    where = output(store, result.steps["w"])
    assert where == {
        "upstream": {"value": 2},
        "in_container": True,
        "interfaces": ["lo"],
        "uid": os.getuid(),
        "marker": "only in the step image",
        "root_writable": False,  # a read-only root, a tmpfs /tmp,
        "tmp_writable": True,
        "capabilities": 0,  # no capability left, even for root,
        "no_new_privs": True,  # and none to gain
    }
    logs = [line for e in events if e.type.value == "step.log" for line in e.data["lines"]]
    assert "running in a container: True" in logs
    assert engine.containers.list(all=True, filters={"label": "designer.step"}) == []


@pytest.mark.docker
@pytest.mark.alone
def test_cancel_kills_the_container(tmp_path: Path, reg: Registry, engine: Any) -> None:
    doc = graph([node("s", "test.sleep@1", seconds=60)], [])
    plan = compile_document(doc, pinned(reg, TEST_IMAGE, "test.sleep"))
    token = CancelToken()
    runner = DockerRunner(1, client=engine, read_only=TEST_MODULES)
    events: list[Event] = []

    def cancel_once_logging(event: Event) -> None:  # the step's code runs in its container
        events.append(event)
        if event.type is EventType.STEP_LOG:
            token.cancel()

    try:
        result = execute(
            plan,
            runner=runner,
            cache=FileCache(tmp_path),
            store=ArtifactStore(tmp_path / "artifacts"),
            cancel=token,
            emit=cancel_once_logging,
        )
    finally:
        runner.close()
    assert result.status == "canceled" and result.steps["s"].status == "canceled"
    types = [e.type for e in events if e.step == "s"]
    assert types.index(EventType.STEP_LOG) < types.index(EventType.STEP_CANCELED)
    assert EventType.STEP_SUCCEEDED not in types
    assert engine.containers.list(all=True, filters={"label": "designer.step=s"}) == []


@pytest.mark.docker
def test_the_cli_runs_a_custom_module_in_its_image(tmp_path: Path, engine: Any) -> None:
    modules = Path(PROJECT_ROOT) / "tests" / "fixtures" / "container_modules"
    document = graph(
        [
            node("iris", "data.sample_dataset@1", name="iris"),
            node("facts", "custom.container_facts@1"),
        ],
        [("iris.dataset", "facts.dataset")],
    )
    (tmp_path / "g.json").write_text(json.dumps(document))
    env = {**os.environ, "DESIGNER_MODULE_PATHS": str(modules)}
    store = str(tmp_path / "store")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "designer.engine",
            "run",
            str(tmp_path / "g.json"),
            "--store",
            store,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "container facts for 150 rows" in done.stdout


def test_pinning_puts_the_image_id_in_the_plan_and_the_cache_key(reg: Registry) -> None:
    doc = graph([node("a", "test.const@1"), node("w", "test.where@1")], [("a.out", "w.in")])
    plain = compile_document(doc, reg)
    assert pin_images(plain, lambda name: "never called") is plain  # no image, nothing to pin
    plan = compile_document(doc, pinned(reg, "team/tools:2", "test.where"))
    first = pin_images(plan, {"team/tools:2": "sha256:aaa"}.get)
    rebuilt = pin_images(plan, {"team/tools:2": "sha256:bbb"}.get)
    step = first.step("w")
    assert step.environment_image_id == "sha256:aaa" and first.step("a") == plan.step("a")
    assert Plan.from_dict(first.to_dict()) == first
    assert step.environment_fingerprint != rebuilt.step("w").environment_fingerprint
    assert pin_images(plan, lambda name: None).step("w").environment_image_id is None
    task = {"step": step.to_dict(), "store": None, "datasets": None}
    assert container_spec(task, default_image="x", mounts=())["image"] == "sha256:aaa"


@pytest.mark.docker
def test_a_rebuilt_image_makes_its_steps_run_again(
    tmp_path: Path, reg: Registry, engine: Any
) -> None:
    tag = "designer-step:rebuilt-test"
    engine.images.get(TEST_IMAGE).tag(tag)
    plan = compile_document(
        graph([node("a", "test.const@1"), node("w", "test.where@1")], [("a.out", "w.in")]),
        pinned(reg, tag, "test.where"),
    )
    cache, store = FileCache(tmp_path), ArtifactStore(tmp_path / "artifacts")

    def run() -> Any:
        with LocalRunner(1) as local:
            routing = RoutingRunner(
                local, lambda: DockerRunner(1, client=engine, read_only=TEST_MODULES)
            )
            return execute(
                pin_plan_images(plan, engine), runner=routing, cache=cache, store=store, scope="g"
            )

    try:
        assert run().steps["w"].status == "succeeded"
        assert run().steps["w"].status == "reused"
        builder = engine.containers.create(TEST_IMAGE, ["python", "-c", "open('/tmp/v2', 'w')"])
        try:
            builder.start()
            builder.wait()
            builder.commit(repository="designer-step", tag="rebuilt-test")  # same tag, new image
        finally:
            builder.remove(force=True)
        again = run().steps["w"]
        assert again.status == "succeeded" and "environment changed" in str(again.reason)
    finally:
        engine.images.remove(tag, force=True)
