"""Harness of Execute Python script: run the user's entry point on the input tables.

Stdin: a start frame {"file", "entry_points", "inputs", "figures" (limits: count, side in
pixels, bytes)} whose payload is the code, then one frame per input ({"present"}, Parquet).
Results: {"type": "output", "index"} frames (Parquet), a {"type": "output", "figure", "title"}
frame (PNG) for each matplotlib figure the script left open, then {"type": "done"}; or an
error frame.
"""

from __future__ import annotations

import io
import linecache
import os
import shutil
import sys
import warnings
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import failures
import guard
import pandas as pd  # before the step is known: a standby sandbox has it ready
import protocol
import pyarrow.parquet  # noqa: F401  (what read_parquet and to_parquet use, imported early too)


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


def _check_result(result: Any) -> list[Any]:
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    if not 1 <= len(outputs) <= 2 or not all(isinstance(o, pd.DataFrame) for o in outputs):
        kinds = ", ".join(type(o).__name__ for o in outputs) or "nothing"
        raise TypeError(
            "the entry point must return a pandas DataFrame or a tuple of one or two "
            f"DataFrames, got {kinds}"
        )
    return outputs


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
        outputs = [_parquet(df) for df in _check_result(entry(*inputs))]
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
    protocol.write(out, {"type": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
