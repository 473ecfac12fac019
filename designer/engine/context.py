"""What a module implementation sees when it runs: its params, inputs, logs and outside data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol


class StepError(Exception):
    """A user-facing failure of a step (bad param, missing column, empty input).

    The message is shown as is, without a traceback; `param` names the param at fault.
    """

    def __init__(self, message: str, *, param: str | None = None, port: str | None = None):
        super().__init__(message)
        self.param = param
        self.port = port


class DatasetStore(Protocol):
    """Registered datasets by name and version, readable and writable from worker processes."""

    def read(self, name: str, version: str | None = None) -> tuple[Path, str]:
        """Return (path of the Parquet file, version digest); version None means the latest."""
        ...

    def write(self, name: str, parquet_path: Path, description: str = "") -> str:
        """Register the Parquet file as a new version of `name` (or reuse an identical one)."""
        ...


class StepContext(Protocol):
    """The argument every module implementation receives.

    A module implementation is `def run(ctx: StepContext) -> Mapping[str, Any]`, returning one
    value per output port: a pandas DataFrame for DataFrame ports, any picklable object for
    Model / Transform ports, a JSON-ready dict for Metrics ports.
    """

    node_id: str
    params: Mapping[str, Any]  # resolved: pipeline parameters substituted, defaults filled in
    workdir: Path  # an empty directory of the step's own, removed afterwards
    datasets: DatasetStore

    def input(self, port: str) -> Any:
        """Return the value on an input port, or None when an optional input is unconnected."""
        ...

    def log(self, message: str) -> None:
        """Send a log line to the step's log (print() output is captured too)."""
        ...

    def progress(self, value: float, maximum: float | None = None) -> None:
        """Report progress, e.g. progress(3, 10)."""
        ...

    def rows_of(self, output: str, source: str, positions: Any) -> None:
        """Tell the engine that output `output` holds the rows at `positions` (integers) of
        input `source`, in that order, with a fresh 0..n-1 index: a storage hint (it may keep
        the output as a reference to the input, after checking the columns bit for bit)."""
        ...

    def rescaled(
        self, output: str, source: str, columns: Mapping[str, tuple[float, float]]
    ) -> None:
        """Tell the engine that output `output` is input `source` with each named column
        replaced by (column as float64 - center) / scale (`columns`: name -> (center, scale)):
        a storage hint, checked like `rows_of`."""
        ...

    def artifact(self, digest: str, kind: str) -> Any:
        """Return a stored output by its digest and kind (a model frozen from an earlier run,
        a registered dataset's version); an output equal to a table read so may be stored as
        a reference to it, as to an input.

        Which digests a step may name is the caller's check (the server allows only outputs
        of runs in the graph's own workspace); a missing or corrupted artifact raises
        designer.engine.store.ArtifactError.
        """
        ...
