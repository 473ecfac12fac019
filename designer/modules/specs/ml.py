"""Specs of the machine learning modules: learners, train, score, evaluate, tune, cluster."""

from __future__ import annotations

from designer.engine.registry import ModuleSpec, ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import SEED_MAX, TRAINING_TIMEOUT, builtin

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "auc", "log_loss")
REGRESSION_METRICS = ("mae", "rmse", "r2")
QUANTILE_METRICS = ("pinball_loss",)  # a quantile regression's
TUNING_METRICS = CLASSIFICATION_METRICS + REGRESSION_METRICS + QUANTILE_METRICS
SELECTION_METHODS = (
    "pearson",
    "spearman",
    "kendall",
    "mutual_information",
    "f_score",
    "chi_squared",
)

CLUSTERING = "Machine learning: clustering"
ANOMALY_DETECTION = "Machine learning: anomaly detection"
_UNTRAINED = (PortSpec("model", PortType.MODEL, "An untrained model: connect it to a trainer."),)
_ML = ("_frames", "models", "training", "evaluate", "detectors")
_LEARNER = ("_frames", "models")


def _seed() -> ParamSpec:
    return ParamSpec(
        "seed",
        ParamType.INT,
        0,
        description="Random seed.",
        minimum=0,
        maximum=SEED_MAX,
        nullable=True,
    )


def _learner(
    name: str,
    display: str,
    description: str,
    function: str,
    *params: ParamSpec,
    category: str = "Machine learning: learners",
) -> ModuleSpec:
    return builtin(
        name,
        display,
        category,
        description,
        f"learners:{function}",
        outputs=_UNTRAINED,
        params=params,
        helpers=_LEARNER,
    )


_FOREST = (
    ParamSpec("n_estimators", ParamType.INT, 100, label="Trees", minimum=1, maximum=5000),
    ParamSpec(
        "max_depth", ParamType.INT, None, description="Empty: grow fully.", minimum=1, nullable=True
    ),
    ParamSpec("min_samples_leaf", ParamType.INT, 1, minimum=1),
    ParamSpec("max_features", ParamType.ENUM, "sqrt", choices=("sqrt", "log2", "all")),
    _seed(),
)
_BOOSTED = (
    ParamSpec("learning_rate", ParamType.FLOAT, 0.1, minimum=0.0001, maximum=10.0),
    ParamSpec("max_iter", ParamType.INT, 100, label="Boosting rounds", minimum=1, maximum=10000),
    ParamSpec("max_leaf_nodes", ParamType.INT, 31, minimum=2, maximum=10000),
    ParamSpec(
        "max_depth", ParamType.INT, None, description="Empty: no limit.", minimum=1, nullable=True
    ),
    ParamSpec("min_samples_leaf", ParamType.INT, 20, minimum=1),
    ParamSpec("l2_regularization", ParamType.FLOAT, 0.0, minimum=0.0),
    _seed(),
)
_MLP = (
    ParamSpec(
        "hidden_layers",
        ParamType.STRING,
        "100",
        description="Comma-separated layer sizes, e.g. 64,32.",
    ),
    ParamSpec("activation", ParamType.ENUM, "relu", choices=("relu", "tanh", "logistic")),
    ParamSpec("alpha", ParamType.FLOAT, 0.0001, description="L2 penalty.", minimum=0.0),
    ParamSpec("learning_rate_init", ParamType.FLOAT, 0.001, minimum=0.000001, maximum=1.0),
    ParamSpec("max_iter", ParamType.INT, 200, label="Epochs", minimum=1, maximum=10000),
    _seed(),
)

_SVM = (
    ParamSpec("C", ParamType.FLOAT, 1.0, label="Penalty C", minimum=1e-6, maximum=1e6),
    ParamSpec("kernel", ParamType.ENUM, "rbf", choices=("rbf", "linear", "poly", "sigmoid")),
    ParamSpec(
        "gamma",
        ParamType.ENUM,
        "scale",
        choices=("scale", "auto"),
        description="Kernel coefficient: scale is 1 / (features * variance), auto 1 / features.",
    ),
    ParamSpec("degree", ParamType.INT, 3, description="Of the poly kernel.", minimum=1, maximum=10),
)
_KNN = (
    ParamSpec("n_neighbors", ParamType.INT, 5, label="Neighbors (K)", minimum=1, maximum=10000),
    ParamSpec(
        "weights",
        ParamType.ENUM,
        "uniform",
        choices=("uniform", "distance"),
        description="distance: nearer neighbours count more.",
    ),
    ParamSpec("distance", ParamType.ENUM, "euclidean", choices=("euclidean", "manhattan")),
)
_TREE = (
    ParamSpec(
        "max_depth", ParamType.INT, None, description="Empty: grow fully.", minimum=1, nullable=True
    ),
    ParamSpec("min_samples_leaf", ParamType.INT, 1, minimum=1),
    _seed(),
)

LEARNERS = [
    _learner(
        "ml.linear_regression",
        "Linear regression",
        """Ordinary least squares linear regression, or ridge regression when an L2 penalty is
        set. Output: an untrained model for Train model, Cross-validate or Tune hyperparameters.""",
        "linear_regression",
        ParamSpec(
            "l2",
            ParamType.FLOAT,
            0.0,
            label="L2 penalty",
            description="0: ordinary least squares.",
            minimum=0.0,
        ),
        ParamSpec("fit_intercept", ParamType.BOOL, True),
    ),
    _learner(
        "ml.poisson_regression",
        "Poisson regression",
        """Poisson regression (PoissonRegressor): a linear model of the label's logarithm, for
        counts and rates (calls per hour, claims per policy); the label must not be negative.
        L2-regularized; normalize the features first.""",
        "poisson_regression",
        ParamSpec("l2", ParamType.FLOAT, 1.0, label="L2 penalty", minimum=0.0),
        ParamSpec("fit_intercept", ParamType.BOOL, True),
        ParamSpec("max_iter", ParamType.INT, 1000, minimum=1, maximum=100000),
    ),
    _learner(
        "ml.quantile_regression",
        "Quantile regression",
        """Boosted decision trees (HistGradientBoostingRegressor) fitted to a quantile of the
        label rather than its mean: with 0.9, nine rows in ten lie at or below the prediction.
        Two of them (e.g. 0.1 and 0.9) give a prediction interval; Evaluate model reports the
        pinball loss and the share of labels at or below the predictions.""",
        "quantile_regressor",
        ParamSpec(
            "quantile",
            ParamType.FLOAT,
            0.9,
            description="The quantile predicted, between 0 and 1 (0.5: the median).",
            minimum=0.001,
            maximum=0.999,
        ),
        *_BOOSTED,
    ),
    _learner(
        "ml.logistic_regression",
        "Logistic regression",
        """Logistic regression classifier for two or more classes (multinomial), L2-regularized
        with inverse strength C, fitted with L-BFGS.""",
        "logistic_regression",
        ParamSpec(
            "C", ParamType.FLOAT, 1.0, label="Inverse regularization C", minimum=1e-6, maximum=1e6
        ),
        ParamSpec("max_iter", ParamType.INT, 1000, minimum=1, maximum=100000),
        ParamSpec("tol", ParamType.FLOAT, 0.0001, label="Tolerance", minimum=1e-12, maximum=1.0),
        ParamSpec("class_weight", ParamType.ENUM, "none", choices=("none", "balanced")),
    ),
    _learner(
        "ml.decision_forest_classifier",
        "Decision forest classifier",
        "A random forest of decision trees voting on the class (RandomForestClassifier).",
        "decision_forest_classifier",
        *_FOREST,
    ),
    _learner(
        "ml.decision_forest_regressor",
        "Decision forest regressor",
        "A random forest of regression trees averaging their predictions (RandomForestRegressor).",
        "decision_forest_regressor",
        *_FOREST,
    ),
    _learner(
        "ml.boosted_tree_classifier",
        "Boosted decision tree classifier",
        """Gradient-boosted decision trees on binned features (HistGradientBoostingClassifier);
        fast on large tables and handles missing values natively.""",
        "boosted_tree_classifier",
        *_BOOSTED,
    ),
    _learner(
        "ml.boosted_tree_regressor",
        "Boosted decision tree regressor",
        """Gradient-boosted regression trees on binned features (HistGradientBoostingRegressor);
        fast on large tables and handles missing values natively.""",
        "boosted_tree_regressor",
        *_BOOSTED,
    ),
    _learner(
        "ml.neural_network_classifier",
        "Neural network classifier",
        "A multi-layer perceptron classifier trained with Adam (MLPClassifier); normalize first.",
        "neural_network_classifier",
        *_MLP,
    ),
    _learner(
        "ml.neural_network_regressor",
        "Neural network regressor",
        "A multi-layer perceptron regressor trained with Adam (MLPRegressor); normalize first.",
        "neural_network_regressor",
        *_MLP,
    ),
    _learner(
        "ml.svm_classifier",
        "Support vector machine classifier",
        """A support vector machine (SVC) for two or more classes, its scores calibrated into
        probabilities by Platt's sigmoid (CalibratedClassifierCV); normalize the features first.
        Training time grows with the square of the rows: for tens of thousands of rows, prefer
        logistic regression or boosted trees. Tune its hyperparameters as estimator__C,
        estimator__gamma.""",
        "svm_classifier",
        *_SVM,
        ParamSpec("class_weight", ParamType.ENUM, "none", choices=("none", "balanced")),
    ),
    _learner(
        "ml.svm_regressor",
        "Support vector machine regressor",
        """Epsilon support vector regression (SVR); normalize the features first. Training time
        grows with the square of the rows.""",
        "svm_regressor",
        *_SVM,
        ParamSpec(
            "epsilon",
            ParamType.FLOAT,
            0.1,
            description="Errors within it are not penalized.",
            minimum=0.0,
        ),
    ),
    _learner(
        "ml.knn_classifier",
        "K-nearest neighbors classifier",
        """Predicts the class most common among the K training rows nearest to a row
        (KNeighborsClassifier); normalize the features first, so that no unit dominates the
        distance.""",
        "knn_classifier",
        *_KNN,
    ),
    _learner(
        "ml.knn_regressor",
        "K-nearest neighbors regressor",
        """Predicts the mean value of the K training rows nearest to a row (KNeighborsRegressor);
        normalize the features first.""",
        "knn_regressor",
        *_KNN,
    ),
    _learner(
        "ml.naive_bayes",
        "Naive Bayes classifier",
        """Gaussian naive Bayes (GaussianNB): each feature normal within each class, the
        features independent; fast, a baseline for any classification.""",
        "naive_bayes",
        ParamSpec(
            "var_smoothing",
            ParamType.FLOAT,
            1e-9,
            description="Share of the largest variance added to every variance, for stability.",
            minimum=0.0,
            maximum=1.0,
        ),
    ),
    _learner(
        "ml.decision_tree_classifier",
        "Decision tree classifier",
        "One decision tree (DecisionTreeClassifier): readable, and a baseline for the forests.",
        "decision_tree_classifier",
        *_TREE,
    ),
    _learner(
        "ml.decision_tree_regressor",
        "Decision tree regressor",
        "One regression tree (DecisionTreeRegressor): readable, and a baseline for the forests.",
        "decision_tree_regressor",
        *_TREE,
    ),
    _learner(
        "ml.kmeans",
        "K-means clustering",
        "K-means clustering into K groups. Connect it to Train clustering model.",
        "kmeans",
        ParamSpec("n_clusters", ParamType.INT, 3, label="Clusters (K)", minimum=2, maximum=1000),
        ParamSpec("init", ParamType.ENUM, "k-means++", choices=("k-means++", "random")),
        ParamSpec("n_init", ParamType.INT, 10, label="Restarts", minimum=1, maximum=1000),
        ParamSpec("max_iter", ParamType.INT, 300, minimum=1, maximum=100000),
        _seed(),
        category=CLUSTERING,
    ),
    _learner(
        "ml.isolation_forest",
        "Isolation forest",
        """Anomaly detection by an isolation forest (IsolationForest): random trees split the
        rows until each stands alone, and rows isolated in few splits are anomalies. Fast on
        large tables; no need to normalize. Connect it to Train anomaly detection model.""",
        "isolation_forest",
        ParamSpec("n_estimators", ParamType.INT, 100, label="Trees", minimum=1, maximum=5000),
        ParamSpec(
            "max_samples",
            ParamType.FLOAT,
            None,
            label="Rows per tree",
            description="Share of the rows each tree is grown on; empty: 256 rows (or all).",
            minimum=0.001,
            maximum=1.0,
            nullable=True,
        ),
        ParamSpec(
            "contamination",
            ParamType.FLOAT,
            None,
            description="Expected share of anomalies, which sets the threshold; empty: the "
            "original paper's threshold.",
            minimum=0.0001,
            maximum=0.5,
            nullable=True,
        ),
        ParamSpec(
            "max_features",
            ParamType.FLOAT,
            1.0,
            label="Features per tree",
            description="Share of the features each tree splits on.",
            minimum=0.001,
            maximum=1.0,
        ),
        _seed(),
        category=ANOMALY_DETECTION,
    ),
    _learner(
        "ml.one_class_svm",
        "One-class SVM",
        """Anomaly detection by a one-class support vector machine (OneClassSVM): a boundary
        around the training rows, rows outside it are anomalies. Normalize the features first;
        training time grows with the square of the rows. Train it on normal rows only for
        novelty detection. Connect it to Train anomaly detection model.""",
        "one_class_svm",
        ParamSpec(
            "nu",
            ParamType.FLOAT,
            0.05,
            description="Upper bound on the share of training rows outside the boundary.",
            minimum=0.0001,
            maximum=1.0,
        ),
        *_SVM[1:],
        category=ANOMALY_DETECTION,
    ),
    builtin(
        "ml.pca_anomaly_detection",
        "PCA-based anomaly detection",
        ANOMALY_DETECTION,
        """Anomaly detection by principal component analysis: the principal components of the
        training rows describe what is normal, and a row's Anomaly Score is its squared
        distance from its projection on them (its reconstruction error). The threshold is the
        score that the chosen share of the training rows exceed. Train it on normal rows only
        for novelty detection. Connect it to Train anomaly detection model.""",
        "learners:pca_anomaly_detection",
        outputs=_UNTRAINED,
        params=(
            ParamSpec(
                "components",
                ParamType.INT,
                None,
                description="Principal components kept; empty: as many as explain the share "
                "of variance below.",
                minimum=1,
                maximum=10000,
                nullable=True,
            ),
            ParamSpec(
                "variance",
                ParamType.FLOAT,
                0.9,
                label="Share of variance",
                description="With components empty: keep the fewest components that explain "
                "more than this share of the variance.",
                minimum=0.01,
                maximum=0.999,
            ),
            ParamSpec(
                "standardize",
                ParamType.BOOL,
                True,
                description="Scale each column to unit variance first, so that no unit "
                "dominates the components.",
            ),
            ParamSpec(
                "contamination",
                ParamType.FLOAT,
                0.05,
                description="Share of the training rows beyond the threshold.",
                minimum=0.0001,
                maximum=0.5,
            ),
        ),
        helpers=(*_LEARNER, "detectors"),
    ),
    _learner(
        "ml.local_outlier_factor",
        "Local outlier factor",
        """Anomaly detection by the local outlier factor (LocalOutlierFactor, novelty
        detection): a row much less dense than its nearest training rows is an anomaly; its
        Anomaly Score is that ratio of densities (about 1 for a normal row). Normalize the
        features first. Connect it to Train anomaly detection model.""",
        "local_outlier_factor",
        ParamSpec("n_neighbors", ParamType.INT, 20, label="Neighbors", minimum=1, maximum=10000),
        ParamSpec(
            "metric",
            ParamType.ENUM,
            "euclidean",
            choices=("euclidean", "manhattan", "chebyshev", "cosine"),
            description="The distance between rows.",
        ),
        ParamSpec(
            "contamination",
            ParamType.FLOAT,
            None,
            description="Expected share of anomalies, which sets the threshold; empty: the "
            "original paper's threshold (a factor above 1.5).",
            minimum=0.0001,
            maximum=0.5,
            nullable=True,
        ),
        category=ANOMALY_DETECTION,
    ),
]

_LABEL = ParamSpec(
    "label",
    ParamType.COLUMN,
    "",
    label="Label column",
    description="The column to predict; empty uses the column marked as label by Edit metadata.",
)
_FEATURES = ParamSpec(
    "features", ParamType.COLUMNS, (), description="Feature columns; empty uses every other column."
)
_DATA = PortSpec("dataset", PortType.DATAFRAME, "The training data, with the label column.")

TRAINING = [
    builtin(
        "ml.train_model",
        "Train model",
        "Machine learning: train",
        """Fits an untrained classification or regression model on a table, predicting the label
        column from the feature columns. Text columns are one-hot encoded automatically. The
        trained model remembers its label and features, so Score model needs no settings.""",
        "training:train_model",
        inputs=(PortSpec("model", PortType.MODEL, "An untrained model."), _DATA),
        outputs=(PortSpec("model", PortType.MODEL, "The trained model."),),
        params=(_LABEL, _FEATURES),
        helpers=_ML,
        timeout=TRAINING_TIMEOUT,
    ),
    builtin(
        "ml.score_model",
        "Score model",
        "Machine learning: score",
        """Predicts with a trained model, appending a 'Scored Labels' column and, for
        classifiers, 'Scored Probabilities' (the positive class's probability for two classes,
        one 'Scored Probabilities_<class>' column per class otherwise).""",
        "training:score_model",
        inputs=(
            PortSpec("model", PortType.MODEL, "A trained model."),
            PortSpec("dataset", PortType.DATAFRAME, "Rows to score, with the feature columns."),
        ),
        outputs=(
            PortSpec("dataset", PortType.DATAFRAME, "The rows with scored columns appended."),
        ),
        helpers=_ML,
    ),
    builtin(
        "ml.evaluate_model",
        "Evaluate model",
        "Machine learning: evaluate",
        """Computes metrics of scored data. Classification: accuracy, precision, recall, F1, AUC,
        log loss, the confusion matrix, ROC and precision-recall curve points (binary and
        multiclass, macro-averaged). Regression: MAE, RMSE, R², relative absolute and relative
        squared error, predicted against actual values and a histogram of the residuals.
        Anomaly detection: the rows flagged and, with a label, how well the flags and scores
        find it. Clustering: silhouette, Davies-Bouldin and Calinski-Harabasz scores. Connect a
        second scored table to compare two models side by side.""",
        "evaluate:evaluate_model",
        inputs=(
            PortSpec("scored", PortType.DATAFRAME, "Output of Score model."),
            PortSpec(
                "scored2", PortType.DATAFRAME, "A second scored table to compare.", optional=True
            ),
        ),
        outputs=(PortSpec("metrics", PortType.METRICS, "Metrics, matrices and curve points."),),
        helpers=_ML,
    ),
    builtin(
        "ml.cross_validate",
        "Cross-validate model",
        "Machine learning: evaluate",
        """Trains and scores an untrained model K times, each time holding out one fold (stratified
        for classifiers). Outputs every row scored by the model that did not see it, with its
        Fold, and the metrics of each fold with their mean and standard deviation.""",
        "tuning:cross_validate",
        inputs=(PortSpec("model", PortType.MODEL, "An untrained model."), _DATA),
        outputs=(
            PortSpec("scored", PortType.DATAFRAME, "Out-of-fold scored rows with a 'Fold' column."),
            PortSpec("metrics", PortType.METRICS, "Per-fold metrics, mean and standard deviation."),
        ),
        params=(
            _LABEL,
            _FEATURES,
            ParamSpec("folds", ParamType.INT, 5, minimum=2, maximum=100),
            _seed(),
        ),
        helpers=_ML,
        timeout=TRAINING_TIMEOUT,
    ),
    builtin(
        "ml.tune_hyperparameters",
        "Tune model hyperparameters",
        "Machine learning: train",
        """Searches hyperparameters of an untrained model by cross-validation, over the whole grid
        or a random sample of it, and returns the model refitted on all rows with the best
        settings, plus a table of every trial. The search space is a JSON object mapping
        hyperparameter names to lists of values; empty uses the learner's default space.""",
        "tuning:tune_hyperparameters",
        inputs=(PortSpec("model", PortType.MODEL, "An untrained model."), _DATA),
        outputs=(
            PortSpec("model", PortType.MODEL, "The best model, trained on all rows."),
            PortSpec("results", PortType.DATAFRAME, "One row per trial, best first."),
        ),
        params=(
            _LABEL,
            _FEATURES,
            ParamSpec("method", ParamType.ENUM, "grid", choices=("grid", "random")),
            ParamSpec(
                "space", ParamType.CODE, "", language="json", description='e.g. {"C": [0.1, 1, 10]}'
            ),
            ParamSpec("metric", ParamType.ENUM, "accuracy", choices=TUNING_METRICS),
            ParamSpec(
                "iterations",
                ParamType.INT,
                10,
                description="Trials for random search.",
                minimum=1,
                maximum=1000,
            ),
            ParamSpec("folds", ParamType.INT, 3, minimum=2, maximum=20),
            _seed(),
        ),
        helpers=_ML,
        timeout=TRAINING_TIMEOUT,
    ),
    builtin(
        "ml.permutation_importance",
        "Permutation feature importance",
        "Machine learning: evaluate",
        """Measures how much a trained model's metric drops when each feature column is shuffled,
        on the given (ideally held-out) data. Larger drops mean more important features.""",
        "tuning:permutation_importance",
        inputs=(
            PortSpec("model", PortType.MODEL, "A trained model."),
            PortSpec("dataset", PortType.DATAFRAME, "Data with the features and the label."),
        ),
        outputs=(
            PortSpec(
                "dataset", PortType.DATAFRAME, "Feature, importance mean and std, best first."
            ),
        ),
        params=(
            ParamSpec("metric", ParamType.ENUM, "accuracy", choices=TUNING_METRICS),
            ParamSpec("repeats", ParamType.INT, 5, minimum=1, maximum=100),
            _seed(),
        ),
        helpers=_ML,
        timeout=TRAINING_TIMEOUT,
    ),
    builtin(
        "ml.train_clustering_model",
        "Train clustering model",
        CLUSTERING,
        """Fits an untrained clustering model (K-means) on the chosen numeric columns and outputs
        the trained model and the training rows with their cluster in an 'Assignments' column.""",
        "clustering:train_clustering_model",
        inputs=(
            PortSpec("model", PortType.MODEL, "An untrained clustering model."),
            PortSpec("dataset", PortType.DATAFRAME, "The rows to cluster."),
        ),
        outputs=(
            PortSpec("model", PortType.MODEL, "The trained clustering model."),
            PortSpec("dataset", PortType.DATAFRAME, "The rows with an 'Assignments' column."),
        ),
        params=(_FEATURES,),
        helpers=_ML,
        timeout=TRAINING_TIMEOUT,
    ),
    builtin(
        "ml.one_vs_all",
        "One-vs-all multiclass",
        "Machine learning: learners",
        """Makes a multiclass classifier of any classifier: one copy is trained per class to
        tell that class from the others, and a row gets the class whose copy is surest. The
        probabilities are the copies' normalized to sum to 1. Tune its inner learner's
        hyperparameters as estimator__<name>.""",
        "learners:one_vs_all",
        inputs=(PortSpec("model", PortType.MODEL, "An untrained classifier."),),
        outputs=_UNTRAINED,
        helpers=_LEARNER,
    ),
    builtin(
        "ml.one_vs_one",
        "One-vs-one multiclass",
        "Machine learning: learners",
        """Makes a multiclass classifier of any classifier: one copy is trained per pair of
        classes, on those two classes' rows, and a row gets the class that wins most pairs.
        It gives no probabilities: Score model appends Scored Labels alone, and Evaluate model
        reports accuracy, precision, recall, F1 and the confusion matrix but no AUC, log loss
        or curves. Tune its inner learner's hyperparameters as estimator__<name>.""",
        "learners:one_vs_one",
        inputs=(PortSpec("model", PortType.MODEL, "An untrained classifier."),),
        outputs=_UNTRAINED,
        helpers=_LEARNER,
    ),
    builtin(
        "ml.train_anomaly_detection_model",
        "Train anomaly detection model",
        ANOMALY_DETECTION,
        """Fits an untrained anomaly detector (Isolation forest, One-class SVM, PCA-based
        anomaly detection, Local outlier factor) on the feature columns, text ones one-hot
        encoded. A label column, when one says which rows are
        anomalies, is left out of the features; Evaluate model compares the flags with it, and
        the detector may be trained on the normal rows only. Score model then appends Scored
        Labels (1: an anomaly, 0: normal) and an Anomaly Score (higher: more anomalous).""",
        "anomaly:train_anomaly_detection_model",
        inputs=(
            PortSpec("model", PortType.MODEL, "An untrained anomaly detector."),
            PortSpec("dataset", PortType.DATAFRAME, "The training rows."),
        ),
        outputs=(PortSpec("model", PortType.MODEL, "The trained anomaly detector."),),
        params=(
            ParamSpec(
                "label",
                ParamType.COLUMN,
                "",
                label="Label column",
                description="Optional: the column that marks the anomalies; empty uses the "
                "column marked as label by Edit metadata, if any.",
            ),
            ParamSpec(
                "anomaly_value",
                ParamType.STRING,
                "1",
                label="Anomaly label value",
                description="The label column's value of an anomaly (e.g. 1, True, fraud).",
            ),
            _FEATURES,
            ParamSpec(
                "rows",
                ParamType.ENUM,
                "all",
                label="Train on",
                choices=("all", "normal"),
                description="normal: leave out the rows the label marks as anomalies.",
            ),
        ),
        helpers=_ML,
        timeout=TRAINING_TIMEOUT,
    ),
    builtin(
        "ml.assign_clusters",
        "Assign data to clusters",
        CLUSTERING,
        """Assigns each row to the nearest cluster of a trained clustering model, appending
        'Assignments' and one 'DistancesToClusterCenter no.<k>' column per cluster.""",
        "clustering:assign_clusters",
        inputs=(
            PortSpec("model", PortType.MODEL, "A trained clustering model."),
            PortSpec("dataset", PortType.DATAFRAME, "The rows to assign."),
        ),
        outputs=(PortSpec("dataset", PortType.DATAFRAME, "The rows with their assignment."),),
        helpers=_ML,
    ),
]

FEATURE_SELECTION = [
    builtin(
        "ml.select_features",
        "Filter based feature selection",
        "Feature selection",
        """Scores each candidate feature against the label and keeps the best: Pearson,
        Spearman or Kendall correlation (absolute), mutual information, F-score or chi-squared,
        as scikit-learn's scoring functions (SciPy's for the rank correlations) compute them.
        Outputs the table without the features that scored lowest (other columns pass
        through), every candidate's score, and the fitted selection, so Apply transformation
        drops the same columns from test or scoring data.""",
        "selection:select_features",
        inputs=(PortSpec("dataset", PortType.DATAFRAME, "The data, with the label column."),),
        outputs=(
            PortSpec("dataset", PortType.DATAFRAME, "The table with the selected features."),
            PortSpec("scores", PortType.DATAFRAME, "Feature, score and whether it was kept."),
            PortSpec(
                "transform", PortType.TRANSFORM, "The fitted selection, for Apply transformation."
            ),
        ),
        params=(
            _LABEL,
            ParamSpec(
                "columns",
                ParamType.COLUMNS,
                (),
                description="Candidate features; empty means every numeric column but the label.",
            ),
            ParamSpec(
                "method",
                ParamType.ENUM,
                "pearson",
                choices=SELECTION_METHODS,
            ),
            ParamSpec(
                "task",
                ParamType.ENUM,
                "classification",
                choices=("classification", "regression"),
                description="What the label is: F-score and mutual information score each way.",
            ),
            ParamSpec(
                "count", ParamType.INT, 10, label="Features to keep", minimum=1, maximum=100000
            ),
            _seed(),
        ),
        helpers=(*_ML, "fitted"),
    ),
]

# the learners Compare learners tries for each task, quickest first (their names less "ml."):
# every classifier and regressor of LEARNERS but the quantile regression, which predicts a
# quantile rather than the label itself
COMPARED_LEARNERS = {
    "classification": (
        "naive_bayes",
        "logistic_regression",
        "decision_tree_classifier",
        "knn_classifier",
        "boosted_tree_classifier",
        "decision_forest_classifier",
        "neural_network_classifier",
        "svm_classifier",
    ),
    "regression": (
        "linear_regression",
        "poisson_regression",
        "decision_tree_regressor",
        "knn_regressor",
        "boosted_tree_regressor",
        "decision_forest_regressor",
        "neural_network_regressor",
        "svm_regressor",
    ),
}
MAX_AUTO_CLASSES = 20  # a whole-number label with more distinct values is a regression's

COMPARE = [
    builtin(
        "ml.compare_learners",
        "Compare learners",
        "Machine learning: train",
        f"""Cross-validates every built-in learner of the task with its default hyperparameters
        on the same folds (stratified for a classification), ranks them by a metric, and
        trains the best on all rows: the model is the one Train model would make of it. A
        learner that fails is listed with its error; once the time budget is spent, the
        learners not yet tried are listed as skipped. The task follows from the label unless
        set: classification for text, booleans or whole numbers with at most
        {MAX_AUTO_CLASSES} values, regression otherwise. Learners, quickest first:
        classification {", ".join(COMPARED_LEARNERS["classification"])}; regression
        {", ".join(COMPARED_LEARNERS["regression"])}.""",
        "compare:compare_learners",
        inputs=(_DATA,),
        outputs=(
            PortSpec(
                "leaderboard",
                PortType.DATAFRAME,
                "One row per learner: rank, mean and std of the metric over the folds, fit "
                "seconds, and a note when it failed or was skipped; best first.",
            ),
            PortSpec("model", PortType.MODEL, "The best learner, trained on all rows."),
        ),
        params=(
            _LABEL,
            _FEATURES,
            ParamSpec(
                "task",
                ParamType.ENUM,
                "auto",
                choices=("auto", "classification", "regression"),
                description="auto: from the label's values.",
            ),
            ParamSpec(
                "learners",
                ParamType.STRING,
                "",
                description="Comma-separated learner names to try, e.g. logistic_regression, "
                "naive_bayes; empty tries every learner of the task.",
            ),
            ParamSpec(
                "metric",
                ParamType.ENUM,
                "auto",
                choices=("auto", *CLASSIFICATION_METRICS, *REGRESSION_METRICS),
                description="The metric to rank by; auto: accuracy for a classification, r2 "
                "for a regression.",
            ),
            ParamSpec("folds", ParamType.INT, 5, minimum=2, maximum=20),
            _seed(),
            ParamSpec(
                "time_budget",
                ParamType.INT,
                None,
                label="Time budget (seconds)",
                description="Try no further learner once this many seconds are spent; empty: "
                "try them all.",
                minimum=1,
                nullable=True,
            ),
        ),
        helpers=(*_ML, "learners", "tuning", "specs.ml"),
        timeout=TRAINING_TIMEOUT,
    ),
]

SPECS = [*FEATURE_SELECTION, *LEARNERS, *TRAINING, *COMPARE]

# Which way each metric of Evaluate model (and the cross-validation and tuning summaries) is
# better: run comparisons colour a change by it.
HIGHER_IS_BETTER = ("accuracy", "precision", "recall", "f1", "auc", "r2", "silhouette",
                    "calinski_harabasz", "ndcg")  # fmt: skip
LOWER_IS_BETTER = ("log_loss", "mae", "mse", "rmse", "relative_absolute_error",
                   "relative_squared_error", "davies_bouldin", "pinball_loss")  # fmt: skip
METRIC_DIRECTIONS = {
    **dict.fromkeys(HIGHER_IS_BETTER, "higher"),
    **dict.fromkeys(LOWER_IS_BETTER, "lower"),
}
