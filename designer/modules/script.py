"""Execute Python script: user code on up to two tables, run in the sandbox.

The worker checks the code, sends it and the inputs (Parquet) to the script harness
(designer/sandbox/harness/script.py) and reads back one or two tables and the figures the
script left open (PNG).
"""

from __future__ import annotations

import ast
import base64
import io
import json
import struct
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa

from designer.engine import bounded_parquet
from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame, optional_frame
from designer.modules.sandboxed import limits_from, run_harness
from designer.modules.script_errors import USER_FILE, fold_library_frames, user_error
from designer.sandbox.harness import protocol, script_metrics

ENTRY_POINTS = ("azureml_main", "main")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# the figures a script may leave open: how many, pixels a side, bytes of PNG together
FIGURE_LIMITS = {"count": 20, "side": 4000, "bytes": 20 * 1024 * 1024}


def check_code(code: str) -> None:
    """Reject code that does not parse or defines no entry point, before starting a sandbox."""
    if not code.strip():
        raise StepError("code: the script is empty", param="code")
    try:
        tree = ast.parse(code, USER_FILE)
    except SyntaxError as exc:
        raise StepError(
            f'code: line {exc.lineno}: SyntaxError: {exc.msg}\n  File "{USER_FILE}", line '
            f"{exc.lineno}\n    {(exc.text or '').strip()}",
            param="code",
        ) from exc
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if not defined & set(ENTRY_POINTS):
        raise StepError(
            "code: define a function azureml_main(dataframe1, dataframe2=None)", param="code"
        )


def _input_frame(df: pd.DataFrame | None) -> bytes:
    if df is None:
        return protocol.encode({"present": False})
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False)
    return protocol.encode({"present": True}, buffer.getvalue())


def python_script(ctx: StepContext) -> Mapping[str, Any]:
    """Run the user's azureml_main in the sandbox and return its DataFrames."""
    code = str(ctx.params.get("code") or "")
    check_code(code)
    limits = limits_from(ctx.params)
    inputs = [frame(ctx, "dataset1", allow_empty=True), optional_frame(ctx, "dataset2")]
    start = {
        "file": USER_FILE,
        "entry_points": list(ENTRY_POINTS),
        "inputs": len(inputs),
        "figures": FIGURE_LIMITS,
    }
    finished = run_harness(
        ctx,
        "script.py",
        [protocol.encode(start, code.encode()), *(_input_frame(df) for df in inputs)],
        limits=limits,
        what="the script",
    )
    header, _ = finished.end or ({}, b"")
    if header.get("type") == "error":
        raise _failure(header, limits.memory_bytes // (1024 * 1024))
    tables = {
        int(h["index"]): _table(int(h["index"]), p, limits.memory_bytes)
        for h, p in finished.outputs
        if "index" in h
    }
    metrics = _metrics(finished.outputs)
    if 1 not in tables and metrics is None:
        raise StepError("code: the script returned no table", param="code")
    figures = _figures(finished.outputs)
    ctx.log(f"script finished ({len(figures)} figures)" if figures else "script finished")
    return {
        "result1": tables.get(1, pd.DataFrame()),
        "result2": tables.get(2, pd.DataFrame()),
        "figures": {"figures": figures},
        "metrics": metrics or {},
    }


def _table(index: int, payload: bytes, memory_bytes: int) -> pd.DataFrame:
    """A table the script sent (Parquet), counted before it is decoded: the bytes come from
    the sandbox, and what they decode to is held here, outside its memory limit."""
    try:
        return bounded_parquet.read_table(io.BytesIO(payload), memory_bytes).to_pandas()
    except bounded_parquet.TooLarge as exc:
        raise StepError(
            f"memory_mb: the script's table {index} decodes to more than its memory limit "
            f"({memory_bytes // (1024 * 1024)} MB)",
            param="memory_mb",
        ) from exc
    except (pa.ArrowException, OSError) as exc:
        raise StepError(f"the script's sandbox sent a table {index} that is not Parquet") from exc


def _figures(outputs: list[tuple[dict[str, Any], bytes]]) -> list[dict[str, Any]]:
    """The figures the harness sent, as the `figures` output keeps them: title, size in pixels
    (read from the PNG itself) and the PNG. The frames came out of the sandbox, where the
    user's code could have written them itself: the limits are checked again here."""
    sent = [(header, png) for header, png in outputs if "figure" in header]
    count, total = len(sent), sum(len(png) for _, png in sent)
    if count > FIGURE_LIMITS["count"] or total > FIGURE_LIMITS["bytes"]:
        raise StepError(f"the script's sandbox sent {count} figures of {total} bytes: too many")
    figures = []
    for header, png in sent:
        valid = png.startswith(PNG_SIGNATURE) and png[12:16] == b"IHDR"
        width, height = struct.unpack(">II", png[16:24]) if valid else (0, 0)
        if not (0 < width <= FIGURE_LIMITS["side"] and 0 < height <= FIGURE_LIMITS["side"]):
            raise StepError("the script's sandbox sent a figure that is not a PNG image")
        title = str(header.get("title", ""))[:200]
        png_text = base64.b64encode(png).decode("ascii")
        figures.append({"title": title, "width": width, "height": height, "png": png_text})
    return figures


def _metrics(outputs: list[tuple[dict[str, Any], bytes]]) -> dict[str, int | float | None] | None:
    """The metrics the harness sent (None when the script returned none), checked again: the
    frame came out of the sandbox, where the user's code could have written it itself."""
    sent = [payload for header, payload in outputs if "metrics" in header]
    if not sent:
        return None
    if len(sent) > 1:
        raise StepError(f"the script's sandbox sent {len(sent)} frames of metrics; at most one")
    if len(sent[0]) > script_metrics.MAX_BYTES:
        raise StepError(
            f"the script's sandbox sent {len(sent[0])} bytes of metrics; at most "
            f"{script_metrics.MAX_BYTES}"
        )
    try:
        value = json.loads(sent[0], parse_constant=_not_a_number)
        return script_metrics.check(value)
    except (ValueError, RecursionError) as exc:
        raise StepError(f"the script's sandbox sent metrics that are not valid: {exc}") from exc


def _not_a_number(constant: str) -> float:
    raise ValueError(f"a metric is {constant}")


def _failure(error: Mapping[str, Any], memory_mb: int) -> StepError:
    if error["kind"] == "memory":
        return StepError(
            f"memory_mb: the script ran out of memory (limit {memory_mb} MB)\n"
            f"{fold_library_frames(error['traceback'])}".rstrip(),
            param="memory_mb",
        )
    return StepError(f"code: {user_error(error['message'], error['traceback'])}", param="code")
