"""Staged storage and speculation (decision 0007): a step starts on the worker that holds its
input table while that table is still being stored, and only what is true is announced."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from designer.engine import threads
from designer.engine.cache import FileCache, NullCache
from designer.engine.cancel import CancelToken
from designer.engine.compile import compile_document
from designer.engine.events import Event, EventType
from designer.engine.execute import execute
from designer.engine.held import Held, ProvisionalMissing, load_provisional, provisional
from designer.engine.plan import Plan
from designer.engine.registry import ModuleSpec, ParamSpec, PortSpec, Registry
from designer.engine.results import RunResult
from designer.engine.runners.base import RunnerMessage
from designer.engine.runners.local import LocalRunner
from designer.engine.runners.routing import RoutingRunner
from designer.engine.staging import Staged, stage_step
from designer.engine.store import ArtifactStore
from designer.engine.threads import THREAD_VARIABLES
from designer.engine.types import ParamType, PortType
from designer.engine.worker import make_task
from tests.support.graphs import graph, node
from tests.support.registry import registry as support_registry

IMPLEMENTATIONS = """
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd


def table(ctx):
    n = ctx.params["rows"]
    df = pd.DataFrame({"x": np.arange(n), "y": np.arange(n) * 0.5})
    if ctx.params["category"]:
        df["c"] = pd.Categorical(["a", "b"] * (n // 2) + ["a"] * (n % 2))
    return {"dataset": df}


def consume(ctx):
    df = ctx.input("dataset")
    return {"info": {"rows": len(df), "x0": int(df["x"].iloc[0]), "y0": float(df["y"].iloc[0]),
                     "sum": float(df["y"].sum()), "dtypes": [str(d) for d in df.dtypes]}}


def double(ctx):
    return {"dataset": ctx.input("dataset") * 2}


def mutate(ctx):
    df = ctx.input("dataset")
    df["x"] = -1
    df.iloc[0, 1] = 99.0
    return {"info": {"x0": int(df["x"].iloc[0])}}


def train(ctx):
    df = ctx.input("dataset")
    return {"model": {"mean": float(df["y"].mean()), "pid": os.getpid()}}


def score(ctx):
    model = ctx.input("model")
    model["mean"] = -1.0  # a reader's change must not reach other readers
    df = ctx.input("dataset")
    return {"info": {"rows": len(df), "model_keys": sorted(model)}}


def chatty(ctx):
    df = ctx.input("dataset")
    ctx.log("read %d rows" % len(df))
    ctx.progress(1, 2)
    print("hello from the step")
    ctx.progress(2, 2)
    return {"info": {"rows": len(df)}}


def crash(ctx):
    ctx.input("dataset")
    os._exit(3)


def slow(ctx):
    df = ctx.input("dataset")
    time.sleep(ctx.params["seconds"])
    return {"dataset": df + 1}


def fail(ctx):
    ctx.input("dataset")
    raise ValueError("this step fails")


def sleeper(ctx):
    ctx.input("dataset")
    if ctx.params["pid_file"]:
        Path(ctx.params["pid_file"]).write_text(str(os.getpid()))
    time.sleep(ctx.params["seconds"])
    return {"info": {}}
"""

TABLE = (PortSpec("dataset", PortType.DATAFRAME),)
FRAME_IN = (PortSpec("dataset", PortType.DATAFRAME),)
INFO = (PortSpec("info", PortType.METRICS),)


def _registry(package: str) -> Registry:
    def spec(name: str, func: str, **kw: Any) -> ModuleSpec:
        return ModuleSpec(
            name=name,
            version=1,
            display_name=name,
            category="Test",
            description=name,
            implementation=f"{package}:{func}",
            **kw,
        )

    table_params = (
        ParamSpec("rows", ParamType.INT, 1000, minimum=1),
        ParamSpec("category", ParamType.BOOL, False),
    )
    return Registry(
        [
            spec("spec.table", "table", outputs=TABLE, params=table_params),
            spec("spec.source", "table", outputs=TABLE, params=table_params, deterministic=False),
            spec("spec.consume", "consume", inputs=FRAME_IN, outputs=INFO),
            spec("spec.mutate", "mutate", inputs=FRAME_IN, outputs=INFO),
            spec("spec.double", "double", inputs=FRAME_IN, outputs=TABLE),
            spec(
                "spec.train",
                "train",
                inputs=FRAME_IN,
                outputs=(PortSpec("model", PortType.MODEL),),
            ),
            spec(
                "spec.score",
                "score",
                inputs=(PortSpec("model", PortType.MODEL), *FRAME_IN),
                outputs=INFO,
            ),
            spec("spec.crash", "crash", inputs=FRAME_IN, outputs=INFO),
            spec("spec.fail", "fail", inputs=FRAME_IN, outputs=TABLE),
            spec(
                "spec.slow",
                "slow",
                inputs=FRAME_IN,
                outputs=TABLE,
                params=(ParamSpec("seconds", ParamType.FLOAT, 0.0),),
            ),
            spec("spec.chatty", "chatty", inputs=FRAME_IN, outputs=INFO),
            spec(
                "spec.sleeper",
                "sleeper",
                inputs=FRAME_IN,
                outputs=INFO,
                params=(
                    ParamSpec("pid_file", ParamType.STRING, ""),
                    ParamSpec("seconds", ParamType.FLOAT, 30.0),
                ),
            ),
        ]
    )


class Recording:
    """A LocalRunner seen from the executor, with a log of what went in and came out."""

    def __init__(
        self,
        inner: LocalRunner,
        *,
        speculative: bool = True,
        prefetch: bool = False,
        watch: Callable[[RunnerMessage], None] | None = None,
    ):
        self.inner = inner
        self.log: list[tuple[str, str, bool]] = []  # (what, task id, pending inputs)
        self.watch = watch  # called with each message as it arrives
        if speculative:
            self.placeable = inner.placeable
        if prefetch:  # tasks may wait in busy workers, as with the runner itself
            self.prefetch = inner.prefetch

    @property
    def capacity(self) -> int:
        return self.inner.capacity

    def submit(self, task_id: str, task: Mapping[str, Any]) -> bool:
        pending = any(ref and "pending" in ref for ref in task["inputs"].values())
        self.log.append(("submit", task_id, pending))
        return self.inner.submit(task_id, task)

    def wait(self, timeout: float | None, wake_fds: Sequence[int] = ()) -> list[RunnerMessage]:
        messages = self.inner.wait(timeout, wake_fds)
        self.log.extend((m.kind, m.task_id, False) for m in messages if m.kind != "log")
        if self.watch is not None:
            for message in messages:
                self.watch(message)
        return messages

    def kill(self, task_id: str) -> None:
        self.log.append(("kill", task_id, False))
        self.inner.kill(task_id)

    def close(self) -> None:
        return None

    def index(self, what: str, step: str, *, pending: bool | None = None) -> int:
        """Where the first `what` of a task of `step` is in the log (ValueError when none)."""
        for i, (kind, task_id, has_pending) in enumerate(self.log):
            same = kind == what and task_id.split(":")[1] == step
            if same and (pending is None or has_pending == pending):
                return i
        raise ValueError(f"no {what} for {step}")

    def speculated(self, step: str) -> bool:
        try:
            self.index("submit", step, pending=True)
        except ValueError:
            return False
        return True


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("speculation")
    (root / "speculation_probe").mkdir()
    (root / "speculation_probe" / "__init__.py").write_text("")
    (root / "speculation_probe" / "impl.py").write_text(IMPLEMENTATIONS)
    sys.path.insert(0, str(root))  # before the runner starts: workers import from here
    yield "speculation_probe.impl"
    sys.path.remove(str(root))


@pytest.fixture(scope="module")
def local(package: str) -> Iterator[LocalRunner]:
    with LocalRunner(2, preload=("pandas", "pyarrow")) as runner:
        yield runner


class Run:
    def __init__(self, root: Path, package: str, local: LocalRunner):
        self.root = root
        self.registry = _registry(package)
        self.local = local
        self.store = ArtifactStore(root / "artifacts")
        self.cache = FileCache(root)
        self.events: list[Event] = []
        self.runner = Recording(local)

    def plan(self, doc: dict[str, Any]) -> Plan:
        return compile_document(doc, self.registry, {})

    def __call__(
        self,
        doc: dict[str, Any],
        *,
        speculative: bool = True,
        prefetch: bool = False,
        watch: Callable[[RunnerMessage], None] | None = None,
        **kw: Any,
    ) -> RunResult:
        self.events = []
        self.runner = Recording(self.local, speculative=speculative, prefetch=prefetch, watch=watch)
        kw.setdefault("cache", self.cache)
        kw.setdefault("store", self.store)
        kw.setdefault("scope", "test")
        result = execute(self.plan(doc), runner=self.runner, emit=self.events.append, **kw)
        assert_causal(self.plan(doc), self.events)
        return result

    def info(self, result: RunResult, step: str) -> Any:
        return json.loads(self.store.get(result.steps[step].outputs["info"].digest))

    def of(self, step: str, *types: EventType) -> list[Event]:
        return [e for e in self.events if e.step == step and (not types or e.type in types)]


@pytest.fixture
def run(tmp_path: Path, package: str, local: LocalRunner) -> Iterator[Run]:
    r = Run(tmp_path, package, local)
    yield r
    r.cache.close()


def assert_causal(plan: Plan, events: list[Event]) -> None:
    """Nothing about a step is announced before it started, and it starts only after its
    upstream steps succeeded or were reused; every step is started at most once per attempt."""
    settled: dict[str, int] = {}
    started: dict[str, int] = {}
    for i, event in enumerate(events):
        key = event.step
        if key is None:
            continue
        if event.type is EventType.STEP_STARTED:
            for dep in plan.step(key).dependencies:
                assert dep in settled, f"{key} started before {dep} succeeded"
            attempt = event.data["attempt"]
            assert started.get(key, 0) == attempt - 1, f"{key} attempt {attempt} out of order"
            started[key] = attempt
        elif event.type in (
            EventType.STEP_LOG,
            EventType.STEP_PROGRESS,
            EventType.STEP_SUCCEEDED,
            EventType.STEP_FAILED,
            EventType.STEP_RETRYING,
        ):
            assert key in started, f"{event.type.value} of {key} before it started"
        if event.type in (EventType.STEP_SUCCEEDED, EventType.STEP_REUSED):
            assert key not in settled
            settled[key] = i


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    wires = [(f"{a['id']}.dataset", f"{b['id']}.dataset") for a, b in pairwise(nodes)]
    return graph(nodes, wires)


BIG = 200_000  # rows: its Parquet, hash and summary take tens of ms


def test_the_next_step_starts_while_the_table_is_being_stored(run: Run, tmp_path: Path) -> None:
    doc = chain(node("t", "spec.table@1", rows=BIG), node("c", "spec.consume@1"))
    result = run(doc)
    assert result.status == "succeeded"
    # c went to the worker holding t's table before t's outputs were durable ("done")
    assert run.runner.speculated("c")
    assert run.runner.index("submit", "c", pending=True) < run.runner.index("done", "t")
    info = run.info(result, "c")
    assert (info["rows"], info["x0"], info["y0"]) == (BIG, 0, 0.0)
    assert info["sum"] == sum(i * 0.5 for i in range(BIG))
    # announced once, after t succeeded (checked by assert_causal), with the usual reason
    started = run.of("c", EventType.STEP_STARTED)
    assert [e.data["attempt"] for e in started] == [1]
    assert started[0].data["reason"] == "ran: no earlier result"
    assert result.steps["c"].attempts == 1
    # the same bytes as without speculation
    plain = run(
        doc,
        speculative=False,
        store=ArtifactStore(tmp_path / "plain"),
        cache=FileCache(tmp_path / "plain"),
    )
    assert not run.runner.speculated("c")
    for key in ("t", "c"):
        assert result.steps[key].outputs == plain.steps[key].outputs
    # a rerun is all reused, from the cache entries the confirmed speculative run recorded
    again = run(doc)
    assert again.counts["reused"] == 2


def test_a_worker_holds_tables_for_storage_within_its_byte_bound(
    package: str, tmp_path: Path
) -> None:
    """A step whose tables would take a worker's tables waiting to be encoded beyond its bound
    reports "computed" (and the worker takes more work) only once the tables before it are
    encoded: their bytes are whole in the store, durable or not yet (decision 0103). It still
    read them from memory, and the results (summaries made while it waited included) are those
    of a plain run."""
    doc = chain(
        node("t", "spec.table@1", rows=BIG), node("d", "spec.double@1"), node("c", "spec.consume@1")
    )
    artifacts = tmp_path / "bounded" / "artifacts"
    held_when_d_computed: list[set[str]] = []  # digests of the whole files the store held

    def files_held() -> set[str]:
        for _ in range(5):  # a temp file may be renamed into its shard while it is read
            with contextlib.suppress(FileNotFoundError):
                files = [p for p in artifacts.rglob("*") if p.is_file()]
                return {hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
        raise AssertionError("the store's files kept moving")

    def watch(message: RunnerMessage) -> None:
        if message.kind == "computed" and message.task_id.split(":")[1] == "d":
            held_when_d_computed.append(files_held())

    with LocalRunner(1, preload=("pandas", "pyarrow"), storing_bytes=1) as bounded:
        run = Run(tmp_path / "bounded", package, bounded)
        result = run(doc, watch=watch)
        log = run.runner
        plain = run(
            doc,
            speculative=False,
            store=ArtifactStore(tmp_path / "plain"),
            cache=FileCache(tmp_path / "plain"),
        )
        run.cache.close()
    assert result.status == plain.status == "succeeded"
    for key in ("t", "d", "c"):
        assert result.steps[key].outputs == plain.steps[key].outputs
    assert log.speculated("d")
    assert result.steps["t"].outputs["dataset"].digest in held_when_d_computed[0]
    info = run.info(result, "c")
    assert (info["rows"], info["x0"], info["y0"]) == (BIG, 0, 0.0)
    assert info["sum"] == sum(i * 1.0 for i in range(BIG))


def test_speculation_chains_through_several_steps_and_pickled_outputs(run: Run) -> None:
    doc = graph(
        [
            node("t", "spec.table@1", rows=BIG),
            node("m", "spec.train@1"),
            node("s", "spec.score@1"),
        ],
        [("t.dataset", "m.dataset"), ("m.model", "s.model"), ("t.dataset", "s.dataset")],
    )
    result = run(doc)
    assert result.status == "succeeded"
    assert run.runner.speculated("m")
    assert run.runner.speculated("s")
    # s read m's model from memory before it was stored: a fresh object it could change freely
    assert run.info(result, "s") == {"rows": BIG, "model_keys": ["mean", "pid"]}
    model = run.store.get(result.steps["m"].outputs["model"].digest)
    import pickle

    assert pickle.loads(model)["mean"] == (BIG - 1) / 4


def test_logs_of_a_speculative_step_are_told_once_after_it_is_announced(run: Run) -> None:
    doc = chain(node("t", "spec.table@1", rows=BIG), node("c", "spec.chatty@1"))
    result = run(doc)
    assert result.status == "succeeded" and run.runner.speculated("c")
    kinds = [e.type for e in run.of("c")]
    assert kinds[0] is EventType.STEP_STARTED and kinds[-1] is EventType.STEP_SUCCEEDED
    lines = [line for e in run.of("c", EventType.STEP_LOG) for line in e.data["lines"]]
    assert lines == [f"read {BIG} rows", "hello from the step"]
    progress = [(e.data["value"], e.data["max"]) for e in run.of("c", EventType.STEP_PROGRESS)]
    assert progress[-1] == (2, 2)
    t_succeeded = run.events.index(run.of("t", EventType.STEP_SUCCEEDED)[0])
    assert run.events.index(run.of("c", EventType.STEP_STARTED)[0]) > t_succeeded


def test_early_cutoff_discards_the_speculative_run(run: Run) -> None:
    doc = chain(node("s", "spec.source@1", rows=BIG), node("c", "spec.consume@1"))
    first = run(doc, scope="a")
    assert first.status == "succeeded"
    # another scope has no history to predict the cutoff from: c is speculated, then s's
    # bytes turn out identical, c's cache entry is found, and the speculative run is dropped
    second = run(doc, scope="b")
    assert second.steps["s"].status.value == "succeeded"
    assert second.steps["c"].status.value == "reused"
    assert second.steps["c"].reason.startswith("reused: key ")
    assert run.runner.speculated("c")
    assert not run.of("c", EventType.STEP_STARTED, EventType.STEP_LOG)
    assert second.steps["c"].outputs == first.steps["c"].outputs
    # the discarded work left every worker usable
    third = run(doc, scope="b")
    assert third.status == "succeeded"


def test_no_speculation_when_early_cutoff_is_likely(run: Run) -> None:
    doc = chain(node("s", "spec.source@1", rows=BIG), node("c", "spec.consume@1"))
    run(doc)
    again = run(doc)  # same scope: c's entry for s's previous bytes exists
    assert again.steps["c"].status.value == "reused"
    assert not run.runner.speculated("c")


def test_a_failed_store_discards_the_speculative_step(run: Run, tmp_path: Path) -> None:
    broken = ArtifactStore(tmp_path / "broken")
    for shard in broken.objects.iterdir():  # every object's directory a file: writes fail
        shard.rmdir()
        shard.write_text("")
    doc = chain(node("t", "spec.table@1", rows=BIG), node("c", "spec.consume@1"))
    result = run(doc, store=broken, cache=FileCache(tmp_path / "broken"))
    assert result.status == "failed"
    t, c = result.steps["t"], result.steps["c"]
    assert t.status.value == "failed" and t.error is not None
    assert t.error.startswith("storing outputs failed: ")
    assert c.status.value == "upstream_failed" and c.attempts == 0
    assert run.runner.speculated("c")
    assert [e.type for e in run.of("c")] == [EventType.STEP_UPSTREAM_FAILED]
    assert run(doc).status == "succeeded"  # the pool is fine afterwards


def test_a_table_that_does_not_round_trip_exactly_is_read_again_from_the_store(
    run: Run, tmp_path: Path
) -> None:
    # a categorical comes back from Parquet with another Arrow schema: the in-memory table is
    # not exactly what the stored bytes decode to, so the speculative reader is discarded
    doc = chain(node("t", "spec.table@1", rows=1000, category=True), node("c", "spec.consume@1"))
    result = run(doc)
    assert result.status == "succeeded"
    assert run.runner.speculated("c")
    assert run.runner.index("submit", "c", pending=False) > run.runner.index("done", "t")
    assert result.steps["c"].attempts == 1
    plain = run(
        doc,
        speculative=False,
        store=ArtifactStore(tmp_path / "plain"),
        cache=FileCache(tmp_path / "plain"),
    )
    assert result.steps["c"].outputs == plain.steps["c"].outputs


def test_readers_of_a_table_in_memory_cannot_change_it_for_each_other(run: Run) -> None:
    doc = graph(
        [
            node("t", "spec.table@1", rows=BIG),
            node("m", "spec.mutate@1"),
            node("c", "spec.consume@1"),
        ],
        [("t.dataset", "m.dataset"), ("t.dataset", "c.dataset")],
    )
    result = run(doc, parallelism=1)  # both readers on the worker that holds the table
    assert result.status == "succeeded"
    assert run.runner.speculated("m")
    assert run.info(result, "m") == {"x0": -1}
    info = run.info(result, "c")
    assert (info["x0"], info["y0"]) == (0, 0.0)


def test_held_outputs_give_each_reader_a_new_value(tmp_path: Path, package: str) -> None:
    sys.modules.pop(package, None)
    step = {
        "key": "t",
        "module": "spec.table@1",
        "implementation": f"{package}:table",
        "implementation_digest": "v1",
        "params_json": json.dumps({"rows": 5, "category": False}),
        "outputs": [{"port": "dataset", "type": "DataFrame"}],
    }
    staged = stage_step(make_task(step, {}, run_id="r", attempt=1, store=tmp_path), token="k")
    assert isinstance(staged, Staged)
    assert staged.refs == {"dataset": {"pending": "k/dataset", "kind": "parquet"}}
    store = ArtifactStore(tmp_path)
    one = load_provisional(store, "k/dataset")
    one["x"] = -1
    two = load_provisional(store, "k/dataset")
    assert one is not two and list(two["x"]) == [0, 1, 2, 3, 4]
    result = staged.finish()
    assert result["status"] == "succeeded" and result["inexact"] == []
    digest = result["outputs"]["dataset"]["digest"]
    three = load_provisional(store, "k/dataset")  # now read by digest
    assert list(three["x"]) == [0, 1, 2, 3, 4] and store.exists(digest)
    with pytest.raises(ProvisionalMissing):
        load_provisional(store, "gone/dataset")


def test_a_crash_in_a_speculative_step_is_reported_on_that_step(run: Run) -> None:
    doc = chain(node("t", "spec.table@1", rows=BIG), node("x", "spec.crash@1"))
    result = run(doc)
    t, x = result.steps["t"], result.steps["x"]
    assert (t.status.value, t.attempts) == ("succeeded", 1)
    assert (x.status.value, x.attempts) == ("failed", 1)
    assert x.error == "the worker process died (exit code 3)"
    assert run.runner.speculated("x")
    assert len(run.of("t", EventType.STEP_STARTED)) == 1
    assert run(doc, retries=1, backoff=0.01).steps["x"].attempts == 2


def test_a_speculative_step_times_out_like_any_other(run: Run) -> None:
    sleeper = {**node("z", "spec.sleeper@1", seconds=30), "execution": {"timeout": 1}}
    doc = chain(node("t", "spec.table@1", rows=BIG), sleeper)
    result = run(doc)
    assert result.steps["t"].status.value == "succeeded"
    assert run.runner.speculated("z")
    z = result.steps["z"]
    assert (z.status.value, z.attempts, z.error) == ("failed", 1, "timed out after 1s")


def test_cancel_stops_speculative_steps_too(run: Run, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    doc = chain(
        node("t", "spec.table@1", rows=BIG),
        node("z", "spec.sleeper@1", pid_file=str(pid_file), seconds=30),
    )
    token = CancelToken()

    def cancel_when_started() -> None:
        while not pid_file.exists() or not pid_file.read_text():
            time.sleep(0.01)
        token.cancel()

    threading.Thread(target=cancel_when_started, daemon=True).start()
    result = run(doc, cancel=token)
    assert result.status == "canceled"
    assert result.steps["z"].status.value == "canceled"
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
        assert time.monotonic() < deadline, "the speculative step's worker is still alive"
        time.sleep(0.01)
    assert run(chain(node("t", "spec.table@1", rows=10))).status == "succeeded"
    token.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return "Z"


def test_speculation_is_off_without_a_placing_runner(run: Run) -> None:
    doc = chain(node("t", "spec.table@1", rows=1000), node("c", "spec.consume@1"))
    result = run(doc, speculative=False)
    assert result.status == "succeeded"
    assert not run.runner.speculated("c")
    assert not math.isnan(run.info(result, "c")["sum"])


def test_the_server_and_cli_runner_speculates_on_local_steps_only(run: Run, tmp_path: Path) -> None:
    def no_engine() -> Any:
        raise ConnectionError("no Docker engine here")

    routing = RoutingRunner(run.local, no_engine)
    doc = chain(node("t", "spec.table@1", rows=BIG), node("c", "spec.consume@1"))
    events: list[Event] = []
    recording = Recording(routing)  # type: ignore[arg-type]
    result = execute(
        run.plan(doc), runner=recording, cache=run.cache, store=run.store, emit=events.append
    )
    assert result.status == "succeeded"
    assert recording.speculated("c")
    assert_causal(run.plan(doc), events)
    staged = make_task(run.plan(doc).step("c"), {}, run_id="r", attempt=1, store=tmp_path)
    in_image = {**staged, "step": {**staged["step"], "environment": {"image": "img:1"}}}
    assert not routing.placeable(in_image)  # a container cannot take a table held in memory


def test_small_outputs_already_stored_are_finished_at_once_and_new_ones_staged(
    tmp_path: Path, package: str
) -> None:
    step = _train_step(package)
    task = make_task(step, {}, run_id="r", attempt=1, store=tmp_path)
    task["inputs"] = {"dataset": {"pending": "nowhere/dataset", "kind": "parquet"}}
    missing = stage_step(task, token="m", small=False)  # an evicted in-memory input
    assert isinstance(missing, dict) and missing["provisional_missing"] is True
    provisional.put("t/dataset", Held("parquet", table=_arrow_table()))
    task["inputs"] = {"dataset": {"pending": "t/dataset", "kind": "parquet"}}
    held = stage_step(task, token="m1")  # small outputs held too (another table is storing)
    assert isinstance(held, Staged)
    assert held.refs == {"model": {"pending": "m1/model", "kind": "pickle"}}
    stored = held.finish()
    digest = stored["outputs"]["model"]["digest"]
    assert ArtifactStore(tmp_path).exists(digest)
    again = stage_step(task, token="m2", small=False)  # nothing to write: finished at once
    assert isinstance(again, dict) and again["status"] == "succeeded"
    assert again["outputs"] == stored["outputs"]
    # new bytes are staged even when nothing else is being stored: their fsyncs run beside
    # the next step (decision 0037)
    provisional.put("t2/dataset", Held("parquet", table=_arrow_table(scale=2.0)))
    task["inputs"] = {"dataset": {"pending": "t2/dataset", "kind": "parquet"}}
    new = stage_step(task, token="m4", small=False)
    assert isinstance(new, Staged)
    assert new.refs == {"model": {"pending": "m4/model", "kind": "pickle"}}
    assert new.finish()["outputs"]["model"]["digest"] != digest
    task["inputs"] = {"dataset": {"pending": "t/dataset", "kind": "parquet"}}
    # bytes already in the store are named by digest: readers check them there
    third = stage_step(task, token="m3")
    assert isinstance(third, Staged)
    assert third.refs == {"model": {"digest": digest, "kind": "pickle"}}


def test_a_damaged_stored_output_is_held_for_its_readers_and_written_again(
    tmp_path: Path, package: str
) -> None:
    step = _train_step(package)
    provisional.put("d/dataset", Held("parquet", table=_arrow_table()))
    task = make_task(step, {}, run_id="r", attempt=1, store=tmp_path)
    task["inputs"] = {"dataset": {"pending": "d/dataset", "kind": "parquet"}}
    first = stage_step(task, token="d1", small=False)
    first = first.finish() if isinstance(first, Staged) else first
    digest = first["outputs"]["model"]["digest"]
    store = ArtifactStore(tmp_path)
    whole = store.get(digest)
    store.path(digest).write_bytes(whole[:-5])  # cut short (a disk that lost its end)
    again = stage_step(task, token="d2", small=False)
    # a step behind it reads the bytes from memory, not the damaged file; storing rewrites it
    assert isinstance(again, Staged)
    assert again.refs == {"model": {"pending": "d2/model", "kind": "pickle"}}
    assert again.finish()["outputs"]["model"]["digest"] == digest
    assert store.get(digest) == whole


def _train_step(package: str) -> dict[str, Any]:
    """The test package's train step as a plan gives it to make_task."""
    return {
        "key": "m",
        "module": "spec.train@1",
        "implementation": f"{package}:train",
        "implementation_digest": "v1",
        "params_json": "{}",
        "outputs": [{"port": "model", "type": "Model"}],
    }


def _arrow_table(scale: float = 1.0) -> Any:
    import pyarrow as pa

    return pa.table({"x": [1, 2, 3], "y": [0.5 * scale, 1.0 * scale, 1.5 * scale]})


def test_blas_threads_follow_the_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A step alone gets every CPU's BLAS threads; steps that run together share the CPUs."""
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    cpus = threads.cpus()
    doc = graph(
        [
            node("alone", "test.blas_threads@1"),
            node("a", "test.blas_threads@1", seconds=0.5),
            node("b", "test.blas_threads@1", seconds=0.5),
        ],
        [("alone.out", "a.in"), ("alone.out", "b.in")],
    )
    store = ArtifactStore(tmp_path / "artifacts")
    with LocalRunner(2) as runner:
        assert runner.env["OPENBLAS_NUM_THREADS"] == str(cpus)  # pools sized for every CPU
        result = execute(
            compile_document(doc, support_registry(), {}),
            runner=runner,
            cache=NullCache(),
            store=store,
            parallelism=2,
        )
    assert result.status == "succeeded"
    seen = {
        key: json.loads(store.get(step.outputs["out"].digest))["threads"]
        for key, step in result.steps.items()
    }
    a, b = result.steps["a"], result.steps["b"]
    assert a.started_at is not None and b.started_at is not None
    assert a.finished_at is not None and b.finished_at is not None
    assert a.started_at < b.finished_at and b.started_at < a.finished_at  # they overlapped
    assert seen["alone"] == cpus
    # the first of the pair started alone; the second while the first ran
    assert sorted([seen["a"], seen["b"]]) == sorted([max(1, cpus // 2), cpus])


def test_a_step_shares_the_cpus_with_its_workers_table_storage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A step that starts while its worker still encodes and stores the table it reads is not
    alone on the machine: it gets a share of the CPUs, not every one (0027), and so does a BLAS
    library it loads itself (scipy's, not loaded before in the worker)."""
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    cpus = threads.cpus()
    doc = graph(
        [
            node("table", "test.frame@1", rows=300_000),
            node("fit", "test.blas_threads@1", imports="scipy.linalg"),
        ],
        [("table.dataset", "fit.in")],
    )
    store = ArtifactStore(tmp_path / "artifacts")
    with LocalRunner(2) as runner:
        result = execute(
            compile_document(doc, support_registry(), {}),
            runner=runner,
            cache=NullCache(),
            store=store,
        )
    assert result.status == "succeeded"
    fit = json.loads(store.get(result.steps["fit"].outputs["out"].digest))
    assert fit["threads"] == max(1, cpus // 2)


def test_a_thread_count_the_caller_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    runner = LocalRunner(2, env={"OMP_NUM_THREADS": "3"})
    assert runner.env["OMP_NUM_THREADS"] == "3" and not runner.budget
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "6")
    caller = LocalRunner(2)
    assert caller.env["OPENBLAS_NUM_THREADS"] == "6" and not caller.budget
    assert threads.share(8, 1) == 8 and threads.share(8, 3) == 2 and threads.share(2, 4) == 1


def test_a_chain_step_waits_behind_the_running_step_it_reads(run: Run, tmp_path: Path) -> None:
    """Each step of a chain is sent, when the one it reads starts, to wait behind it on its
    worker: it starts when that one returns, with no round trip through the executor."""
    doc = chain(
        node("t", "spec.table@1", rows=100),
        node("a", "spec.double@1"),
        node("b", "spec.double@1"),
        node("c", "spec.consume@1"),
    )
    result = run(doc, prefetch=True)
    assert result.status == "succeeded"
    log = run.runner
    for source, step in (("t", "a"), ("a", "b"), ("b", "c")):
        assert log.index("submit", step, pending=True) < log.index("computed", source)
    assert all(result.steps[k].attempts == 1 for k in "tabc")
    plain = run(
        doc,
        speculative=False,
        store=ArtifactStore(tmp_path / "plain"),
        cache=FileCache(tmp_path / "plain"),
    )
    assert {k: s.outputs for k, s in result.steps.items()} == {
        k: s.outputs for k, s in plain.steps.items()
    }


def test_a_step_waiting_behind_one_that_fails_is_never_announced(run: Run) -> None:
    """...and ends by itself (its input is gone): its worker is not stopped with the run."""
    run.local.start()
    pids = run.local.pids()
    doc = chain(
        node("t", "spec.table@1", rows=100), node("f", "spec.fail@1"), node("c", "spec.consume@1")
    )
    waited = 0
    for _ in range(5):
        result = run(doc)
        f, c = result.steps["f"], result.steps["c"]
        assert (f.status.value, f.attempts) == ("failed", 1)
        assert f.error is not None and "this step fails" in f.error
        assert (c.status.value, c.attempts) == ("upstream_failed", 0)
        waited += run.runner.speculated("c")
        assert [e.type for e in run.of("c")] == [EventType.STEP_UPSTREAM_FAILED]
        assert run.local.pids() == pids
    # On a loaded machine the failing step can end before `c` is sent to wait behind it (1 run
    # in ~10 with both CPUs busy); the case must still have been exercised.
    assert waited >= 1, "c never waited behind f"


def test_a_step_waiting_behind_a_long_one_is_timed_from_its_own_start(run: Run) -> None:
    """A step sent to wait behind a slow one starts its clock when its worker takes it."""
    quick = {**node("q", "spec.slow@1", seconds=0.1), "execution": {"timeout": 1}}
    doc = chain(node("t", "spec.table@1", rows=100), node("s", "spec.slow@1", seconds=1.5), quick)
    result = run(doc)
    assert result.status == "succeeded", {k: s.error for k, s in result.steps.items()}
    assert run.runner.index("submit", "q", pending=True) < run.runner.index("computed", "s")
    q = result.steps["q"]
    assert q.started_at is not None and q.finished_at is not None
    assert q.started_at >= result.steps["s"].finished_at - 0.05
