"""Principal component analysis: scikit-learn's components, the variance table, replayed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import datasets
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from designer.engine.context import StepError
from tests.unit.modules.harness import stored

REF = "transform.pca@1"


@pytest.fixture
def wine() -> pd.DataFrame:
    return stored(datasets.load_wine(as_frame=True).frame)


def test_the_components_are_scikit_learns_after_the_columns_left_alone(run, wine) -> None:
    features = wine.drop(columns="target")
    out = run(REF, {"exclude": ["target"], "count": 3}, dataset=wine)
    reference = make_pipeline(StandardScaler(), PCA(n_components=3, random_state=0))
    expected = reference.fit(features.to_numpy()).transform(features.to_numpy())
    table = out["dataset"]
    assert list(table.columns) == ["target", "PC1", "PC2", "PC3"]
    assert table["target"].equals(wine["target"])
    assert np.array_equal(table[["PC1", "PC2", "PC3"]].to_numpy(), expected)
    pca = reference[-1]
    variance = out["variance"]
    assert variance["Component"].tolist() == ["PC1", "PC2", "PC3"]
    assert variance["Explained variance"].tolist() == pca.explained_variance_.tolist()
    assert variance["Variance ratio"].tolist() == pca.explained_variance_ratio_.tolist()
    assert (
        variance["Cumulative ratio"].tolist() == np.cumsum(pca.explained_variance_ratio_).tolist()
    )
    weights = out["weights"]
    assert weights["Column"].tolist() == list(features.columns)
    assert np.array_equal(weights[["PC1", "PC2", "PC3"]].to_numpy(), pca.components_.T)
    assert any("3 components of 13 columns explain 66.5% of their variance" in m for m in run.logs)


def test_without_standardizing_the_raw_columns_are_decomposed(run, wine) -> None:
    chosen = ["alcohol", "magnesium", "proline"]
    out = run(REF, {"columns": chosen, "count": 2, "standardize": False}, dataset=wine)
    values = wine[chosen].to_numpy()
    expected = PCA(n_components=2, random_state=0).fit(values).transform(values)
    assert np.array_equal(out["dataset"][["PC1", "PC2"]].to_numpy(), expected)
    assert list(out["dataset"].columns) == [
        *(c for c in wine.columns if c not in chosen),
        "PC1",
        "PC2",
    ]


def test_the_projection_is_replayed_on_other_rows_as_fitted(run, wine) -> None:
    train, test = stored(wine.iloc[::2]), stored(wine.iloc[1::2].drop(columns="target"))
    out = run(REF, {"exclude": ["target"], "count": 4}, dataset=train)
    replayed = run("transform.apply_transform@1", transform=out["transform"], dataset=test)
    features = train.drop(columns="target").to_numpy()
    reference = make_pipeline(StandardScaler(), PCA(n_components=4, random_state=0)).fit(features)
    assert list(replayed["dataset"].columns) == ["PC1", "PC2", "PC3", "PC4"]
    assert np.array_equal(replayed["dataset"].to_numpy(), reference.transform(test.to_numpy()))
    # the replay of the training rows is the step's own output, to the bit
    again = run("transform.apply_transform@1", transform=out["transform"], dataset=train)
    assert again["dataset"].equals(out["dataset"])


@pytest.mark.parametrize(
    ("params", "table", "message"),
    [
        ({"columns": ["alcohol"]}, "wine", "at least 2 numeric columns, got 1"),
        ({"count": 15}, "wine", "count: at most 14 components from 14 columns and 178 rows"),
        ({"columns": ["name", "alcohol"]}, "named", "columns: expected numeric columns"),
        ({}, "holes", "dataset: 'alcohol' have missing values"),
        ({"count": 2}, "clash", "'PC2' would be both a column kept and a component"),
        ({"exclude": ["nope"]}, "wine", "exclude: column 'nope' not found"),
    ],
)
def test_what_cannot_be_decomposed_is_named(run, wine, params, table, message) -> None:
    tables = {
        "wine": wine,
        "named": wine.assign(name="x"),
        "holes": wine.assign(alcohol=wine["alcohol"].where(wine.index > 3)),
        "clash": wine.assign(PC2="kept"),
    }
    with pytest.raises(StepError, match=message):
        run(REF, params, dataset=tables[table])


def test_a_replay_names_what_the_new_table_lacks(run, wine) -> None:
    out = run(REF, {"exclude": ["target"]}, dataset=wine)
    with pytest.raises(StepError, match="fitted on columns 'alcohol'"):
        run(
            "transform.apply_transform@1",
            transform=out["transform"],
            dataset=wine.drop(columns="alcohol"),
        )
