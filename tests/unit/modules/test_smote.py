"""SMOTE: imbalanced-learn's synthetic rows of the minority class after the rows, unchanged."""

from __future__ import annotations

import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE, SMOTENC
from sklearn import datasets

from designer.engine.context import StepError
from designer.modules._frames import LABEL_ATTR
from tests.unit.modules.harness import stored

REF = "transform.smote@1"


@pytest.fixture
def cancer() -> pd.DataFrame:
    """Breast cancer: 212 malignant (0) and 357 benign (1) rows."""
    return stored(datasets.load_breast_cancer(as_frame=True).frame)


def test_the_minority_class_doubles_with_imbalanced_learns_rows(run, cancer) -> None:
    out = run(REF, {"label": "target", "seed": 7}, dataset=cancer)["dataset"]
    assert out["target"].value_counts().to_dict() == {0: 424, 1: 357}
    assert out.iloc[: len(cancer)].equals(cancer)  # the rows first, unchanged
    features = cancer.drop(columns="target")
    X, y = SMOTE(sampling_strategy={0: 424}, k_neighbors=5, random_state=7).fit_resample(
        features, cancer["target"]
    )
    assert out.drop(columns="target").equals(X)
    assert out["target"].equals(y.rename("target"))
    assert any("added 212 synthetic rows of target = '0' (212 → 424" in m for m in run.logs)


def test_text_features_are_copied_from_neighbours_and_a_named_class_grows(run) -> None:
    iris = stored(datasets.load_iris(as_frame=True).frame)
    table = iris.assign(size=["small", "large"] * 75, target=iris["target"].map(str))
    params = {"label": "target", "minority": "2", "percentage": 50, "neighbors": 3, "seed": 1}
    out = run(REF, params, dataset=table)["dataset"]
    assert out["target"].value_counts().to_dict() == {"0": 50, "1": 50, "2": 75}
    assert set(out["size"].iloc[150:]) <= {"small", "large"}
    X, _ = SMOTENC(
        categorical_features=["size"],
        sampling_strategy={"2": 75},
        k_neighbors=3,
        random_state=1,
    ).fit_resample(table.drop(columns="target"), table["target"])
    assert out.drop(columns="target").equals(X)


def test_the_column_marked_as_label_is_used_and_stays_marked(run, cancer) -> None:
    marked = cancer.copy()
    marked.attrs[LABEL_ATTR] = "target"
    out = run(REF, {"seed": 0}, dataset=marked)["dataset"]
    assert out.attrs[LABEL_ATTR] == "target"
    assert len(out) == len(cancer) + 212


@pytest.mark.parametrize(
    ("params", "table", "message"),
    [
        ({"neighbors": 212}, "cancer", "neighbors: class '0' has 212 rows, so at most 211"),
        ({"minority": "3"}, "cancer", "minority: 'target' has no class '3'; it has '0', '1'"),
        ({}, "one_class", "label: 'target' has one class"),
        ({}, "continuous", "label: 'target' holds continuous values"),
        ({}, "holes", "dataset: 'mean radius' have missing values"),
        ({"label": "nope"}, "cancer", "label: column 'nope' not found"),
    ],
)
def test_what_cannot_be_oversampled_is_named(run, cancer, params, table, message) -> None:
    tables = {
        "cancer": cancer,
        "one_class": cancer.assign(target=1),
        "continuous": cancer.assign(target=cancer["mean radius"]),
        "holes": cancer.assign(**{"mean radius": cancer["mean radius"].where(cancer.index > 3)}),
    }
    with pytest.raises(StepError, match=message):
        run(REF, {"label": "target", **params}, dataset=tables[table])
