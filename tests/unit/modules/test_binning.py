"""Group data into bins: KBinsDiscretizer's edges and numbers, custom edges, replayed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import datasets
from sklearn.preprocessing import KBinsDiscretizer

from designer.engine.context import StepError
from tests.unit.modules.harness import stored

REF = "transform.group_into_bins@1"


@pytest.fixture
def diabetes() -> pd.DataFrame:
    return stored(datasets.load_diabetes(as_frame=True, scaled=False).frame)


def test_quantile_bins_are_scikit_learns_and_are_listed(run, diabetes) -> None:
    out = run(REF, {"columns": ["bmi", "bp"], "bins": 4}, dataset=diabetes)
    table = out["dataset"]
    assert list(table.columns) == [*diabetes.columns, "bmi_bin", "bp_bin"]
    assert table[list(diabetes.columns)].equals(diabetes)
    for column in ("bmi", "bp"):
        reference = KBinsDiscretizer(
            n_bins=4,
            encode="ordinal",
            strategy="quantile",
            quantile_method="averaged_inverted_cdf",
            subsample=None,
        ).fit(diabetes[[column]].to_numpy())
        expected = reference.transform(diabetes[[column]].to_numpy()).ravel().astype("int64")
        assert table[f"{column}_bin"].tolist() == expected.tolist()
        listed = out["bins"][out["bins"]["Column"] == column]
        assert listed["Bin"].tolist() == [0, 1, 2, 3]
        edges = reference.bin_edges_[0]
        assert listed["From"].tolist() == edges[:-1].tolist()
        assert listed["To"].tolist() == edges[1:].tolist()
        assert listed["Rows"].tolist() == np.bincount(expected).tolist()


def test_equal_width_bins_replace_and_replay_beyond_the_edges(run, diabetes) -> None:
    params = {"columns": ["age"], "method": "equal_width", "bins": 3, "mode": "replace"}
    out = run(REF, params, dataset=diabetes)
    low, high = diabetes["age"].min(), diabetes["age"].max()
    width = (high - low) / 3
    expected = np.minimum(((diabetes["age"] - low) // width).astype("int64"), 2)
    assert out["dataset"]["age"].tolist() == expected.tolist()
    new = pd.DataFrame({"age": [low - 50, high + 50, low + width * 1.5, None]})
    replayed = run("transform.apply_transform@1", transform=out["transform"], dataset=new)
    assert replayed["dataset"]["age"].tolist() == [0, 2, 1, pd.NA]


def test_custom_edges_make_one_more_bin_than_edges(run) -> None:
    people = pd.DataFrame({"age": [5, 18, 29.5, 30, 64, 65, 90, None], "id": range(8)})
    out = run(REF, {"columns": ["age"], "method": "custom", "edges": "18, 30, 65"}, dataset=people)
    assert out["dataset"]["age_bin"].tolist() == [0, 1, 1, 2, 2, 3, 3, pd.NA]
    bins = out["bins"]
    assert bins["From"].tolist() == [-math.inf, 18, 30, 65]
    assert bins["To"].tolist() == [18, 30, 65, math.inf]
    assert bins["Rows"].tolist() == [1, 2, 2, 2]  # the missing age is in no bin


def test_ties_that_merge_quantile_bins_are_reported(run) -> None:
    skewed = pd.DataFrame({"x": [0.0] * 60 + list(range(1, 41))})
    out = run(REF, {"bins": 4}, dataset=skewed)
    assert out["bins"]["Bin"].tolist() == [0, 1]
    assert any("x: 2 bins, not 4" in line for line in run.logs)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"columns": ["sex", "name"]}, "columns: expected numeric columns"),
        (
            {"columns": ["bmi"], "method": "custom", "edges": "30, 18"},
            "edges: '30, 18' must increase",
        ),
        (
            {"columns": ["bmi"], "method": "custom", "edges": "ten"},
            "edges: 'ten' is not a comma-separated list",
        ),
        (
            {"columns": ["bmi"], "method": "custom", "edges": ""},
            "edges: give one or more finite numbers",
        ),
        ({"columns": ["age"]}, "'age_bin' already exist"),
        ({"columns": ["bmi"], "edges": "20, 30"}, "edges: custom edges are used by the custom"),
        (
            {"columns": ["bmi"], "method": "custom", "edges": ",".join(map(str, range(1000)))},
            "edges: at most 999 edges, got 1000",
        ),
        ({"columns": ["empty"]}, "dataset: 'empty' have no values to group into bins"),
    ],
)
def test_what_cannot_be_binned_is_named(run, diabetes, params, message) -> None:
    table = diabetes.assign(name="x", age_bin=1, empty=np.nan)
    with pytest.raises(StepError, match=message):
        run(REF, params, dataset=table)
