"""Clip values: percentile or constant bounds, the bound or missing beyond them, replayed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from designer.engine.context import StepError
from designer.modules import schemas

REF = "transform.clip@1"
INCOMES = pd.DataFrame(
    {
        "income": [float(v) for v in range(1, 101)] + [None, 10_000.0],
        "age": list(range(20, 122)),
        "target": [0, 1] * 51,
    }
)


def test_percentile_bounds_are_pandas_quantiles_and_listed(run) -> None:
    out = run(REF, {"columns": ["income"]}, dataset=INCOMES)
    income = INCOMES["income"]
    low, high = income.quantile(0.01), income.quantile(0.99)
    expected = income.clip(low, high)
    assert out["dataset"]["income"].equals(expected)  # the missing value stays missing
    assert out["dataset"][["age", "target"]].equals(INCOMES[["age", "target"]])
    bounds = out["bounds"].iloc[0].to_dict()
    assert bounds == {"Column": "income", "Lower": low, "Upper": high, "Below": 1, "Above": 1}


def test_constant_bounds_on_one_side_and_values_made_missing(run) -> None:
    params = {"method": "constants", "lower": None, "upper": 100.0, "replace": "missing"}
    out = run(REF, {**params, "exclude": ["target"]}, dataset=INCOMES)
    table = out["dataset"]
    assert table["income"].isna().sum() == 2 and table["income"].max() == 100.0
    assert table["age"].isna().sum() == 21  # 101 to 121
    assert out["bounds"]["Below"].tolist() == [0, 0]


def test_the_bounds_are_replayed_on_other_rows(run) -> None:
    out = run(REF, {"columns": ["income"], "lower": 10, "upper": 90}, dataset=INCOMES)
    low, high = out["bounds"].loc[0, ["Lower", "Upper"]]
    new = pd.DataFrame({"income": [-5.0, 50.0, 1e9, np.nan], "age": [1, 2, 3, 4]})
    replayed = run("transform.apply_transform@1", transform=out["transform"], dataset=new)
    got = replayed["dataset"]["income"].tolist()
    assert got[:3] == [low, 50.0, high] and np.isnan(got[3])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lower": None, "upper": None}, "lower: give a lower bound, an upper bound or both"),
        ({"lower": 120.0}, "lower: a percentile lies between 0 and 100, not 120"),
        ({"method": "constants", "lower": 5.0, "upper": 1.0}, "lower: 5 is above the upper"),
        ({"columns": ["empty"]}, "dataset: 'empty' have no values to clip"),
    ],
)
def test_what_cannot_be_clipped_is_named(run, params, message) -> None:
    with pytest.raises(StepError, match=message):
        run(REF, {"columns": ["income"], **params}, dataset=INCOMES.assign(empty=np.nan))


def test_the_columns_are_known_before_a_run() -> None:
    table = [{"name": "income", "dtype": "int64"}, {"name": "city", "dtype": "str"}]
    known = schemas.infer("transform.clip", {}, {"dataset": table}, dict.get)
    assert known["dataset"] == [{"name": "income", "dtype": "float64"}, table[1]]
    assert [c["name"] for c in known["bounds"]] == ["Column", "Lower", "Upper", "Below", "Above"]
