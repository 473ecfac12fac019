"""Specs of the recommendation modules: train, score and evaluate an SVD recommender."""

from __future__ import annotations

from designer.engine.registry import ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import SEED_MAX, TRAINING_TIMEOUT, builtin

RECOMMENDATION = "Recommendation"
_HELPERS = ("_frames", "models", "recommender", "evaluate", "training")
_RECOMMENDER = PortSpec(
    "recommender", PortType.RECOMMENDER, "A trained recommender (Train SVD recommender)."
)


def _column(name: str, what: str, default: str) -> ParamSpec:
    return ParamSpec(
        name,
        ParamType.COLUMN,
        "",
        label=f"{name.capitalize()} column",
        description=f"{what} {default}",
    )


SPECS = [
    builtin(
        "ml.train_svd_recommender",
        "Train SVD recommender",
        RECOMMENDATION,
        """Learns users' tastes from a table of user, item, rating triples by matrix
        factorisation: scikit-surprise's SVD (Funk's SVD with user and item biases, the
        algorithm of the Netflix prize), fitted by stochastic gradient descent. Each user and
        item gets `factors` latent numbers; a predicted rating is the mean rating plus the
        user's and the item's bias plus the dot product of their factors, clipped to the rating
        scale. The same seed gives the same model. Connect it to Score SVD recommender.""",
        "recommender:train_svd_recommender",
        inputs=(PortSpec("dataset", PortType.DATAFRAME, "Ratings: user, item, rating columns."),),
        outputs=(PortSpec("recommender", PortType.RECOMMENDER, "The trained SVD recommender."),),
        params=(
            _column("user", "The column of user ids;", "empty: the first column."),
            _column("item", "The column of item ids;", "empty: the second column."),
            _column("rating", "The column of numeric ratings;", "empty: the third column."),
            ParamSpec(
                "rating_min",
                ParamType.FLOAT,
                None,
                label="Lowest rating",
                description="Bottom of the rating scale; empty: the lowest rating in the data.",
                nullable=True,
            ),
            ParamSpec(
                "rating_max",
                ParamType.FLOAT,
                None,
                label="Highest rating",
                description="Top of the rating scale; empty: the highest rating in the data.",
                nullable=True,
            ),
            ParamSpec(
                "factors",
                ParamType.INT,
                100,
                description="Latent factors per user and item.",
                minimum=1,
                maximum=1000,
            ),
            ParamSpec(
                "epochs",
                ParamType.INT,
                20,
                description="Passes of gradient descent over the ratings.",
                minimum=1,
                maximum=1000,
            ),
            ParamSpec("learning_rate", ParamType.FLOAT, 0.005, minimum=1e-6, maximum=1.0),
            ParamSpec(
                "regularization",
                ParamType.FLOAT,
                0.02,
                description="L2 penalty on the factors and biases.",
                minimum=0.0,
                maximum=10.0,
            ),
            ParamSpec(
                "seed",
                ParamType.INT,
                0,
                description="Random seed of the initial factors and the order of the ratings.",
                minimum=0,
                maximum=SEED_MAX,
            ),
        ),
        helpers=_HELPERS,
        timeout=TRAINING_TIMEOUT,
    ),
    builtin(
        "ml.score_svd_recommender",
        "Score SVD recommender",
        RECOMMENDATION,
        """Uses a trained SVD recommender. Rating prediction appends a 'Scored Rating' to each
        user, item row (a user or item not seen in training gets the mean rating plus the biases
        known, as surprise predicts). Item recommendation outputs one row per user of the table:
        'User', then 'Recommended Item 1' to 'Recommended Item N', best first, chosen from all
        items, from the items the user did not rate in training (what to suggest), or from the
        items paired with the user in this table (rated: to evaluate the ranking against test
        ratings).""",
        "recommender:score_svd_recommender",
        inputs=(
            _RECOMMENDER,
            PortSpec("dataset", PortType.DATAFRAME, "Users (and items) to score."),
        ),
        outputs=(
            PortSpec(
                "dataset", PortType.DATAFRAME, "Rows with 'Scored Rating', or users' top items."
            ),
        ),
        params=(
            ParamSpec(
                "mode",
                ParamType.ENUM,
                "rating_prediction",
                choices=("rating_prediction", "item_recommendation"),
            ),
            ParamSpec(
                "candidates",
                ParamType.ENUM,
                "unrated",
                label="Recommend from",
                choices=("unrated", "all", "rated"),
                description="Item recommendation: unrated: items the user did not rate in "
                "training; all: every trained item; rated: the user's items in this table.",
            ),
            ParamSpec(
                "count",
                ParamType.INT,
                5,
                label="Items per user",
                description="Item recommendation: N, the items recommended to each user.",
                minimum=1,
                maximum=1000,
            ),
            _column("user", "The table's user column;", "empty: the one it was trained on."),
            _column("item", "The table's item column;", "empty: the one it was trained on."),
        ),
        helpers=_HELPERS,
    ),
    builtin(
        "ml.evaluate_recommender",
        "Evaluate recommender",
        RECOMMENDATION,
        """Compares Score SVD recommender's output with held-out ratings. Predicted ratings:
        MAE and RMSE over the scored pairs the test table rates (as surprise.accuracy computes
        them). Recommended items: NDCG, precision and recall at N, averaged over the users who
        rate at least one test item at or above the relevance threshold; an item is relevant to
        a user when the test table rates it at or above the threshold.""",
        "recommender_metrics:evaluate_recommender",
        inputs=(
            PortSpec("test", PortType.DATAFRAME, "Held-out ratings: user, item, rating."),
            PortSpec("scored", PortType.DATAFRAME, "Output of Score SVD recommender."),
        ),
        outputs=(PortSpec("metrics", PortType.METRICS, "The metrics."),),
        params=(
            ParamSpec(
                "relevance_threshold",
                ParamType.FLOAT,
                4.0,
                description="Item recommendation: a test rating at or above it makes the item "
                "relevant to the user.",
            ),
            _column("user", "The test table's user column;", "empty: the recommender's."),
            _column("item", "The test table's item column;", "empty: the recommender's."),
            _column("rating", "The test table's rating column;", "empty: the recommender's."),
        ),
        helpers=_HELPERS,
    ),
]
