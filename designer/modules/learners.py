"""Learner modules: each outputs an untrained estimator with its default search space."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from designer.engine.context import StepContext, StepError
from designer.modules.models import UntrainedModel


def _seed(ctx: StepContext) -> int | None:
    seed = ctx.params.get("seed")
    return None if seed is None else int(seed)


def _out(learner: str, task: Any, estimator: Any, space: dict[str, list[Any]]) -> Mapping[str, Any]:
    return {"model": UntrainedModel(learner, task, estimator, space)}


def linear_regression(ctx: StepContext) -> Mapping[str, Any]:
    """Ordinary least squares, or ridge when an L2 penalty is set."""
    from sklearn.linear_model import LinearRegression, Ridge

    l2 = float(ctx.params.get("l2", 0.0))
    intercept = bool(ctx.params.get("fit_intercept", True))
    if l2 > 0:
        return _out(
            "Linear regression",
            "regression",
            Ridge(alpha=l2, fit_intercept=intercept),
            {"alpha": [0.01, 0.1, 1.0, 10.0, 100.0]},
        )
    return _out(
        "Linear regression",
        "regression",
        LinearRegression(fit_intercept=intercept),
        {"fit_intercept": [True, False]},
    )


def poisson_regression(ctx: StepContext) -> Mapping[str, Any]:
    """A generalized linear model with a log link for counts and rates (PoissonRegressor)."""
    from sklearn.linear_model import PoissonRegressor

    estimator = PoissonRegressor(
        alpha=float(ctx.params.get("l2", 1.0)),
        fit_intercept=bool(ctx.params.get("fit_intercept", True)),
        max_iter=int(ctx.params.get("max_iter", 1000)),
    )
    return _out("Poisson regression", "regression", estimator, {"alpha": [0.01, 0.1, 1.0, 10.0]})


def logistic_regression(ctx: StepContext) -> Mapping[str, Any]:
    """L2-regularized logistic regression (L-BFGS)."""
    from sklearn.linear_model import LogisticRegression

    weight = ctx.params.get("class_weight", "none")
    estimator = LogisticRegression(
        C=float(ctx.params.get("C", 1.0)),
        max_iter=int(ctx.params.get("max_iter", 1000)),
        tol=float(ctx.params.get("tol", 1e-4)),
        class_weight=None if weight == "none" else weight,
    )
    return _out(
        "Logistic regression", "classification", estimator, {"C": [0.01, 0.1, 1.0, 10.0, 100.0]}
    )


def _forest_params(ctx: StepContext) -> dict[str, Any]:
    max_features = ctx.params.get("max_features", "sqrt")
    return {
        "n_estimators": int(ctx.params.get("n_estimators", 100)),
        "max_depth": ctx.params.get("max_depth"),
        "min_samples_leaf": int(ctx.params.get("min_samples_leaf", 1)),
        "max_features": None if max_features == "all" else max_features,
        "random_state": _seed(ctx),
        "n_jobs": 1,
    }


_FOREST_SPACE: dict[str, list[Any]] = {
    "n_estimators": [50, 100, 200],
    "max_depth": [None, 5, 10],
    "min_samples_leaf": [1, 5],
}


def decision_forest_classifier(ctx: StepContext) -> Mapping[str, Any]:
    """Random forest classifier."""
    from sklearn.ensemble import RandomForestClassifier

    return _out(
        "Decision forest classifier",
        "classification",
        RandomForestClassifier(**_forest_params(ctx)),
        _FOREST_SPACE,
    )


def decision_forest_regressor(ctx: StepContext) -> Mapping[str, Any]:
    """Random forest regressor."""
    from sklearn.ensemble import RandomForestRegressor

    return _out(
        "Decision forest regressor",
        "regression",
        RandomForestRegressor(**_forest_params(ctx)),
        _FOREST_SPACE,
    )


def _boosted_params(ctx: StepContext) -> dict[str, Any]:
    return {
        "learning_rate": float(ctx.params.get("learning_rate", 0.1)),
        "max_iter": int(ctx.params.get("max_iter", 100)),
        "max_leaf_nodes": int(ctx.params.get("max_leaf_nodes", 31)),
        "max_depth": ctx.params.get("max_depth"),
        "min_samples_leaf": int(ctx.params.get("min_samples_leaf", 20)),
        "l2_regularization": float(ctx.params.get("l2_regularization", 0.0)),
        "early_stopping": False,
        "random_state": _seed(ctx),
    }


_BOOSTED_SPACE: dict[str, list[Any]] = {
    "learning_rate": [0.03, 0.1, 0.3],
    "max_leaf_nodes": [15, 31, 63],
    "min_samples_leaf": [10, 20],
}


def boosted_tree_classifier(ctx: StepContext) -> Mapping[str, Any]:
    """Histogram gradient boosting classifier."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return _out(
        "Boosted decision tree classifier",
        "classification",
        HistGradientBoostingClassifier(**_boosted_params(ctx)),
        _BOOSTED_SPACE,
    )


def boosted_tree_regressor(ctx: StepContext) -> Mapping[str, Any]:
    """Histogram gradient boosting regressor."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    return _out(
        "Boosted decision tree regressor",
        "regression",
        HistGradientBoostingRegressor(**_boosted_params(ctx)),
        _BOOSTED_SPACE,
    )


def quantile_regressor(ctx: StepContext) -> Mapping[str, Any]:
    """Histogram gradient boosting fitted to one quantile of the label (pinball loss)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    quantile = float(ctx.params.get("quantile", 0.9))
    estimator = HistGradientBoostingRegressor(
        loss="quantile", quantile=quantile, **_boosted_params(ctx)
    )
    return _out("Quantile regression", "regression", estimator, _BOOSTED_SPACE)


def _mlp_params(ctx: StepContext) -> dict[str, Any]:
    text = str(ctx.params.get("hidden_layers") or "100")
    try:
        layers = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        layers = ()
    if not layers or min(layers) < 1:
        raise StepError(
            f"hidden_layers: '{text}' is not a comma-separated list of positive layer sizes",
            param="hidden_layers",
        )
    return {
        "hidden_layer_sizes": layers,
        "activation": ctx.params.get("activation", "relu"),
        "alpha": float(ctx.params.get("alpha", 1e-4)),
        "learning_rate_init": float(ctx.params.get("learning_rate_init", 1e-3)),
        "max_iter": int(ctx.params.get("max_iter", 200)),
        "random_state": _seed(ctx),
    }


_MLP_SPACE: dict[str, list[Any]] = {
    "hidden_layer_sizes": [[50], [100], [64, 32]],
    "alpha": [0.0001, 0.001, 0.01],
}


def neural_network_classifier(ctx: StepContext) -> Mapping[str, Any]:
    """Multi-layer perceptron classifier."""
    from sklearn.neural_network import MLPClassifier

    return _out(
        "Neural network classifier", "classification", MLPClassifier(**_mlp_params(ctx)), _MLP_SPACE
    )


def neural_network_regressor(ctx: StepContext) -> Mapping[str, Any]:
    """Multi-layer perceptron regressor."""
    from sklearn.neural_network import MLPRegressor

    return _out(
        "Neural network regressor", "regression", MLPRegressor(**_mlp_params(ctx)), _MLP_SPACE
    )


def _kernel_params(ctx: StepContext) -> dict[str, Any]:
    return {
        "kernel": ctx.params.get("kernel", "rbf"),
        "gamma": ctx.params.get("gamma", "scale"),
        "degree": int(ctx.params.get("degree", 3)),
    }


def _svm_params(ctx: StepContext) -> dict[str, Any]:
    return {"C": float(ctx.params.get("C", 1.0)), **_kernel_params(ctx)}


_SVM_SPACE: dict[str, list[Any]] = {"C": [0.1, 1.0, 10.0, 100.0], "gamma": ["scale", "auto"]}


def svm_classifier(ctx: StepContext) -> Mapping[str, Any]:
    """Support vector classifier, its decision values calibrated into probabilities (Platt's
    sigmoid fitted on 5-fold out-of-fold values, then the SVC refitted on every row)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    weight = ctx.params.get("class_weight", "none")
    svc = SVC(**_svm_params(ctx), class_weight=None if weight == "none" else weight)
    estimator = CalibratedClassifierCV(svc, method="sigmoid", ensemble=False)
    space = {f"estimator__{name}": values for name, values in _SVM_SPACE.items()}
    return _out("Support vector machine classifier", "classification", estimator, space)


def svm_regressor(ctx: StepContext) -> Mapping[str, Any]:
    """Epsilon support vector regression."""
    from sklearn.svm import SVR

    estimator = SVR(**_svm_params(ctx), epsilon=float(ctx.params.get("epsilon", 0.1)))
    space = {**_SVM_SPACE, "epsilon": [0.01, 0.1, 1.0]}
    return _out("Support vector machine regressor", "regression", estimator, space)


def _knn_params(ctx: StepContext) -> dict[str, Any]:
    return {
        "n_neighbors": int(ctx.params.get("n_neighbors", 5)),
        "weights": ctx.params.get("weights", "uniform"),
        "p": 1 if ctx.params.get("distance", "euclidean") == "manhattan" else 2,
    }


_KNN_SPACE: dict[str, list[Any]] = {
    "n_neighbors": [3, 5, 11, 21],
    "weights": ["uniform", "distance"],
}


def knn_classifier(ctx: StepContext) -> Mapping[str, Any]:
    """K-nearest neighbours voting on the class."""
    from sklearn.neighbors import KNeighborsClassifier

    estimator = KNeighborsClassifier(**_knn_params(ctx))
    return _out("K-nearest neighbors classifier", "classification", estimator, _KNN_SPACE)


def knn_regressor(ctx: StepContext) -> Mapping[str, Any]:
    """K-nearest neighbours averaging their values."""
    from sklearn.neighbors import KNeighborsRegressor

    estimator = KNeighborsRegressor(**_knn_params(ctx))
    return _out("K-nearest neighbors regressor", "regression", estimator, _KNN_SPACE)


def naive_bayes(ctx: StepContext) -> Mapping[str, Any]:
    """Gaussian naive Bayes."""
    from sklearn.naive_bayes import GaussianNB

    estimator = GaussianNB(var_smoothing=float(ctx.params.get("var_smoothing", 1e-9)))
    space = {"var_smoothing": [1e-9, 1e-7, 1e-5]}
    return _out("Naive Bayes classifier", "classification", estimator, space)


def _tree_params(ctx: StepContext) -> dict[str, Any]:
    return {
        "max_depth": ctx.params.get("max_depth"),
        "min_samples_leaf": int(ctx.params.get("min_samples_leaf", 1)),
        "random_state": _seed(ctx),
    }


_TREE_SPACE: dict[str, list[Any]] = {"max_depth": [None, 3, 5, 10], "min_samples_leaf": [1, 5, 20]}


def decision_tree_classifier(ctx: StepContext) -> Mapping[str, Any]:
    """One decision tree classifier."""
    from sklearn.tree import DecisionTreeClassifier

    estimator = DecisionTreeClassifier(**_tree_params(ctx))
    return _out("Decision tree classifier", "classification", estimator, _TREE_SPACE)


def decision_tree_regressor(ctx: StepContext) -> Mapping[str, Any]:
    """One regression tree."""
    from sklearn.tree import DecisionTreeRegressor

    estimator = DecisionTreeRegressor(**_tree_params(ctx))
    return _out("Decision tree regressor", "regression", estimator, _TREE_SPACE)


def kmeans(ctx: StepContext) -> Mapping[str, Any]:
    """K-means clustering."""
    from sklearn.cluster import KMeans

    estimator = KMeans(
        n_clusters=int(ctx.params.get("n_clusters", 3)),
        init=ctx.params.get("init", "k-means++"),
        n_init=int(ctx.params.get("n_init", 10)),
        max_iter=int(ctx.params.get("max_iter", 300)),
        random_state=_seed(ctx),
    )
    return _out("K-means clustering", "clustering", estimator, {"n_clusters": [2, 3, 4, 5, 6, 8]})


def isolation_forest(ctx: StepContext) -> Mapping[str, Any]:
    """Isolation forest: rows that random splits isolate in few steps are anomalies."""
    from sklearn.ensemble import IsolationForest

    share = ctx.params.get("max_samples")
    contamination = ctx.params.get("contamination")
    estimator = IsolationForest(
        n_estimators=int(ctx.params.get("n_estimators", 100)),
        max_samples="auto" if share is None else float(share),
        contamination="auto" if contamination is None else float(contamination),
        max_features=float(ctx.params.get("max_features", 1.0)),
        random_state=_seed(ctx),
        n_jobs=1,
    )
    return _out("Isolation forest", "anomaly_detection", estimator, {})


def one_class_svm(ctx: StepContext) -> Mapping[str, Any]:
    """One-class SVM: a boundary around the training rows; rows outside it are anomalies."""
    from sklearn.svm import OneClassSVM

    estimator = OneClassSVM(nu=float(ctx.params.get("nu", 0.05)), **_kernel_params(ctx))
    return _out("One-class SVM", "anomaly_detection", estimator, {})


def pca_anomaly_detection(ctx: StepContext) -> Mapping[str, Any]:
    """PCA-based anomaly detection: rows far from the principal components of the training
    rows (a large reconstruction error) are anomalies."""
    from designer.modules.detectors import PcaDetector

    components = ctx.params.get("components")
    estimator = PcaDetector(
        n_components=float(ctx.params.get("variance", 0.9))
        if components is None
        else int(components),
        standardize=bool(ctx.params.get("standardize", True)),
        contamination=float(ctx.params.get("contamination", 0.05)),
    )
    return _out("PCA-based anomaly detection", "anomaly_detection", estimator, {})


def local_outlier_factor(ctx: StepContext) -> Mapping[str, Any]:
    """Local outlier factor: rows much less dense than their nearest neighbours are anomalies."""
    from sklearn.neighbors import LocalOutlierFactor

    contamination = ctx.params.get("contamination")
    estimator = LocalOutlierFactor(
        n_neighbors=int(ctx.params.get("n_neighbors", 20)),
        metric=str(ctx.params.get("metric", "euclidean")),
        contamination="auto" if contamination is None else float(contamination),
        novelty=True,
        n_jobs=1,
    )
    return _out("Local outlier factor", "anomaly_detection", estimator, {})


def _wrapped(ctx: StepContext, wrapper: str, of: Any) -> Mapping[str, Any]:
    """The untrained classifier on the model port inside a multiclass wrapper; its search space
    the inner learner's as estimator__<name>."""
    model = ctx.input("model")
    if not isinstance(model, UntrainedModel) or model.task != "classification":
        what = getattr(model, "learner", type(model).__name__)
        raise StepError(f"model: expects an untrained classifier, got {what}", port="model")
    space = {f"estimator__{name}": values for name, values in model.search_space.items()}
    return _out(f"{wrapper} ({model.learner})", "classification", of(model.estimator), space)


def one_vs_all(ctx: StepContext) -> Mapping[str, Any]:
    """One binary classifier per class, each telling it from the rest (OneVsRestClassifier)."""
    from sklearn.multiclass import OneVsRestClassifier

    return _wrapped(ctx, "One-vs-all", OneVsRestClassifier)


def one_vs_one(ctx: StepContext) -> Mapping[str, Any]:
    """One binary classifier per pair of classes, the class with most votes wins
    (OneVsOneClassifier: no probabilities)."""
    from sklearn.multiclass import OneVsOneClassifier

    return _wrapped(ctx, "One-vs-one", OneVsOneClassifier)
