"""Codecs: step output values ⇄ bytes by port type, plus a small JSON summary of each output.

- DataFrame → Parquet (pyarrow), kind ``parquet``
- Model / Transform → pickle, kind ``pickle``
- Metrics → canonical JSON, kind ``json``
- Any → whichever of the above fits the value (DataFrame, JSON data, else pickle)

Encoding is deterministic for equal values in one environment, which is what early cutoff
relies on: a step that re-runs and returns an equal value produces the same digest.
pandas and pyarrow are imported only when a DataFrame is actually encoded or decoded.

Parquet is written straight from an Arrow table with LZ4 compression (decision 0110) and
dictionary encoding capped at a 16 KiB dictionary page per column, so a high-cardinality
column (e.g. 100,000 distinct floats, where a full dictionary cost ~10x the rest of the write
and saved nothing) falls back to plain encoding early while low-cardinality ones stay small.

Summaries of tables larger than SUMMARY_SAMPLE_ROWS compute `distinct` and the histograms on a
fixed random sample (the summary says so: ``"sampled": true, "sample_rows": n``); rows, nulls,
min, max, mean and counts of true values are always exact.
See docs/decisions/0006-engine-storage-performance.md.
"""

from __future__ import annotations

import json
import math
import pickle
import sys
from dataclasses import dataclass
from typing import Any

from designer.engine.hashing import canonical_json, json_safe, sha256_hex
from designer.engine.metrics import MAX_METRICS, metric_count
from designer.engine.schema import closed_object as obj
from designer.engine.types import PortType

KIND_PARQUET = "parquet"
KIND_PICKLE = "pickle"
KIND_JSON = "json"
KINDS = (KIND_PARQUET, KIND_PICKLE, KIND_JSON)

SUMMARY_MAX_COLUMNS = 100
SUMMARY_SAMPLE_ROWS = 10_000  # larger tables: distinct counts and histograms from a sample
HISTOGRAM_BINS = 10
METRICS_SUMMARY_MAX_CHARS = 20_000
# bytes of one JSON output (Metrics, Figures, JSON on an Any port): a script's 20 MB of figures
# are 27 MB of JSON, Evaluate's output for 1,000 classes 10 MB (decision 0089)
MAX_JSON_BYTES = 32 * 1024 * 1024
# characters of a stored table's column (or struct field) name: each travels in every summary
# and page of the table (decision 0098)
MAX_COLUMN_NAME_CHARS = 1000
# what a summary holds of texts a step chose (a JSON output's keys, a figure's title, a type's
# name, a column's dtype): it travels in every event and answer naming the output (decision 0100)
SUMMARY_KEY_CHARS = 100
SUMMARY_TEXT_CHARS = 300
MAX_FIGURES = 100  # figures of one Figures output (a script's sandbox allows 20)
# LZ4 (Parquet's LZ4_RAW): as small as Snappy, and faster both ways, most of all on floats that
# do not shrink (a 1M x 20 float table: written in ~200 ms against ~255; decision 0110)
PARQUET_COMPRESSION = "lz4"
LEGACY_COMPRESSION = "snappy"  # the codec of tables stored before decision 0110
PARQUET_DICTIONARY_PAGE_LIMIT = 16 * 1024  # bytes; beyond it a column falls back to plain
# rows per Parquet row group: a reader decodes a whole group, so a preview page or a CSV
# download of a big table holds this many rows at a time, not the table (decision 0050)
PARQUET_ROW_GROUP_ROWS = 128 * 1024


class OutputTypeError(TypeError):
    """A step returned a value that does not fit its output port's type."""


class OutputTooLarge(OutputTypeError):
    """A step returned a JSON value past a bound of its port (bytes, or count of metrics)."""

    def __init__(self, message: str, port: str):
        super().__init__(message)
        self.port = port


def clipped(text: str, chars: int) -> str:
    """`text`, or its first `chars - 1` characters and an ellipsis."""
    return text if len(text) <= chars else text[: chars - 1] + "…"


def long_column_name(schema: Any) -> str | None:
    """The first column or struct field name of an Arrow schema past MAX_COLUMN_NAME_CHARS."""
    for field in schema:
        if len(field.name) > MAX_COLUMN_NAME_CHARS:
            return str(field.name)
        kind = field.type
        if kind.num_fields:  # a struct's fields, a list's item
            inner = long_column_name([kind.field(i) for i in range(kind.num_fields)])
            if inner is not None:
                return inner
    return None


def column_name_too_long(name: str) -> str:
    """Why a table with a column (or field) named `name` is refused."""
    return (
        f"has a column named {name[:40]!r}… of {len(name):,} characters; a column's name may be "
        f"at most {MAX_COLUMN_NAME_CHARS:,} characters"
    )


def json_too_large(port: str, size: int) -> str:
    """Why `size` bytes of JSON on `port` are refused (past MAX_JSON_BYTES)."""
    return (
        f"output `{port}` is {size:,} bytes of JSON; a JSON output may be at most "
        f"{MAX_JSON_BYTES:,} bytes ({MAX_JSON_BYTES >> 20} MB): return a table (DataFrame) "
        "for more"
    )


@dataclass(frozen=True)
class Encoded:
    """An output value as stored bytes, with its kind and a JSON-ready summary."""

    data: bytes
    kind: str
    summary: dict[str, Any]


def is_dataframe(value: Any) -> bool:
    """Whether `value` is a pandas DataFrame (without importing pandas)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


@dataclass(frozen=True)
class Prepared:
    """An output value as bytes ready to store, before its summary is made.

    For a DataFrame the summary is computed only when asked (`summary()`). (Workers do not
    encode tables in memory: they stream them into the store, worker.write_table.)
    """

    data: bytes | memoryview
    kind: str
    value: Any
    ready_summary: dict[str, Any] | None = None
    export: bytes | None = None  # a portable copy the summary names (see `_pickle`): store it too

    @property
    def size(self) -> int:
        """Length of the bytes."""
        return len(self.data) if isinstance(self.data, bytes) else self.data.nbytes

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary of the value."""
        if self.ready_summary is not None:
            return self.ready_summary
        return summarize_frame(self.value)


def encode(value: Any, port_type: PortType, port: str = "output") -> Encoded:
    """Encode one output value for its port type; raise OutputTypeError when it does not fit."""
    prepared = prepare(value, port_type, port)
    return Encoded(bytes(prepared.data), prepared.kind, prepared.summary())


def prepare(value: Any, port_type: PortType, port: str = "output") -> Prepared:
    """Encode an output value (summary left for later); OutputTypeError when it does not fit,
    OutputTooLarge past MAX_JSON_BYTES of JSON or MAX_METRICS metrics."""
    prepared = _prepare(value, port_type, port)
    if prepared.kind == KIND_JSON and prepared.size > MAX_JSON_BYTES:
        raise OutputTooLarge(json_too_large(port, prepared.size), port)
    if port_type is PortType.METRICS and (count := metric_count(prepared.value)) > MAX_METRICS:
        raise OutputTooLarge(
            f"output `{port}` holds {count:,} metrics; a Metrics output may hold at most "
            f"{MAX_METRICS:,}: return a table (DataFrame) for more",
            port,
        )
    return prepared


def _prepare(value: Any, port_type: PortType, port: str) -> Prepared:
    if port_type is PortType.DATAFRAME:
        if not is_dataframe(value):
            raise OutputTypeError(
                f"output `{port}` must be a pandas DataFrame, got {type(value).__name__}"
            )
        return _parquet(value, port)
    if port_type is PortType.METRICS:
        if not isinstance(value, dict):
            raise OutputTypeError(
                f"output `{port}` must be a dict of metrics, got {type(value).__name__}"
            )
        return _json(value)
    if port_type is PortType.FIGURES:
        return _figures(value, port)
    if port_type in (PortType.MODEL, PortType.TRANSFORM, PortType.RECOMMENDER):
        if value is None:
            raise OutputTypeError(f"output `{port}` must be a {port_type.value}, got None")
        return _pickle(value)
    # PortType.ANY
    if is_dataframe(value):
        return _parquet(value, port)
    try:
        text = canonical_json(value)
    except (TypeError, ValueError):
        return _pickle(value)
    return Prepared(text.encode(), KIND_JSON, value, ready_summary=_json_summary(value, text))


def stored_as_table(value: Any, port_type: PortType, port: str = "output") -> bool:
    """Whether `value` is stored as Parquet on a port of `port_type` (as `prepare` would do).

    Raises OutputTypeError when a DataFrame port gets something else; other mismatches are
    left to `prepare`.
    """
    if port_type is PortType.DATAFRAME:
        if not is_dataframe(value):
            raise OutputTypeError(
                f"output `{port}` must be a pandas DataFrame, got {type(value).__name__}"
            )
        return True
    return port_type is PortType.ANY and is_dataframe(value)


def decode(data: bytes, kind: str) -> Any:
    """Decode stored bytes of the given kind back into a value."""
    if kind == KIND_JSON:
        return json.loads(data)
    if kind == KIND_PARQUET:
        return parquet_to_frame(data)
    if kind == KIND_PICKLE:
        return pickle.loads(data)
    raise ValueError(f"unknown artifact kind {kind!r}")


def _json(value: dict[str, Any]) -> Prepared:
    safe = json_safe(value)
    text = canonical_json(safe)
    return Prepared(text.encode(), KIND_JSON, safe, ready_summary=_json_summary(safe, text))


FIGURE_FIELDS = {"title": str, "width": int, "height": int, "png": str}


def _figures(value: Any, port: str) -> Prepared:
    """Figures as JSON ({"figures": [{title, width, height, png (base64)}]}); their summary
    names each one (title and size) without its image."""
    value = json_safe(value)
    figures = value.get("figures") if isinstance(value, dict) else None
    if not isinstance(figures, list) or not all(
        isinstance(figure, dict)
        and all(isinstance(figure.get(key), kind) for key, kind in FIGURE_FIELDS.items())
        for figure in figures
    ):
        raise OutputTypeError(
            f"output `{port}` must be {{'figures': [...]}}, each figure a dict of "
            + ", ".join(f"{key} ({kind.__name__})" for key, kind in FIGURE_FIELDS.items())
        )
    if len(figures) > MAX_FIGURES:
        raise OutputTooLarge(
            f"output `{port}` holds {len(figures):,} figures; a Figures output may hold at most "
            f"{MAX_FIGURES}",
            port,
        )
    listed = [
        {
            "title": clipped(figure["title"], SUMMARY_TEXT_CHARS),
            "width": figure["width"],
            "height": figure["height"],
        }
        for figure in figures
    ]
    text = canonical_json(value)
    return Prepared(text.encode(), KIND_JSON, value, ready_summary={"figures": listed})


def _parquet(frame: Any, port: str) -> Prepared:
    return Prepared(memoryview(table_to_parquet(output_table(frame, port))), KIND_PARQUET, frame)


def _json_summary(value: Any, text: str) -> dict[str, Any]:
    if len(text) <= METRICS_SUMMARY_MAX_CHARS:
        return {"values": value}
    keys = sorted(value)[:100] if isinstance(value, dict) else []
    return {
        "truncated": True,
        "chars": len(text),
        "keys": [clipped(key, SUMMARY_KEY_CHARS) for key in keys],
    }


def _pickle(value: Any) -> Prepared:
    try:
        data = pickle.dumps(value, protocol=5)
    except Exception as exc:  # pickling can fail in many ways (lambdas, locks, …)
        raise OutputTypeError(
            f"output of type {type(value).__name__} cannot be pickled: {exc}"
        ) from exc
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    summary: dict[str, Any] = {"type": clipped(kind, SUMMARY_TEXT_CHARS)}
    get_params = getattr(value, "get_params", None)
    if callable(get_params):
        try:
            params = json_safe(get_params(deep=False))
            if len(canonical_json(params)) <= 4000:
                summary["params"] = params
        except Exception:  # a summary must never fail a step
            pass
    summary["repr"] = clipped(repr(value), SUMMARY_TEXT_CHARS)
    export = _portable(value)
    if export is not None:
        summary["export"] = {"digest": sha256_hex(export), "format": "joblib", "size": len(export)}
    return Prepared(data, KIND_PICKLE, value, ready_summary=summary, export=export)


def _portable(value: Any) -> bytes | None:
    """A copy of a pickled value usable without this package, when it offers one: a value with
    a `portable() -> bytes` method (trained models: a plain scikit-learn Pipeline, joblib)."""
    portable = getattr(value, "portable", None)
    if not callable(portable):
        return None
    try:
        data = portable()
    except Exception:  # an export is a convenience: never fail a step on it
        return None
    return data if isinstance(data, bytes) else None


def output_table(frame: Any, port: str) -> Any:
    """`frame_to_table` of a step's output on `port`, refused (OutputTooLarge) when a column's
    name is past MAX_COLUMN_NAME_CHARS."""
    table = frame_to_table(frame)
    name = long_column_name(table.schema)
    if name is not None:
        raise OutputTooLarge(f"output `{port}` {column_name_too_long(name)}", port)
    return table


def frame_to_table(frame: Any) -> Any:
    """The Arrow table of a DataFrame (index kept as pandas metadata), a column in one chunk
    (a column read from several row groups may come back in several: its Parquet bytes would
    then depend on where the chunks end, and a recipe rebuilds them from one chunk)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame)
    if any(column.num_chunks > 1 for column in table.columns):
        table = table.combine_chunks()  # only the columns in several chunks are copied
    return table


def write_parquet(
    table: Any,
    sink: Any,
    row_group_rows: int | None = PARQUET_ROW_GROUP_ROWS,
    compression: str = PARQUET_COMPRESSION,
) -> None:
    """Write an Arrow table as Parquet to a file or stream (deterministic bytes); `row_group_rows`
    None: pyarrow's default, which tables stored before decision 0050 were written with;
    `compression` LEGACY_COMPRESSION: the codec of tables stored before decision 0110."""
    import pyarrow.parquet as pq

    pq.write_table(
        table,
        sink,
        row_group_size=row_group_rows,
        compression=compression,
        use_dictionary=True,
        dictionary_pagesize_limit=PARQUET_DICTIONARY_PAGE_LIMIT,
    )


def table_to_parquet(table: Any) -> Any:
    """Serialize an Arrow table to Parquet in memory; return a pyarrow Buffer."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    write_parquet(table, sink)
    return sink.getvalue()


def frame_to_parquet(frame: Any) -> bytes:
    """Serialize a DataFrame to Parquet bytes (index kept as pandas metadata)."""
    data: bytes = table_to_parquet(frame_to_table(frame)).to_pybytes()
    return data


def parquet_to_table(data: bytes | memoryview) -> Any:
    """Read Parquet bytes into an Arrow table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.read_table(pa.BufferReader(data))


def table_to_frame(table: Any) -> Any:
    """A new DataFrame from an Arrow table read from (or written to) Parquet."""
    return table.to_pandas()


def parquet_to_frame(data: bytes | memoryview) -> Any:
    """Read Parquet bytes back into a DataFrame."""
    return table_to_frame(parquet_to_table(data))


# serialized Arrow schema -> whether Parquet gives it back exactly (stored_schema_matches)
_round_trips: dict[bytes, bool] = {}
ROUND_TRIPS_KEPT = 1024  # schemas remembered per process (all are forgotten beyond)


def stored_schema_matches(table: Any, stored: Any) -> bool:
    """Whether reading the Parquet written from `table` (a file's path, or the bytes) gives back
    exactly `table`'s schema.

    The schema read back depends on the Arrow schema written (metadata included) and nothing
    else: pyarrow derives the Parquet schema and the stored Arrow schema from it, and the reader
    rebuilds the types from those two, never from the values. So the file is read once per
    schema in a process; later tables with the same schema get the same answer.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    key = table.schema.serialize().to_pybytes()
    known = _round_trips.get(key)
    if known is None:
        source = stored if isinstance(stored, str) else pa.BufferReader(stored)
        known = bool(pq.read_schema(source).equals(table.schema, check_metadata=True))
        if len(_round_trips) >= ROUND_TRIPS_KEPT:
            _round_trips.clear()
        _round_trips[key] = known
    return known


def summarize_frame(frame: Any) -> dict[str, Any]:
    """Rows, and per column: dtype, nulls, distinct, min/max/mean and a small histogram.

    Tables longer than SUMMARY_SAMPLE_ROWS get `distinct` and histograms from a fixed random
    sample of that many rows (marked ``"sampled": true, "sample_rows": n``; the histogram edges
    still span the exact min..max); everything else is exact.
    """
    import numpy as np

    shown = frame.iloc[:, :SUMMARY_MAX_COLUMNS] if frame.shape[1] > SUMMARY_MAX_COLUMNS else frame
    rows = len(frame)
    sample = None
    if rows > SUMMARY_SAMPLE_ROWS:
        picked = np.random.default_rng(0).choice(rows, SUMMARY_SAMPLE_ROWS, replace=False)
        sample = shown.iloc[np.sort(picked)]
    columns: list[dict[str, Any]] = []
    parts = shown.items() if sample is None else sample.items()
    for (name, series), (_, part) in zip(shown.items(), parts, strict=True):
        dtype = series.dtype
        info: dict[str, Any] = {"name": str(name), "dtype": clipped(str(dtype), SUMMARY_TEXT_CHARS)}
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            _summarize_numbers(info, series.to_numpy(), None if sample is None else part.to_numpy())
        else:
            _summarize_other(info, series, part)
        columns.append(info)
    summary: dict[str, Any] = {
        "rows": rows,
        "column_count": len(frame.columns),
        "columns": columns,
    }
    if sample is not None:
        summary["sampled"] = True
        summary["sample_rows"] = SUMMARY_SAMPLE_ROWS
    if len(frame.columns) > SUMMARY_MAX_COLUMNS:
        summary["truncated"] = True
    return summary


def summarize_parquet(path: Any) -> dict[str, Any]:
    """summarize_frame's summary of a Parquet file, read one column at a time (bounded memory).

    Every column's summary is what summarize_frame gives for it in the whole table (the sampled
    rows depend only on the row count).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    # One column, one thread, no read-ahead: reading all row groups at once in parallel held
    # three times the column's size; the freed pages go back to the system before the next one.
    file = pq.ParquetFile(path, pre_buffer=False)
    names = file.schema_arrow.names
    summary: dict[str, Any] = {"rows": file.metadata.num_rows, "column_count": len(names)}
    columns: list[dict[str, Any]] = []
    for name in names[:SUMMARY_MAX_COLUMNS]:
        one = summarize_frame(file.read(columns=[name], use_threads=False).to_pandas())
        pa.default_memory_pool().release_unused()
        columns += one.pop("columns")
        summary.update(one, column_count=len(names))
    summary["columns"] = columns
    if len(names) > SUMMARY_MAX_COLUMNS:
        summary["truncated"] = True
    return summary


def _summarize_numbers(info: dict[str, Any], values: Any, sampled: Any) -> None:
    """Summary of a numpy-backed numeric column (`sampled`: its sampled rows, or None)."""
    import numpy as np
    import pandas as pd

    floats = values.dtype.kind == "f"
    present = finite = values
    low = high = None  # min and max when every value is finite: one pass each, reused below
    if values.size:
        low, high = values.min(), values.max()
        if floats and not np.isfinite(low + high):
            present = values[~np.isnan(values)]  # NaN (or inf) somewhere: filter (copies)
            finite = present[np.isfinite(present)]
            low = high = None
    info["nulls"] = int(values.size - present.size)
    shown = finite
    if sampled is not None:
        shown = sampled[np.isfinite(sampled)] if floats else sampled
        info["distinct"] = len(pd.unique(sampled[~np.isnan(sampled)] if floats else sampled))
    else:
        info["distinct"] = len(pd.unique(present))
    if not finite.size:
        info.update(min=None, max=None, mean=None)
        return
    if low is None or high is None:
        low, high = present.min(), present.max()
        span = (float(finite.min()), float(finite.max()))
    else:
        span = (float(low), float(high))
    info["min"], info["max"] = json_safe(low.item()), json_safe(high.item())
    mean = float(finite.mean(dtype="float64"))
    info["mean"] = mean if math.isfinite(mean) else None
    info["histogram"] = _histogram(shown.astype("float64", copy=False), span)


def _histogram(values: Any, span: tuple[float, float]) -> dict[str, list[Any]]:
    """HISTOGRAM_BINS bins over `span`, or as many as fit between two floats that close."""
    import numpy as np

    try:
        counts, edges = np.histogram(values, HISTOGRAM_BINS, span)
    except ValueError:  # e.g. 1.0 and 1.0000000000000002: fewer distinct edges than bins
        counts, edges = np.histogram(values, np.unique(np.linspace(*span, HISTOGRAM_BINS + 1)))
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def _summarize_other(info: dict[str, Any], series: Any, part: Any) -> None:
    """Summary of any other column (extension dtypes, text, dates, booleans) through pandas."""
    import numpy as np

    info["nulls"] = int(series.isna().sum())
    try:
        info["distinct"] = int(part.nunique(dropna=True))
    except (TypeError, NotImplementedError):  # unhashable values: lists, Arrow structs
        info["distinct"] = None
    kind = series.dtype.kind
    if kind in "iuf":  # nullable integers and floats
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        values = values[np.isfinite(values)]
        if values.size:
            info["min"] = json_safe(series.min())
            info["max"] = json_safe(series.max())
            mean = float(values.mean())
            info["mean"] = mean if math.isfinite(mean) else None
            shown = part.to_numpy(dtype="float64", na_value=np.nan)
            span = (float(values.min()), float(values.max()))
            info["histogram"] = _histogram(shown[np.isfinite(shown)], span)
        else:
            info.update(min=None, max=None, mean=None)
    elif kind == "M":
        non_null = series.dropna()
        info["min"] = json_safe(non_null.min()) if len(non_null) else None
        info["max"] = json_safe(non_null.max()) if len(non_null) else None
    elif kind == "b":
        info["true"] = int(series.sum())


@dataclass(frozen=True)
class OutputRecord:
    """One stored output of a step: where its bytes are and what they look like."""

    digest: str
    kind: str
    size: int
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form."""
        return {
            "digest": self.digest,
            "kind": self.kind,
            "size": self.size,
            "summary": self.summary,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputRecord:
        """Rebuild a record from `to_dict()` output."""
        return cls(str(data["digest"]), str(data["kind"]), int(data["size"]), dict(data["summary"]))


def summary_schemas(ref: str = "#/components/schemas/") -> dict[str, dict[str, Any]]:
    """The summaries above (and a step's output record) as OpenAPI 3.0 schema objects,
    referring to each other as `ref` + name: what summarize_frame/summarize_parquet,
    _json_summary and _pickle write, each kind closed so that `OutputSummary` is exactly one."""

    def to(name: str) -> dict[str, str]:
        return {"$ref": ref + name}

    count = {"type": "integer", "minimum": 0}
    # a column's min/max: a number (null: none finite) or a date-time's ISO text
    extreme = {"oneOf": [{"type": "number", "nullable": True}, {"type": "string"}]}
    return {
        "JsonValue": {
            "description": "Any JSON value.",
            "oneOf": [
                {"type": "object", "additionalProperties": True},
                {"type": "array", "items": {}},
                {"type": "string", "nullable": True},
                {"type": "number"},
                {"type": "boolean"},
            ],
        },
        "Histogram": obj(
            {
                "edges": {"type": "array", "items": {"type": "number"}},
                "counts": {"type": "array", "items": count},
            },
            ["edges", "counts"],
            f"{HISTOGRAM_BINS} bins over min..max: their edges, and how many values fall in each.",
        ),
        "ColumnSummary": obj(
            {
                "name": {"type": "string"},
                "dtype": {"type": "string", "description": "The pandas dtype."},
                "nulls": count,
                "distinct": {**count, "nullable": True, "description": "Null: unhashable."},
                "min": extreme,
                "max": extreme,
                "mean": {"type": "number", "nullable": True},
                "histogram": to("Histogram"),
                "true": {**count, "description": "Booleans: how many are true."},
            },
            ["name", "dtype", "nulls", "distinct"],
            "One column of a table: nulls, distinct values, and by type min/max/mean and a "
            "histogram (numbers), min/max (dates) or the count of true (booleans).",
        ),
        "TableSummary": obj(
            {
                "rows": count,
                "column_count": count,
                "columns": {"type": "array", "items": to("ColumnSummary")},
                "sampled": {
                    "type": "boolean",
                    "description": "Distinct counts and histograms come from a sample.",
                },
                "sample_rows": count,
                "truncated": {
                    "type": "boolean",
                    "description": f"Only the first {SUMMARY_MAX_COLUMNS} columns are listed.",
                },
            },
            ["rows", "column_count", "columns"],
            "A table's summary (a DataFrame output, a dataset version, a preview page's table).",
        ),
        "ValueSummary": obj(
            {"values": to("JsonValue")},
            ["values"],
            "A JSON output (metrics…) small enough to hold whole.",
        ),
        "LongValueSummary": obj(
            {
                "truncated": {"type": "boolean", "enum": [True]},
                "chars": count,
                "keys": {"type": "array", "items": {"type": "string"}, "maxItems": 100},
            },
            ["truncated", "chars", "keys"],
            f"A JSON output over {METRICS_SUMMARY_MAX_CHARS:,} characters: its size and first "
            "keys (the preview's `value` holds it whole).",
        ),
        "ObjectSummary": obj(
            {
                "type": {"type": "string", "description": "The Python type, module.name."},
                "params": {
                    "type": "object",
                    "additionalProperties": to("JsonValue"),
                    "description": "A model's parameters (get_params), when small.",
                },
                "repr": {"type": "string", "maxLength": 300},
                "export": to("ModelExport"),
            },
            ["type", "repr"],
            "A pickled output (a model, a transform): its type, parameters and repr.",
        ),
        "ModelExport": obj(
            {
                "digest": {"type": "string"},
                "format": {"type": "string", "enum": ["joblib"]},
                "size": count,
            },
            ["digest", "format", "size"],
            "A portable copy of a model (download with ?as=joblib).",
        ),
        "FigureInfo": obj(
            {"title": {"type": "string"}, "width": count, "height": count},
            ["title", "width", "height"],
            "One figure: its title and size in pixels.",
        ),
        "FiguresSummary": obj(
            {"figures": {"type": "array", "items": to("FigureInfo")}},
            ["figures"],
            "A Figures output: its figures in order (the preview's `value` holds their PNGs).",
        ),
        "OutputSummary": {
            "description": "An output's summary, by what it holds.",
            "oneOf": [
                to("TableSummary"),
                to("ValueSummary"),
                to("LongValueSummary"),
                to("ObjectSummary"),
                to("FiguresSummary"),
            ],
        },
        "StepOutput": obj(
            {
                "digest": {"type": "string"},
                "kind": {"type": "string", "enum": list(KINDS)},
                "size": count,
                "summary": to("OutputSummary"),
            },
            ["digest", "kind", "size", "summary"],
            "One stored output of a step.",
        ),
    }
