"""Frozen modules: a trained model or recommender, fitted transform or table taken as is from an
earlier run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules.models import TrainedModel, TrainedRecommender


def _load(ctx: StepContext, kind: str, accepts: Callable[[Any], bool], what: str) -> Any:
    digest = str(ctx.params.get("digest") or "").strip()
    if not digest:
        raise StepError("digest: name the stored output to freeze", param="digest")
    value = ctx.artifact(digest, kind)
    if not accepts(value):
        raise StepError(
            f"digest: the stored output is a {type(value).__name__}, not {what}", param="digest"
        )
    ctx.log(
        f"frozen from run {ctx.params.get('run')}, step {ctx.params.get('step')!r}, "
        f"output {ctx.params.get('port')!r} ({digest[:12]})"
    )
    return value


def frozen_model(ctx: StepContext) -> Mapping[str, Any]:
    """Output the trained model a step of an earlier run produced."""
    return {"model": _load(ctx, "pickle", lambda v: isinstance(v, TrainedModel), "a trained model")}


def frozen_recommender(ctx: StepContext) -> Mapping[str, Any]:
    """Output the trained recommender a step of an earlier run produced."""
    recommender = _load(
        ctx, "pickle", lambda v: isinstance(v, TrainedRecommender), "a trained recommender"
    )
    return {"recommender": recommender}


def frozen_transform(ctx: StepContext) -> Mapping[str, Any]:
    """Output the fitted transform a step of an earlier run produced."""
    fitted = _load(
        ctx, "pickle", lambda v: callable(getattr(v, "apply", None)), "a fitted transform"
    )
    return {"transform": fitted}


def frozen_dataset(ctx: StepContext) -> Mapping[str, Any]:
    """Output the table a step of an earlier run produced."""
    return {"dataset": _load(ctx, "parquet", lambda v: isinstance(v, pd.DataFrame), "a table")}
