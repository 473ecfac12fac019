"""Codecs: step output values ⇄ bytes by port type, plus a small JSON summary of each output.

- DataFrame → Parquet (pyarrow), kind ``parquet``
- Model / Transform → pickle, kind ``pickle``
- Metrics → canonical JSON, kind ``json``
- Any → whichever of the above fits the value (DataFrame, JSON data, else pickle)

Encoding is deterministic for equal values in one environment, which is what early cutoff
relies on: a step that re-runs and returns an equal value produces the same digest.
pandas and pyarrow are imported only when a DataFrame is actually encoded or decoded.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import sys
from dataclasses import dataclass
from typing import Any

from designer.engine.hashing import canonical_json, json_safe
from designer.engine.types import PortType

KIND_PARQUET = "parquet"
KIND_PICKLE = "pickle"
KIND_JSON = "json"
KINDS = (KIND_PARQUET, KIND_PICKLE, KIND_JSON)

SUMMARY_MAX_COLUMNS = 100
HISTOGRAM_BINS = 10
METRICS_SUMMARY_MAX_CHARS = 20_000


class OutputTypeError(TypeError):
    """A step returned a value that does not fit its output port's type."""


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


def encode(value: Any, port_type: PortType, port: str = "output") -> Encoded:
    """Encode one output value for its port type; raise OutputTypeError when it does not fit."""
    if port_type is PortType.DATAFRAME:
        if not is_dataframe(value):
            raise OutputTypeError(
                f"output `{port}` must be a pandas DataFrame, got {type(value).__name__}"
            )
        return Encoded(frame_to_parquet(value), KIND_PARQUET, summarize_frame(value))
    if port_type is PortType.METRICS:
        if not isinstance(value, dict):
            raise OutputTypeError(
                f"output `{port}` must be a dict of metrics, got {type(value).__name__}"
            )
        return _json(value)
    if port_type in (PortType.MODEL, PortType.TRANSFORM):
        if value is None:
            raise OutputTypeError(f"output `{port}` must be a {port_type.value}, got None")
        return _pickle(value)
    # PortType.ANY
    if is_dataframe(value):
        return Encoded(frame_to_parquet(value), KIND_PARQUET, summarize_frame(value))
    try:
        text = canonical_json(value)
    except (TypeError, ValueError):
        return _pickle(value)
    return Encoded(text.encode(), KIND_JSON, _json_summary(value, text))


def decode(data: bytes, kind: str) -> Any:
    """Decode stored bytes of the given kind back into a value."""
    if kind == KIND_JSON:
        return json.loads(data)
    if kind == KIND_PARQUET:
        return parquet_to_frame(data)
    if kind == KIND_PICKLE:
        return pickle.loads(data)
    raise ValueError(f"unknown artifact kind {kind!r}")


def _json(value: dict[str, Any]) -> Encoded:
    safe = json_safe(value)
    text = canonical_json(safe)
    return Encoded(text.encode(), KIND_JSON, _json_summary(safe, text))


def _json_summary(value: Any, text: str) -> dict[str, Any]:
    if len(text) <= METRICS_SUMMARY_MAX_CHARS:
        return {"values": value}
    keys = sorted(value)[:100] if isinstance(value, dict) else []
    return {"truncated": True, "chars": len(text), "keys": keys}


def _pickle(value: Any) -> Encoded:
    try:
        data = pickle.dumps(value, protocol=5)
    except Exception as exc:  # pickling can fail in many ways (lambdas, locks, …)
        raise OutputTypeError(
            f"output of type {type(value).__name__} cannot be pickled: {exc}"
        ) from exc
    summary: dict[str, Any] = {"type": f"{type(value).__module__}.{type(value).__qualname__}"}
    get_params = getattr(value, "get_params", None)
    if callable(get_params):
        try:
            params = json_safe(get_params(deep=False))
            if len(canonical_json(params)) <= 4000:
                summary["params"] = params
        except Exception:  # a summary must never fail a step
            pass
    text = repr(value)
    summary["repr"] = text if len(text) <= 300 else text[:297] + "…"
    return Encoded(data, KIND_PICKLE, summary)


def frame_to_parquet(frame: Any) -> bytes:
    """Serialize a DataFrame to Parquet bytes (index kept as pandas metadata)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def parquet_to_frame(data: bytes) -> Any:
    """Read Parquet bytes back into a DataFrame."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.read_table(pa.BufferReader(data)).to_pandas()


def summarize_frame(frame: Any) -> dict[str, Any]:
    """Rows, and per column: dtype, nulls, distinct, min/max/mean and a small histogram."""
    import numpy as np
    import pandas as pd

    columns: list[dict[str, Any]] = []
    for name in list(frame.columns)[:SUMMARY_MAX_COLUMNS]:
        series = frame[name]
        if isinstance(series, pd.DataFrame):  # duplicate column names
            series = series.iloc[:, 0]
        info: dict[str, Any] = {
            "name": str(name),
            "dtype": str(series.dtype),
            "nulls": int(series.isna().sum()),
        }
        try:
            info["distinct"] = int(series.nunique(dropna=True))
        except TypeError:  # unhashable values such as lists
            info["distinct"] = None
        kind = series.dtype.kind
        if kind in "iuf":
            values = series.to_numpy(dtype="float64", na_value=np.nan)
            values = values[np.isfinite(values)]
            if values.size:
                info["min"] = json_safe(series.min())
                info["max"] = json_safe(series.max())
                mean = float(values.mean())
                info["mean"] = mean if math.isfinite(mean) else None
                counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
                info["histogram"] = {
                    "edges": [float(e) for e in edges],
                    "counts": [int(c) for c in counts],
                }
            else:
                info.update(min=None, max=None, mean=None)
        elif kind == "M":
            non_null = series.dropna()
            info["min"] = json_safe(non_null.min()) if len(non_null) else None
            info["max"] = json_safe(non_null.max()) if len(non_null) else None
        elif kind == "b":
            info["true"] = int(series.sum())
        columns.append(info)
    summary: dict[str, Any] = {
        "rows": len(frame),
        "column_count": len(frame.columns),
        "columns": columns,
    }
    if len(frame.columns) > SUMMARY_MAX_COLUMNS:
        summary["truncated"] = True
    return summary


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
