"""A custom module's entry point run in the sandbox (harness/module.py): the worker side.

The module's folder is bound read-only at /sandbox/module and `designer/engine/context.py`
(the one designer file custom modules import) at /sandbox/sdk/context.py; nothing else of the
project is visible. The harness asks for inputs as the module reads them; the worker answers
with the value of `ctx.input(port)`, encoded here (tables as Arrow, JSON values as JSON, other
values pickled by the worker for the sandbox to load). Returned tables and JSON values come
back; Model and Transform outputs need an image (the worker never unpickles user-made bytes).
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from designer.engine import context as engine_context
from designer.engine.artifacts import MAX_JSON_BYTES, frame_to_table, is_dataframe, json_too_large
from designer.engine.context import StepContext, StepError
from designer.modules.sandboxed import run_harness
from designer.sandbox import Limits
from designer.sandbox.harness import protocol
from designer.sandbox.limits import MB

MODULE_DIR = "/sandbox/module"
SDK_FILE = "/sandbox/sdk/context.py"


def limits() -> Limits:
    """Custom modules' limits: DESIGNER_CUSTOM_TIMEOUT (s) and DESIGNER_CUSTOM_MEMORY_MB."""
    return Limits(
        wall_seconds=float(os.environ.get("DESIGNER_CUSTOM_TIMEOUT", 3600)),
        memory_bytes=int(os.environ.get("DESIGNER_CUSTOM_MEMORY_MB", 4096)) * MB,
    )


def table_to_arrow(frame: Any) -> bytes:
    """A DataFrame as an Arrow IPC stream (converted as the engine stores it)."""
    import pyarrow as pa

    table = frame_to_table(frame)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def arrow_to_frame(data: bytes) -> Any:
    """An Arrow IPC stream (from the sandbox) as a DataFrame."""
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_all().to_pandas()


def encode_input(value: Any) -> tuple[str, bytes]:
    """An input value as (format, bytes) for the harness."""
    if value is None:
        return "none", b""
    if is_dataframe(value):
        return "arrow", table_to_arrow(value)
    try:
        return "json", json.dumps(value, allow_nan=True).encode()
    except (TypeError, ValueError):
        return "pickle", pickle.dumps(value, protocol=5)


class SandboxedEntry:
    """Callable like the module's function: runs it on the step's context in the sandbox."""

    def __init__(self, module_name: str, file: Path, function: str):
        self.__module__ = module_name
        self.__name__ = self.__qualname__ = function
        self.file = file
        self.function = function

    def __call__(self, ctx: StepContext) -> Mapping[str, Any]:
        start = {
            "folder": MODULE_DIR,
            "file": f"{MODULE_DIR}/{self.file.name}",
            "function": self.function,
            "sdk": SDK_FILE,
            "node_id": ctx.node_id,
            "params": dict(ctx.params),
        }

        def answer(request: dict[str, Any]) -> Iterable[bytes]:
            port = str(request.get("port"))
            try:
                kind, data = encode_input(ctx.input(port))
            except StepError as exc:
                return [protocol.encode({"error": str(exc)})]
            return [protocol.encode({"format": kind}, data)]

        finished = run_harness(
            ctx,
            "module.py",
            [protocol.encode(start)],
            limits=limits(),
            what=f"the custom module {self.file.name}",
            binds=(
                (str(self.file.parent), MODULE_DIR),
                (str(Path(engine_context.__file__).resolve()), SDK_FILE),
            ),
            on_request=answer,
            timeout_param=None,
            memory_param=None,
        )
        header, _ = finished.end or ({}, b"")
        if header.get("type") == "error":
            raise _failure(header)
        return {h["port"]: _decode(h, p) for h, p in finished.outputs}


def _decode(header: Mapping[str, Any], payload: bytes) -> Any:
    """An output the sandbox sent; JSON past MAX_JSON_BYTES is refused before it is parsed."""
    if header.get("format") == "arrow":
        return arrow_to_frame(payload)
    if len(payload) > MAX_JSON_BYTES:
        port = str(header.get("port"))
        raise StepError(json_too_large(port, len(payload)), port=port)
    return json.loads(payload)


def _name(error: Mapping[str, Any], key: str) -> str | None:
    value = error.get(key)
    return value if isinstance(value, str) else None


def _failure(error: Mapping[str, Any]) -> StepError:
    kind = error.get("kind")
    if kind == "step":
        return StepError(
            str(error["message"]), param=_name(error, "param"), port=_name(error, "port")
        )
    if kind == "returned":
        return StepError(f"the module must return a dict of outputs, got {error['message']}")
    if kind == "memory":
        return StepError(f"the module ran out of memory\n{error['traceback']}".rstrip())
    return StepError(f"{error['message']}\n{error['traceback']}".rstrip())
