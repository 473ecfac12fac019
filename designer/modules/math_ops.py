"""Apply math operation: a numpy function on numeric columns, values outside its domain named."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame, numeric_columns_chosen_by, output_targets
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


@dataclass(frozen=True)
class MathOperation:
    """Apply math operation resolved for a table: the operation, and each chosen column's
    output column (itself, or `<column>_<operation>` appended)."""

    operation: str
    targets: dict[str, str]

    def outside(self, values: np.ndarray) -> np.ndarray:
        """Where present float64 values lie outside the operation's domain."""
        domain = OPERATIONS[self.operation][1]
        present = ~np.isnan(values)
        if domain is None:
            return np.zeros(len(values), dtype=bool)
        outside: np.ndarray = present & ~domain(np.where(present, values, 1.0))
        return outside

    def compute(self, values: np.ndarray) -> np.ndarray:
        """The operation on float64 values (missing values stay missing)."""
        with np.errstate(all="ignore"):
            computed: np.ndarray = OPERATIONS[self.operation][0](values)
        return computed

    def replay(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        """The operation on a real-time call's arrays; None when a value lies outside its
        domain (the graph path then names it)."""
        out = dict(columns)
        for source, target in self.targets.items():
            values = columns[source].astype("float64")
            if self.outside(values).any():
                return None
            out[target] = self.compute(values)
        return out


def resolve(params: Mapping[str, Any], df: pd.DataFrame) -> MathOperation:
    """The operation and the columns the step's params choose in `df`, refused by name."""
    columns = numeric_columns_chosen_by(params, df)
    if not columns:
        raise StepError("columns: no numeric column to apply the operation to", param="columns")
    name = str(params.get("operation") or "log")
    if name not in OPERATIONS:
        raise StepError(f"operation: choose one of {', '.join(MATH_OPERATIONS)}", param="operation")
    append = str(params.get("mode") or "append") == "append"
    return MathOperation(name, output_targets(df, columns, name if append else None))


def apply_math(ctx: StepContext) -> Mapping[str, Any]:
    """Apply one operation to each chosen numeric column, appended or in its place."""
    df = frame(ctx, "dataset", allow_empty=True)
    operation = resolve(ctx.params, df)
    out = df.copy(deep=False)  # copy-on-write copies a column on write
    for column, target in operation.targets.items():
        values = df[column].astype("float64").to_numpy()
        outside = operation.outside(values)
        if outside.any():
            needs = OPERATIONS[operation.operation][2]
            raise StepError(
                f"operation: {operation.operation} takes {needs}; {column!r} has "
                f"{int(outside.sum())} values that are not (the first: {values[outside][0]:g})",
                param="operation",
            )
        out[target] = pd.Series(operation.compute(values), index=df.index)
    return {"dataset": out}
