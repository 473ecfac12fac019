"""Harness of a custom module without an image: its `run(ctx)` on a StepContext over frames.

Stdin: a start frame {"folder", "file", "function", "sdk", "node_id", "params"}; then, for
each `ctx.input(port)` the module asks for (an {"type": "input", "port"} frame on the results
stream), a reply {"format": none|arrow|json|pickle, "error"?} with the value. `ctx.log` and
`ctx.progress` become {"type": "log"|"progress"} frames; print() goes to stdout. Results: one
{"type": "output", "port", "format": arrow|json} frame per returned value, then {"type":
"done"}; or an error frame. Only tables (Arrow IPC) and JSON values leave the sandbox: the
worker never unpickles what user code made.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import sys
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import failures
import guard
import pandas as pd  # before the step is known: a standby sandbox has it ready
import protocol
import pyarrow as pa


def install_sdk(path: str) -> Any:
    """Make `designer.engine.context` (the one file custom modules import) importable."""
    for name in ("designer", "designer.engine"):
        package = types.ModuleType(name)
        package.__path__ = []
        sys.modules[name] = package
    spec = importlib.util.spec_from_file_location("designer.engine.context", path)
    assert spec is not None and spec.loader is not None
    context = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = context
    spec.loader.exec_module(context)
    return context


def arrow_to_frame(data: bytes) -> Any:
    return pa.ipc.open_stream(data).read_all().to_pandas()


def frame_to_arrow(frame: Any) -> bytes:
    table = pa.Table.from_pandas(frame)  # as the engine stores a DataFrame
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def _plain(value: Any) -> Any:
    for method in ("item", "tolist"):  # numpy scalars and arrays
        if callable(getattr(value, method, None)):
            return getattr(value, method)()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class NoDatasets:
    """Registered datasets are not reachable from the sandbox."""

    def __init__(self, step_error: Callable[..., Exception]):
        self.step_error = step_error

    def read(self, name: str, version: str | None = None) -> Any:
        raise self.step_error("registered datasets are not available to custom modules")

    write = read


class Context:
    """The StepContext of the module: params here, inputs, logs and progress through frames."""

    def __init__(self, start: dict[str, Any], out: IO[bytes], step_error: Callable[..., Exception]):
        self.node_id = start["node_id"]
        self.params = start["params"]
        self.workdir = Path("/tmp/work")
        self.workdir.mkdir()
        self.datasets = NoDatasets(step_error)
        self._out = out
        self._step_error = step_error
        self._inputs: dict[str, Any] = {}

    def input(self, port: str) -> Any:
        if port not in self._inputs:
            protocol.write(self._out, {"type": "input", "port": port})
            frame = protocol.read(sys.stdin.buffer)
            assert frame is not None, "the worker closed the input stream"
            header, payload = frame
            if header.get("error"):
                raise self._step_error(header["error"], port=port)
            kind = header["format"]
            if kind == "arrow":
                value = arrow_to_frame(payload)
            elif kind == "json":
                value = json.loads(payload)
            elif kind == "pickle":  # made by the worker, not by user code
                value = pickle.loads(payload)
            else:
                value = None
            self._inputs[port] = value
        return self._inputs[port]

    def log(self, message: str) -> None:
        protocol.write(self._out, {"type": "log", "lines": str(message).splitlines() or [""]})

    def progress(self, value: float, maximum: float | None = None) -> None:
        protocol.write(self._out, {"type": "progress", "value": value, "max": maximum})


def encode_output(port: str, value: Any) -> tuple[str, bytes]:
    """A returned value as (format, bytes): a table as Arrow, anything else as JSON."""
    if isinstance(value, pd.DataFrame):
        return "arrow", frame_to_arrow(value)
    try:
        return "json", json.dumps(value, default=_plain, allow_nan=True).encode()
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"output `{port}`: a {type(value).__name__} cannot leave the sandbox (custom modules "
            "without an image return tables and JSON values; name an image in the spec for "
            "Model and Transform outputs)"
        ) from exc


def main() -> int:
    out, start, _ = guard.start()
    context_module = install_sdk(start["sdk"])
    step_error = context_module.StepError
    sys.path.insert(0, start["folder"])  # the module's own helper files
    try:
        spec = importlib.util.spec_from_file_location("custom_module", start["file"])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        returned = getattr(module, start["function"])(Context(start, out, step_error))
        if returned is None:
            returned = {}
        if not isinstance(returned, Mapping):
            failures.report(out, "returned", None, type(returned).__name__)
            return 1
        outputs = [(str(port), *encode_output(str(port), v)) for port, v in returned.items()]
    except step_error as error:
        failures.report(out, "step", None, str(error), param=error.param, port=error.port)
        return 1
    except MemoryError as error:
        failures.report(out, "memory", error)
        return 1
    except BaseException as error:  # the module's error, with its own frames
        failures.report(out, "user", error)
        return 1
    for port, kind, data in outputs:
        protocol.write(out, {"type": "output", "port": port, "format": kind}, data)
    protocol.write(out, {"type": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
