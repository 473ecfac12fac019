"""The model objects that flow along Model wires: untrained learners and trained models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Task = Literal["classification", "regression", "clustering", "anomaly_detection"]


@dataclass
class UntrainedModel:
    """A configured but unfitted scikit-learn estimator, with what the trainers need to know."""

    learner: str  # display name, e.g. "Logistic regression"
    task: Task
    estimator: Any
    search_space: dict[str, list[Any]] = field(default_factory=dict)  # default tuning grid

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Describe the learner for output summaries (the engine shows these in the inspector)."""
        return {"learner": self.learner, "task": self.task, **scalar_params(self.estimator)}

    def fresh(self, **overrides: Any) -> Any:
        """Return an unfitted copy of the estimator, with some hyperparameters overridden."""
        from sklearn.base import clone

        estimator = clone(self.estimator)
        return estimator.set_params(**overrides) if overrides else estimator


@dataclass
class TrainedModel:
    """A fitted estimator with its label, features and classes, so scoring needs no params."""

    learner: str
    task: Task
    estimator: Any  # a fitted estimator or Pipeline taking the feature columns as a DataFrame
    features: list[str]
    label: str | None = None
    classes: list[Any] = field(default_factory=list)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    anomaly_value: Any = None  # an anomaly detector's label value that marks an anomaly

    def portable(self) -> bytes:
        """The model as joblib bytes of a plain scikit-learn Pipeline (portable.to_sklearn: it
        picks the feature columns by name), loadable without this package."""
        import io

        import joblib

        from designer.modules.portable import to_sklearn

        buffer = io.BytesIO()
        joblib.dump(to_sklearn(self), buffer)
        return buffer.getvalue()

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Describe the model for output summaries (the engine shows these in the inspector)."""
        return {
            "learner": self.learner,
            "task": self.task,
            "label": self.label,
            "features": self.features,
            "classes": self.classes,
            "hyperparameters": self.hyperparameters,
            **({"anomaly_value": self.anomaly_value} if self.anomaly_value is not None else {}),
        }


def scalar_params(estimator: Any) -> dict[str, Any]:
    """The estimator's hyperparameters that are plain values (numbers, text, tuples, None);
    a wrapped estimator's as estimator__name."""
    params = estimator.get_params(deep=True)
    plain = (int, float, str, bool, tuple, type(None))
    return {k: v for k, v in params.items() if isinstance(v, plain)}


@dataclass
class TrainedRecommender:
    """A fitted surprise SVD with the columns and rating scale it was trained on (the trainset,
    which knows who rated what, travels inside `algorithm`)."""

    algorithm: Any = field(repr=False)  # surprise.SVD, fitted; .trainset holds the ratings
    user: str
    item: str
    rating: str
    scale: tuple[float, float]
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    learner: str = "SVD recommender"

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Describe the recommender for output summaries (the engine shows these in the
        inspector); `label` is the rating column, which real-time requests leave out."""
        trainset = self.algorithm.trainset
        return {
            "learner": self.learner,
            "user": self.user,
            "item": self.item,
            "label": self.rating,
            "rating_scale": list(self.scale),
            "users": trainset.n_users,
            "items": trainset.n_items,
            "ratings": trainset.n_ratings,
            "hyperparameters": self.hyperparameters,
        }
