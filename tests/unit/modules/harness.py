"""A real StepContext for module tests, and a step-by-step graph runner over the engine worker."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from designer.engine.artifacts import decode, encode
from designer.engine.compile import compile_graph
from designer.engine.datasets import StoredDatasets
from designer.engine.params import check_value, default_value
from designer.engine.registry import Registry, load_implementation
from designer.engine.schema import parse_graph
from designer.engine.store import ArtifactStore
from designer.engine.worker import make_task, run_step
from designer.modules import builtin_registry

REGISTRY = builtin_registry()


def stored(table: pd.DataFrame) -> pd.DataFrame:
    """The table as a step reads it (from Parquet): scikit-learn sums its columns in the same
    order for the reference as for the step, to the last bit."""
    return pd.read_parquet(io.BytesIO(table.to_parquet(index=False)))


class ModuleContext:
    """The StepContext modules see in these tests: resolved params, stored inputs, logs."""

    def __init__(
        self,
        params: Mapping[str, Any],
        inputs: Mapping[str, Any],
        workdir: Path,
        datasets: Any,
        logs: list[str] | None = None,
    ):
        self.node_id = "node"
        self.params = dict(params)
        self.workdir = workdir
        self.datasets = datasets
        self._inputs = dict(inputs)
        self.logs: list[str] = [] if logs is None else logs
        self.progress_values: list[tuple[float, float | None]] = []
        self.rows: dict[str, tuple[str, list[int]]] = {}  # rows_of hints by output port
        self.rescales: dict[str, tuple[str, dict[str, tuple[float, float]]]] = {}  # rescaled

    def input(self, port: str) -> Any:
        return self._inputs.get(port)

    def log(self, message: str) -> None:
        self.logs.append(message)

    def progress(self, value: float, maximum: float | None = None) -> None:
        self.progress_values.append((value, maximum))

    def rows_of(self, output: str, source: str, positions: Any) -> None:
        self.rows[output] = (source, [int(p) for p in positions])

    def rescaled(
        self, output: str, source: str, columns: Mapping[str, tuple[float, float]]
    ) -> None:
        self.rescales[output] = (source, dict(columns))

    def artifact(self, digest: str, kind: str) -> Any:
        return decode(self.datasets.store.get(digest), kind)


class ModuleRunner:
    """Runs one module the way a worker would: defaults filled, params checked, values stored.

    `logs` holds the log lines of the current (or last) call as they arrive.
    """

    def __init__(self, tmp: Path, registry: Registry = REGISTRY):
        self.tmp = tmp
        self.registry = registry
        self.datasets = StoredDatasets(ArtifactStore(tmp / "artifacts"), "test")
        self.logs: list[str] = []

    def __call__(
        self, ref: str, params: Mapping[str, Any] | None = None, **inputs: Any
    ) -> dict[str, Any]:
        spec = self.registry.get(ref)
        assert spec is not None, ref
        params = dict(params or {})
        unknown = set(params) - {p.name for p in spec.params}
        assert not unknown, f"unknown params {unknown}"
        resolved = {}
        for p in spec.params:
            value = params[p.name] if p.name in params else default_value(p)
            problem = check_value(p, value)
            assert problem is None, problem
            resolved[p.name] = value
        stored = {}
        for name, value in inputs.items():
            port = spec.input(name)
            assert port is not None, f"{ref} has no input {name}"
            stored[name] = _roundtrip(value, port.type) if value is not None else None
        workdir = self.tmp / "work"
        workdir.mkdir(parents=True, exist_ok=True)
        self.logs = []
        ctx = self.context = ModuleContext(resolved, stored, workdir, self.datasets, self.logs)
        returned = load_implementation(spec.implementation)(ctx)
        assert set(returned) == {o.name for o in spec.outputs}
        return {o.name: _roundtrip(returned[o.name], o.type) for o in spec.outputs}


def _roundtrip(value: Any, port_type: Any) -> Any:
    encoded = encode(value, port_type)
    return decode(encoded.data, encoded.kind)


def run_graph(path: Path, tmp: Path, registry: Registry = REGISTRY) -> dict[str, dict[str, Any]]:
    """Compile a graph file and run its steps in plan order through the engine worker."""
    return run_document(json.loads(path.read_text()), tmp, registry).values


@dataclass
class DocumentRun:
    """What run_document stored: each step's output records and decoded values, and where."""

    records: dict[str, dict[str, Any]]  # step -> port -> {"digest", "kind", "size", "summary"}
    values: dict[str, dict[str, Any]]  # step -> port -> decoded value
    store: ArtifactStore


def run_document(
    document: Mapping[str, Any], tmp: Path, registry: Registry = REGISTRY
) -> DocumentRun:
    """Compile a graph document and run its steps in plan order through the engine worker."""
    plan = compile_graph(parse_graph(dict(document)), registry, {})
    store = ArtifactStore(tmp / "artifacts")
    records: dict[str, dict[str, Any]] = {}
    values: dict[str, dict[str, Any]] = {}
    for step in plan.steps:
        inputs = {
            w.port: None
            if w.source_step is None
            else {k: records[w.source_step][w.source_port][k] for k in ("digest", "kind")}
            for w in step.inputs
        }
        task = make_task(step, inputs, run_id="test", attempt=1, store=store.root, datasets="test")
        result = run_step(task)
        assert result["status"] == "succeeded", f"{step.key}: {result.get('error')}"
        records[step.key] = result["outputs"]
        values[step.key] = {
            port: decode(store.get(rec["digest"]), rec["kind"])
            for port, rec in result["outputs"].items()
        }
    return DocumentRun(records, values, store)
