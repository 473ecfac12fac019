"""Train and score an SVD recommender (scikit-surprise's SVD) on user, item, rating triples."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame, require_columns
from designer.modules.evaluate import RECOMMENDED_ATTR
from designer.modules.models import TrainedRecommender
from designer.modules.schemas import RECOMMENDED_USER as USER
from designer.modules.schemas import SCORED_RATING, recommended_columns

MIN_USERS = MIN_ITEMS = 2


def _triple_columns(ctx: StepContext, df: pd.DataFrame) -> tuple[str, str, str]:
    """The user, item and rating columns: named by the params, else the first three."""
    chosen = []
    for i, param in enumerate(("user", "item", "rating")):
        name = str(ctx.params.get(param) or "").strip()
        if not name:
            if df.shape[1] <= i:
                raise StepError(
                    f"{param}: the table has only {df.shape[1]} column(s); name the {param} column "
                    "or give a table of user, item, rating columns",
                    param=param,
                )
            name = str(df.columns[i])
        require_columns(df, [name], param)
        if name in chosen:
            raise StepError(
                f"{param}: column '{name}' is already the "
                f"{('user', 'item')[chosen.index(name)]} column",
                param=param,
            )
        chosen.append(name)
    return chosen[0], chosen[1], chosen[2]


def _missing(df: pd.DataFrame, column: str, param: str) -> None:
    gaps = int(df[column].isna().sum())
    if gaps:
        raise StepError(
            f"{param}: column '{column}' has {gaps} missing values; remove those rows first "
            "(Clean missing data)",
            param=param,
        )


def _ratings(df: pd.DataFrame, column: str) -> pd.Series:
    """The rating column as float64: numeric, finite, none missing."""
    values = df[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise StepError(
            f"rating: column '{column}' ({values.dtype}) is not numeric; ratings are numbers "
            "(e.g. 1 to 5 stars)",
            param="rating",
        )
    _missing(df, column, "rating")
    ratings = values.astype("float64")
    if not np.isfinite(ratings.to_numpy()).all():
        raise StepError(f"rating: column '{column}' has infinite values", param="rating")
    return ratings


def _scale(ctx: StepContext, ratings: pd.Series, column: str) -> tuple[float, float]:
    """The rating scale: the params' bounds, each empty one the data's."""
    low, high = ctx.params.get("rating_min"), ctx.params.get("rating_max")
    scale = (
        float(ratings.min()) if low is None else float(low),
        float(ratings.max()) if high is None else float(high),
    )
    if scale[0] >= scale[1]:
        raise StepError(
            f"rating_max: the rating scale must go up: {scale[0]:g} to {scale[1]:g}"
            + (" (every rating is the same)" if low is None and high is None else ""),
            param="rating_max",
        )
    outside = int(((ratings < scale[0]) | (ratings > scale[1])).sum())
    if outside:
        raise StepError(
            f"rating_min: {outside} ratings of column '{column}' lie outside the scale "
            f"{scale[0]:g} to {scale[1]:g}",
            param="rating_min",
        )
    return scale


def raw_ids(values: pd.Series) -> list[Any]:
    """A key column's values as plain Python values (how surprise keeps raw ids)."""
    return values.astype(object).tolist()


def train_svd_recommender(ctx: StepContext) -> Mapping[str, Any]:
    """Fit surprise's SVD (biased matrix factorisation) on the rating triples."""
    from surprise import SVD, Dataset, Reader

    df = frame(ctx, "dataset")
    user, item, rating = _triple_columns(ctx, df)
    _missing(df, user, "user")
    _missing(df, item, "item")
    ratings = _ratings(df, rating)
    for param, column, least in (("user", user, MIN_USERS), ("item", item, MIN_ITEMS)):
        distinct = df[column].nunique()
        if distinct < least:
            raise StepError(
                f"{param}: column '{column}' holds {distinct} distinct value; a recommender "
                f"learns from the ratings of at least {MIN_USERS} users of {MIN_ITEMS} items",
                param=param,
            )
    scale = _scale(ctx, ratings, rating)
    triples = pd.DataFrame(
        {"user": raw_ids(df[user]), "item": raw_ids(df[item]), "rating": ratings}
    )
    trainset = Dataset.load_from_df(triples, Reader(rating_scale=scale)).build_full_trainset()
    hyperparameters = {
        "n_factors": int(ctx.params.get("factors", 100)),
        "n_epochs": int(ctx.params.get("epochs", 20)),
        "lr_all": float(ctx.params.get("learning_rate", 0.005)),
        "reg_all": float(ctx.params.get("regularization", 0.02)),
        "random_state": int(ctx.params.get("seed", 0)),
    }
    algorithm = SVD(**hyperparameters).fit(trainset)
    if not (np.isfinite(algorithm.pu).all() and np.isfinite(algorithm.qi).all()):
        raise StepError(
            "learning_rate: the factors diverged to infinity; lower the learning rate",
            param="learning_rate",
        )
    ctx.log(
        f"trained SVD with {hyperparameters['n_factors']} factors on {trainset.n_ratings} "
        f"ratings of {trainset.n_users} users and {trainset.n_items} items "
        f"(scale {scale[0]:g} to {scale[1]:g}, mean {trainset.global_mean:.3f})"
    )
    return {
        "recommender": TrainedRecommender(
            algorithm=algorithm,
            user=user,
            item=item,
            rating=rating,
            scale=scale,
            hyperparameters=hyperparameters,
        )
    }


def _recommender(ctx: StepContext) -> TrainedRecommender:
    value = ctx.input("recommender")
    if not isinstance(value, TrainedRecommender):
        raise StepError(
            f"recommender: expects a trained recommender (Train SVD recommender), got "
            f"{type(value).__name__}",
            port="recommender",
        )
    return value


def _key_column(ctx: StepContext, df: pd.DataFrame, param: str, default: str) -> str:
    name = str(ctx.params.get(param) or "").strip() or default
    require_columns(df, [name], param)
    _missing(df, name, param)
    return name


def predicted_ratings(
    trained: TrainedRecommender, users: list[Any], items: list[Any]
) -> list[float]:
    """surprise's estimate for each user, item pair (clipped to the scale; a user or item the
    model never saw gets the global mean plus the biases it knows)."""
    algorithm = trained.algorithm
    return [float(algorithm.predict(u, i).est) for u, i in zip(users, items, strict=True)]


def _top(trained: TrainedRecommender, user: Any, candidates: list[Any], count: int) -> list[Any]:
    """The `count` candidates with the highest estimates, best first (ties: training order)."""
    if not candidates:
        return []
    estimates = np.asarray(predicted_ratings(trained, [user] * len(candidates), candidates))
    order = np.argsort(-estimates, kind="stable")[:count]
    return [candidates[i] for i in order]


def _training_items(trained: TrainedRecommender) -> list[Any]:
    """The items the model was trained on, as their raw ids, in training order."""
    trainset = trained.algorithm.trainset
    return [trainset.to_raw_iid(i) for i in trainset.all_items()]


def _candidates(
    trained: TrainedRecommender, items: list[Any], which: str, user: Any, in_table: list[Any]
) -> list[Any]:
    """The items to rank for one user: all training `items`, those it has not rated in
    training, or those paired with it in the scored table."""
    if which == "rated":
        return list(dict.fromkeys(in_table))
    trainset = trained.algorithm.trainset
    if which == "all":
        return items
    try:
        inner = trainset.to_inner_uid(user)
    except ValueError:  # a user the model never saw has rated nothing
        return items
    rated = {trainset.to_raw_iid(i) for i, _ in trainset.ur[inner]}
    return [i for i in items if i not in rated]


def _item_column(values: list[Any], items: list[Any]) -> pd.Series:
    """A recommended-item column in the training `items`' type (integers stay integers, a user
    with fewer candidates than columns gets gaps)."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return pd.Series(values, dtype="Int64")
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
        return pd.Series(values, dtype="float64")
    return pd.Series([None if v is None else str(v) for v in values], dtype="str")


def _known_users(trained: TrainedRecommender, users: list[Any]) -> int:
    trainset = trained.algorithm.trainset
    known = 0
    for user in users:
        try:
            trainset.to_inner_uid(user)
        except ValueError:
            continue
        known += 1
    return known


def _attrs(trained: TrainedRecommender, mode: str, user: str, item: str | None) -> dict[str, Any]:
    return {
        "mode": mode,
        "learner": trained.learner,
        "user": user,
        "item": item,
        "model_user": trained.user,
        "model_item": trained.item,
        "model_rating": trained.rating,
    }


def score_svd_recommender(ctx: StepContext) -> Mapping[str, Any]:
    """Predict ratings of user, item pairs, or recommend each user's top items."""
    trained = _recommender(ctx)
    df = frame(ctx, "dataset")
    user = _key_column(ctx, df, "user", trained.user)
    users = raw_ids(df[user])
    mode = str(ctx.params.get("mode") or "rating_prediction")
    if mode == "rating_prediction":
        item = _key_column(ctx, df, "item", trained.item)
        out = df.copy(deep=False)
        out[SCORED_RATING] = predicted_ratings(trained, users, raw_ids(df[item]))
        unknown = len(users) - _known_users(trained, users)
        ctx.log(
            f"predicted {len(out)} ratings"
            + (f"; {unknown} rows are of users not seen in training" if unknown else "")
        )
        out.attrs[RECOMMENDED_ATTR] = _attrs(trained, mode, user, item)
        return {"dataset": out}
    which = str(ctx.params.get("candidates") or "unrated")
    count = int(ctx.params.get("count", 5))
    item = _key_column(ctx, df, "item", trained.item) if which == "rated" else None
    paired: dict[Any, list[Any]] = {u: [] for u in users}
    if item is not None:
        for u, i in zip(users, raw_ids(df[item]), strict=True):
            paired[u].append(i)
    items = _training_items(trained)
    chosen = {
        u: _top(trained, u, _candidates(trained, items, which, u, rated), count)
        for u, rated in paired.items()
    }
    out = pd.DataFrame({USER: pd.Series(list(chosen), dtype=df[user].dtype)})
    for k, column in enumerate(recommended_columns(count)):
        picks = [top[k] if k < len(top) else None for top in chosen.values()]
        out[column] = _item_column(picks, items)
    ctx.log(
        f"recommended up to {count} items ({which}) to each of {len(out)} users, "
        f"{len(out) - _known_users(trained, list(chosen))} of them not seen in training"
    )
    out.attrs[RECOMMENDED_ATTR] = {
        **_attrs(trained, mode, USER, item),
        "count": count,
        "candidates": which,
    }
    return {"dataset": out}
