"""Row splits: random train/test split, split by expression, partition and sample."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame, require_columns, rows_at
from designer.modules.expressions import query_mask

FOLD_COLUMN = "Fold"


def _seed(ctx: StepContext) -> int | None:
    seed = ctx.params.get("seed")
    return None if seed is None else int(seed)


def _stratify_column(ctx: StepContext, df: pd.DataFrame) -> str | None:
    name = str(ctx.params.get("stratify") or "").strip()
    if not name:
        return None
    require_columns(df, [name], "stratify")
    if df[name].isna().any():
        raise StepError(f"stratify: column '{name}' has missing values", param="stratify")
    return name


def split_rows(ctx: StepContext) -> Mapping[str, Any]:
    """Split rows at random into train and test (scikit-learn's train_test_split)."""
    from sklearn.model_selection import train_test_split

    df = frame(ctx, "dataset")
    fraction = float(ctx.params.get("fraction", 0.25))
    if not 0.0 <= fraction <= 1.0:
        raise StepError(f"fraction: {fraction} is not between 0 and 1", param="fraction")
    if fraction in (0.0, 1.0):
        empty = df.iloc[0:0]
        return {"train": df, "test": empty} if fraction == 0.0 else {"train": empty, "test": df}
    stratify = _stratify_column(ctx, df)
    shuffle = bool(ctx.params.get("shuffle", True))
    if stratify and not shuffle:
        raise StepError("stratify: a stratified split needs shuffle on", param="stratify")
    try:
        train, test = train_test_split(
            np.arange(len(df)),
            test_size=fraction,
            random_state=_seed(ctx),
            shuffle=shuffle,
            stratify=df[stratify] if stratify else None,
        )
    except ValueError as exc:
        param = "stratify" if stratify else "fraction"
        raise StepError(
            f"{param}: cannot split {len(df)} rows this way: {exc}", param=param
        ) from exc
    ctx.log(f"{len(train)} training rows, {len(test)} test rows")
    return {"train": rows_at(ctx, df, "train", train), "test": rows_at(ctx, df, "test", test)}


def split_by_expression(ctx: StepContext) -> Mapping[str, Any]:
    """Send rows where the expression holds to the first output, the rest to the second."""
    df = frame(ctx, "dataset", allow_empty=True)
    mask = np.asarray(query_mask(df, ctx.params.get("expression"), "expression"), dtype=bool)
    return {
        "matched": rows_at(ctx, df, "matched", np.flatnonzero(mask)),
        "rest": rows_at(ctx, df, "rest", np.flatnonzero(~mask)),
    }


def _folds(df: pd.DataFrame, folds: int, seed: int | None, stratify: str | None) -> np.ndarray:
    from sklearn.model_selection import KFold, StratifiedKFold

    if folds > len(df):
        raise StepError(
            f"folds: {folds} folds need at least {folds} rows, got {len(df)}", param="folds"
        )
    splitter = (
        StratifiedKFold(folds, shuffle=True, random_state=seed)
        if stratify
        else KFold(folds, shuffle=True, random_state=seed)
    )
    assignment = np.zeros(len(df), dtype="int64")
    try:
        for k, (_, test_index) in enumerate(splitter.split(df, df[stratify] if stratify else None)):
            assignment[test_index] = k
    except ValueError as exc:
        raise StepError(
            f"stratify: cannot make {folds} stratified folds: {exc}", param="stratify"
        ) from exc
    return assignment


def partition_sample(ctx: StepContext) -> Mapping[str, Any]:
    """Sample a share of rows, take the first N, assign folds, or pick a fold."""
    df = frame(ctx, "dataset", allow_empty=True)
    mode = str(ctx.params.get("mode") or "sample")
    seed = _seed(ctx)
    if mode == "head":
        return {"dataset": df.head(int(ctx.params.get("count", 100)))}
    if mode == "pick_fold":
        require_columns(df, [FOLD_COLUMN], "fold")
        fold = int(ctx.params.get("fold", 0))
        out = df[df[FOLD_COLUMN] == fold]
        if out.empty:
            raise StepError(f"fold: no row is in fold {fold}", param="fold")
        return {"dataset": out.reset_index(drop=True)}
    stratify = _stratify_column(ctx, df)
    if mode == "assign_folds":
        out = df.copy(deep=False)  # copy-on-write copies a column on write
        out[FOLD_COLUMN] = _folds(df, int(ctx.params.get("folds", 5)), seed, stratify)
        return {"dataset": out}
    fraction = float(ctx.params.get("fraction", 0.1))
    if stratify:
        sampled = df.groupby(stratify, group_keys=False, observed=True).sample(
            frac=fraction, random_state=seed
        )
    else:
        sampled = df.sample(frac=fraction, random_state=seed)
    return {"dataset": sampled.sort_index().reset_index(drop=True)}
