"""Harness of Execute Python script: run the user's entry point on the input tables.

Stdin: a start frame {"file", "entry_points", "inputs", "figures" (limits: count, side in
pixels, bytes)} whose payload is the code, then one frame per input ({"present"}, Parquet).
Results: {"type": "output", "index"} frames (Parquet), a {"type": "output", "figure", "title"}
frame (PNG) for each matplotlib figure the script left open, a {"type": "output", "metrics"}
frame (JSON) when the script returned a dict of metrics, then {"type": "done"}; or an error
frame.
"""

from __future__ import annotations

import io
import json
import linecache
import os
import shutil
import sys
import warnings
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import failures
import guard
import numpy as np
import pandas as pd  # before the step is known: a standby sandbox has it ready
import protocol
import pyarrow.parquet  # noqa: F401  (what read_parquet and to_parquet use, imported early too)
import script_metrics


def _font_list() -> None:
    """Start matplotlib's config folder with the font list built at setup
    (designer/sandbox/fonts.py), so importing it does not scan the fonts in every step."""
    source, config = os.environ.get("DESIGNER_FONT_LIST", ""), os.environ.get("MPLCONFIGDIR")
    if not config or not os.path.isdir(source):
        return
    os.makedirs(config, exist_ok=True)
    for name in os.listdir(source):
        if name.startswith("fontlist-") and name.endswith(".json"):
            shutil.copyfile(os.path.join(source, name), os.path.join(config, name))


def _check_result(result: Any) -> tuple[list[Any], dict[str, Any] | None]:
    """The returned tables and the dict of metrics (None when none was returned)."""
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    dicts = [i for i, o in enumerate(outputs, start=1) if isinstance(o, dict)]
    if len(dicts) > 1:
        raise TypeError(
            f"the entry point returned {len(dicts)} dicts (elements {', '.join(map(str, dicts))}"
            " of its tuple); return one dict of metrics, as the last element"
        )
    if dicts and dicts[0] != len(outputs):
        raise TypeError(
            f"the entry point returned a dict as element {dicts[0]} of {len(outputs)}; a dict of "
            "metrics must be the last element of the returned tuple"
        )
    metrics = outputs.pop() if dicts else None
    if (
        (not outputs and metrics is None)
        or len(outputs) > 2
        or not all(isinstance(o, pd.DataFrame) for o in outputs)
    ):
        kinds = ", ".join(type(o).__name__ for o in outputs) or "nothing"
        raise TypeError(
            "the entry point must return a pandas DataFrame or a tuple of one or two "
            f"DataFrames, got {kinds} (a dict of metrics may come last)"
        )
    if metrics is None:
        return outputs, None
    plain = {k: v.item() if isinstance(v, np.generic) else v for k, v in metrics.items()}
    return outputs, script_metrics.check(plain)


def _parquet(df: Any) -> bytes:
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _figures(limits: dict[str, int]) -> list[tuple[dict[str, Any], bytes]]:
    """The matplotlib figures left open, in the order they were made, as PNG with their titles
    (none when the script never imported pyplot); ValueError beyond `limits`."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    numbers = pyplot.get_fignums()
    if len(numbers) > limits["count"]:
        raise ValueError(
            f"the script left {len(numbers)} figures open; at most {limits['count']} are kept "
            "(close the others with plt.close(fig))"
        )
    found, size = [], 0
    for number in numbers:
        figure = pyplot.figure(number)
        width, height = (round(side) for side in figure.get_size_inches() * figure.dpi)
        if max(width, height) > limits["side"]:
            raise ValueError(
                f"figure {number} is {width} by {height} pixels; at most {limits['side']} on a "
                "side (set a smaller figsize or dpi)"
            )
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        size += buffer.tell()
        if size > limits["bytes"]:
            raise ValueError(
                f"the figures take {size / 1024 / 1024:.0f} MB of PNG up to figure {number}; "
                f"at most {limits['bytes'] // 1024 // 1024} MB together"
            )
        title = figure.get_suptitle() or next(
            (axes.get_title() for axes in figure.axes if axes.get_title()), ""
        )
        found.append(({"figure": number, "title": title or f"Figure {number}"}, buffer.getvalue()))
    return found


def main() -> int:
    _font_list()  # before the step is known, as the imports above
    out, start, code = guard.start()
    # plt.show() keeps the figure, which becomes the step's output: nothing to warn about
    warnings.filterwarnings("ignore", "FigureCanvasAgg is non-interactive")
    source, user_file = code.decode(), start["file"]
    linecache.cache[user_file] = (len(source), None, source.splitlines(True), user_file)
    payloads = []
    for _ in range(start["inputs"]):
        item = protocol.read(sys.stdin.buffer)
        assert item is not None, "an input frame is missing"
        payloads.append(item[1] if item[0]["present"] else None)
    try:
        inputs = [None if p is None else pd.read_parquet(io.BytesIO(p)) for p in payloads]
    except MemoryError:
        failures.report(out, "memory", None, "the memory limit is too low to load the inputs")
        return 1
    del payloads
    namespace: dict[str, Any] = {"__name__": "__user_script__"}
    try:
        exec(compile(source, user_file, "exec"), namespace)
        entry = next(
            (namespace[n] for n in start["entry_points"] if callable(namespace.get(n))), None
        )
        if entry is None:
            failures.report(
                out, "user", None, "define a function azureml_main(dataframe1, dataframe2=None)"
            )
            return 1
        tables, metrics = _check_result(entry(*inputs))
        outputs = [_parquet(df) for df in tables]
        figures = _figures(start["figures"])
    except MemoryError as error:
        failures.report(out, "memory", error)
        return 1
    except BaseException as error:  # the user's error, reported with the user's line numbers
        failures.report(out, "user", error)
        return 1
    for index, data in enumerate(outputs, start=1):
        protocol.write(out, {"type": "output", "index": index}, data)
    for header, png in figures:
        protocol.write(out, {"type": "output", **header}, png)
    if metrics is not None:
        protocol.write(
            out,
            {"type": "output", "metrics": True},
            json.dumps(metrics, ensure_ascii=False).encode(),
        )
    protocol.write(out, {"type": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
