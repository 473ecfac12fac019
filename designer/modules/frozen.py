"""Frozen modules: a trained model, fitted transform or table taken as is from an earlier run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules.models import TrainedModel


def _load(ctx: StepContext, kind: str) -> Any:
    digest = str(ctx.params.get("digest") or "").strip()
    if not digest:
        raise StepError("digest: name the stored output to freeze", param="digest")
    value = ctx.artifact(digest, kind)
    ctx.log(
        f"frozen from run {ctx.params.get('run')}, step {ctx.params.get('step')!r}, "
        f"output {ctx.params.get('port')!r} ({digest[:12]})"
    )
    return value


def frozen_model(ctx: StepContext) -> Mapping[str, Any]:
    """Output the trained model a step of an earlier run produced."""
    model = _load(ctx, "pickle")
    if not isinstance(model, TrainedModel):
        raise StepError(
            f"digest: the stored output is a {type(model).__name__}, not a trained model",
            param="digest",
        )
    return {"model": model}


def frozen_transform(ctx: StepContext) -> Mapping[str, Any]:
    """Output the fitted transform a step of an earlier run produced."""
    fitted = _load(ctx, "pickle")
    if not callable(getattr(fitted, "apply", None)):
        raise StepError(
            f"digest: the stored output is a {type(fitted).__name__}, not a fitted transform",
            param="digest",
        )
    return {"transform": fitted}


def frozen_dataset(ctx: StepContext) -> Mapping[str, Any]:
    """Output the table a step of an earlier run produced."""
    df = _load(ctx, "parquet")
    if not isinstance(df, pd.DataFrame):
        raise StepError("digest: the stored output is not a table", param="digest")
    return {"dataset": df}
