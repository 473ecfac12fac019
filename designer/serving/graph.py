"""An inference graph evaluated in process: each node's module implementation called in
topological order with an in-memory StepContext (no engine, no store, no run tables)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from designer.engine.context import StepError
from designer.engine.registry import load_implementation
from designer.engine.store import ArtifactError

Artifacts = Callable[[str, str], Any]  # (digest, kind) -> the stored value


class NoArtifacts:
    """The artifact reader of a built scorer: frozen values were loaded when it was built."""

    def __call__(self, digest: str, kind: str) -> Any:
        raise ArtifactError("a built scorer reads no stored artifacts")


class _NoDatasets:
    """Registered datasets are not readable while scoring."""

    def read(self, name: str, version: str | None = None) -> tuple[Path, str]:
        raise StepError("registered datasets cannot be read by a real-time endpoint")

    def write(self, name: str, parquet_path: Path, description: str = "") -> str:
        raise StepError("a real-time endpoint cannot register datasets")


class ScoringContext:
    """The StepContext of a node evaluated in process."""

    def __init__(
        self,
        node_id: str,
        params: Mapping[str, Any],
        inputs: Mapping[str, Any],
        workdir: Path,
        artifacts: Artifacts,
    ):
        self.node_id = node_id
        self.params = params
        self.workdir = workdir
        self.datasets = _NoDatasets()
        self._inputs = inputs
        self._artifacts = artifacts
        self.logs: list[str] = []

    def input(self, port: str) -> Any:
        return self._inputs.get(port)

    def log(self, message: str) -> None:
        self.logs.append(str(message))

    def progress(self, value: float, maximum: float | None = None) -> None:
        return None

    def rows_of(self, output: str, source: str, positions: Any) -> None:
        return None

    def rescaled(
        self, output: str, source: str, columns: Mapping[str, tuple[float, float]]
    ) -> None:
        return None

    def artifact(self, digest: str, kind: str) -> Any:
        return self._artifacts(digest, kind)


@dataclass
class Node:
    """One node to evaluate: its module, resolved params and where each input comes from."""

    id: str
    module: str  # "name@version"
    implementation: str
    params: dict[str, Any]
    inputs: dict[str, tuple[str, str] | None]  # port -> (node, port) or unconnected
    func: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.module.rpartition("@")[0]

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "func": None}  # re-imported by path after unpickling

    def call(
        self, values: Mapping[tuple[str, str], Any], artifacts: Artifacts, workdir: Path
    ) -> Mapping[str, Any]:
        """Run the module on the values of its inputs; StepError for a user-facing failure."""
        if self.func is None:
            self.func = load_implementation(self.implementation)
        inputs = {port: None if src is None else values[src] for port, src in self.inputs.items()}
        result: Mapping[str, Any] = self.func(
            ScoringContext(self.id, self.params, inputs, workdir, artifacts)
        )
        return result


def evaluate(
    nodes: list[Node],
    values: dict[tuple[str, str], Any],
    artifacts: Artifacts,
) -> dict[tuple[str, str], Any]:
    """Evaluate `nodes` (in order) on top of `values`, {(node, port): value}; return them all.

    A StepError is re-raised as NodeError naming the node. The nodes share one scratch
    directory, removed at the end.
    """
    workdir = Path(tempfile.mkdtemp(prefix="designer-scoring-"))
    try:
        for node in nodes:
            try:
                outputs = node.call(values, artifacts, workdir)
            except StepError as exc:
                raise NodeError(node.id, exc) from exc
            for port, value in outputs.items():
                values[(node.id, port)] = value
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return values


class NodeError(Exception):
    """A node failed on the rows; the message names the node and what the module said."""

    def __init__(self, node: str, error: StepError):
        super().__init__(f"node {node}: {error}")
        self.node = node
        self.param = error.param
        self.port = error.port
