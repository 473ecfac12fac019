"""Apply math operation: a numpy function on numeric columns, values outside its domain named."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import chosen_numeric_columns, frame, require_new_columns
from designer.modules.specs.transform import MATH_OPERATIONS

Domain = Callable[[np.ndarray], np.ndarray]  # values -> where the operation is defined
OPERATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Domain | None, str]] = {
    "log": (np.log, lambda v: v > 0, "positive numbers (log1p takes 0)"),
    "log10": (np.log10, lambda v: v > 0, "positive numbers"),
    "log1p": (np.log1p, lambda v: v > -1, "numbers above -1"),
    "exp": (np.exp, lambda v: v < 709.78, "numbers below 709.78 (beyond, e^x overflows)"),
    "sqrt": (np.sqrt, lambda v: v >= 0, "numbers of 0 or more"),
    "square": (np.square, None, ""),
    "abs": (np.abs, None, ""),
    "sign": (np.sign, None, ""),
    "reciprocal": (lambda v: 1.0 / v, lambda v: v != 0, "numbers other than 0"),
    "floor": (np.floor, None, ""),
    "ceil": (np.ceil, None, ""),
    "round": (np.round, None, ""),  # half to even, as numpy rounds
}


def apply_math(ctx: StepContext) -> Mapping[str, Any]:
    """Apply one operation to each chosen numeric column, appended or in its place."""
    df = frame(ctx, "dataset", allow_empty=True)
    columns = chosen_numeric_columns(ctx, df)
    if not columns:
        raise StepError("columns: no numeric column to apply the operation to", param="columns")
    name = str(ctx.params.get("operation") or "log")
    if name not in OPERATIONS:
        raise StepError(f"operation: choose one of {', '.join(MATH_OPERATIONS)}", param="operation")
    function, domain, needs = OPERATIONS[name]
    append = str(ctx.params.get("mode") or "append") == "append"
    targets = {c: f"{c}_{name}" if append else c for c in columns}
    if append:
        require_new_columns(df, targets.values())
    out = df.copy(deep=False)  # copy-on-write copies a column on write
    for column, target in targets.items():
        values = df[column].astype("float64").to_numpy()
        present = ~np.isnan(values)
        if domain is not None:
            outside = present & ~domain(np.where(present, values, 1.0))
            if outside.any():
                first = values[outside][0]
                raise StepError(
                    f"operation: {name} takes {needs}; {column!r} has {int(outside.sum())} "
                    f"values that are not (the first: {first:g})",
                    param="operation",
                )
        with np.errstate(all="ignore"):  # missing values stay missing
            out[target] = pd.Series(function(values), index=df.index)
    return {"dataset": out}
