"""Custom module example: clip numeric columns to a range."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from designer.engine.context import StepContext, StepError


def run(ctx: StepContext) -> Mapping[str, Any]:
    """Clip the chosen numeric columns to [lower, upper]."""
    df = ctx.input("dataset")
    lower, upper = float(ctx.params["lower"]), float(ctx.params["upper"])
    if lower > upper:
        raise StepError(f"lower: {lower} is greater than upper {upper}", param="lower")
    columns = list(ctx.params["columns"]) or list(df.select_dtypes("number").columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise StepError(f"columns: column '{missing[0]}' not found", param="columns")
    out = df.copy()
    out[columns] = out[columns].clip(lower, upper)
    return {"dataset": out}
