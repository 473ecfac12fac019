"""The text columns a text step works on: those its `columns` param names, each checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from designer.engine.context import StepError
from designer.modules._frames import column_list, require_columns


def _is_text(values: pd.Series) -> bool:
    """Whether a column holds text: strings (or only missing values), categorical or not."""
    return pd.api.types.is_string_dtype(values) or pd.api.types.infer_dtype(
        values, skipna=True
    ) in ("string", "empty")


def chosen_text_columns(params: Mapping[str, Any], df: pd.DataFrame) -> list[str]:
    """The columns the `columns` param names, once each: at least one, and all of them text."""
    named = list(dict.fromkeys(column_list(params.get("columns"))))
    columns = require_columns(df, named, "columns")
    if not columns:
        raise StepError("columns: choose at least one text column", param="columns")
    others = [c for c in columns if not _is_text(df[c])]
    if others:
        described = ", ".join(f"'{c}' ({df[c].dtype})" for c in others[:10])
        raise StepError(f"columns: not text: {described}", param="columns")
    return columns
