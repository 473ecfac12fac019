"""Fitted transforms that flow along Transform wires and replay on new data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from designer.engine.context import StepError


def _check(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise StepError(
            f"dataset: the {what} was fitted on columns {', '.join(map(repr, missing))}, "
            "which this table does not have",
            port="dataset",
        )


class _Fitted:
    """What every fitted transform shares: a JSON-ready description for output summaries."""

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The fitted values (the engine shows these in the inspector)."""
        values: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return values


@dataclass
class CleanTransform(_Fitted):
    """Replays Clean missing data: drop rows or columns, or fill with the fitted values."""

    strategy: str
    columns: list[str]
    fills: dict[str, Any] = field(default_factory=dict)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """Clean `df` the way the training data was cleaned."""
        if self.strategy == "remove_columns":
            return df.drop(columns=[c for c in self.columns if c in df.columns])
        _check(df, self.columns, "cleaning")
        if self.strategy == "remove_rows":
            return df.dropna(subset=self.columns).reset_index(drop=True)
        out = df.copy(deep=False)  # copy-on-write copies a column on write
        for column, value in self.fills.items():
            out[column] = out[column].fillna(value)
        return out


@dataclass
class ScaleTransform(_Fitted):
    """Replays Normalize data: (x - center) / scale per column, with the fitted statistics."""

    method: str
    center: dict[str, float]
    scale: dict[str, float]

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """Rescale the fitted columns of `df`."""
        columns = list(self.center)
        _check(df, columns, "normalizer")
        out = df.copy(deep=False)  # copy-on-write copies a column on write
        for c in columns:
            out[c] = (out[c].astype("float64") - self.center[c]) / self.scale[c]
        return out


@dataclass
class OneHotTransform(_Fitted):
    """Replays Convert to indicator values with the categories seen at fitting time."""

    categories: dict[str, list[Any]]
    keep_original: bool = False

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """Replace each fitted column by one 0/1 column per fitted category."""
        _check(df, list(self.categories), "indicator conversion")
        parts: list[pd.Series | pd.DataFrame] = []
        for name in df.columns:
            column = df[name]
            if name not in self.categories:
                parts.append(column)
                continue
            if self.keep_original:
                parts.append(column)
            text = column.astype("object")
            indicators = {
                f"{name}-{cat}": (text == cat).astype("int64") for cat in self.categories[name]
            }
            parts.append(pd.DataFrame(indicators, index=df.index))
        return pd.concat(parts, axis=1)


@dataclass
class SelectionTransform(_Fitted):
    """Replays Filter based feature selection: drops the candidate columns that scored lowest."""

    method: str
    kept: list[str]
    dropped: list[str]

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` without the dropped features (the kept ones must be there)."""
        _check(df, self.kept, "feature selection")
        return df.drop(columns=[c for c in self.dropped if c in df.columns])
