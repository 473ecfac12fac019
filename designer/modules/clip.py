"""Clip values: numbers beyond percentile or constant bounds set to the bound, or missing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import fittable_numeric_columns, frame
from designer.modules.fitted import ClipTransform


def _bound(ctx: StepContext, name: str, percentiles: bool) -> float | None:
    """The `lower` or `upper` param: None when empty; a percentile must lie in 0..100."""
    value = ctx.params.get(name)
    if value is None:
        return None
    number = float(value)
    if percentiles and not 0 <= number <= 100:
        raise StepError(f"{name}: a percentile lies between 0 and 100, not {number:g}", param=name)
    return number


def clip_values(ctx: StepContext) -> Mapping[str, Any]:
    """Fit each chosen column's bounds and clip its values to them."""
    df = frame(ctx, "dataset")
    columns = fittable_numeric_columns(ctx, df, "clip")
    percentiles = str(ctx.params.get("method") or "percentiles") == "percentiles"
    lower, upper = _bound(ctx, "lower", percentiles), _bound(ctx, "upper", percentiles)
    if lower is None and upper is None:
        raise StepError("lower: give a lower bound, an upper bound or both", param="lower")
    if lower is not None and upper is not None and lower > upper:
        raise StepError(f"lower: {lower:g} is above the upper bound {upper:g}", param="lower")
    bounds: dict[str, tuple[float | None, float | None]] = {}
    rows = []
    for column in columns:
        values = df[column].astype("float64")
        low, high = lower, upper
        if percentiles:  # as pandas' quantile (linear) gives them, over the values present
            low = None if lower is None else float(values.quantile(lower / 100))
            high = None if upper is None else float(values.quantile(upper / 100))
        bounds[column] = (low, high)
        below = int((values < low).sum()) if low is not None else 0
        above = int((values > high).sum()) if high is not None else 0
        rows.append((column, low, high, below, above))
    fitted = ClipTransform(bounds, str(ctx.params.get("replace") or "bound") == "missing")
    out = fitted.apply(df)
    table = pd.DataFrame(rows, columns=["Column", "Lower", "Upper", "Below", "Above"])
    table[["Lower", "Upper"]] = table[["Lower", "Upper"]].astype("float64")
    ctx.log(f"clipped {int(table['Below'].sum() + table['Above'].sum())} values")
    return {"dataset": out, "bounds": table, "transform": fitted}
