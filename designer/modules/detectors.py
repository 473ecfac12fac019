"""PCA-based anomaly detection as a scikit-learn outlier detector (scikit-learn has none)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin


class PcaDetector(OutlierMixin, BaseEstimator):  # type: ignore[misc]
    """A row's anomaly is its squared distance from its projection on the principal components
    of the (standardized) training rows; the `contamination` share of the training rows lie
    beyond the threshold. score_samples, decision_function, predict and offset_ as in
    scikit-learn's IsolationForest."""

    def __init__(
        self, n_components: float = 0.9, standardize: bool = True, contamination: float = 0.05
    ):
        self.n_components = n_components
        self.standardize = standardize
        self.contamination = contamination

    def fit(self, X: Any, y: Any = None) -> PcaDetector:
        """Fit the scaler and the PCA, then the threshold: the scores' contamination quantile."""
        from sklearn.decomposition import PCA
        from sklearn.preprocessing import StandardScaler

        self.scaler_ = StandardScaler(with_std=self.standardize).fit(X)
        self.pca_ = PCA(n_components=self.n_components, random_state=0)
        self.pca_.fit(self.scaler_.transform(X))
        self.offset_ = float(np.percentile(self.score_samples(X), 100.0 * self.contamination))
        return self

    def score_samples(self, X: Any) -> np.ndarray:
        """Minus each row's squared reconstruction error (lower: more abnormal)."""
        rows = self.scaler_.transform(X)
        back = self.pca_.inverse_transform(self.pca_.transform(rows))
        scores: np.ndarray = -np.sum((rows - back) ** 2, axis=1)
        return scores

    def decision_function(self, X: Any) -> np.ndarray:
        """The scores less the threshold: negative for an anomaly."""
        return self.score_samples(X) - self.offset_

    def predict(self, X: Any) -> np.ndarray:
        """-1 for an anomaly, 1 for a normal row."""
        return np.where(self.decision_function(X) < 0, -1, 1)
