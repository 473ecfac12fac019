"""Statistical functions: summary statistics and correlations as pandas computes them."""

from __future__ import annotations

import pandas as pd
import pytest

from designer.engine.context import StepError
from designer.modules.data import load_sample


@pytest.fixture
def loans() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "income": [52.0, 61.5, None, 48.0, 75.0, 61.5],
            "city": ["Lyon", "Oslo", "Lyon", None, "Lyon", "Rome"],
            "approved": [True, False, True, True, False, True],
        }
    )


def test_each_column_is_summarized_over_its_values_present(run, loans) -> None:
    statistics = run("stats.summarize@1", {}, dataset=loans)["statistics"]
    rows = statistics.set_index("Feature")
    assert list(statistics["Feature"]) == ["income", "city", "approved"]
    income = loans["income"].dropna()
    assert rows.loc["income", ["Count", "Missing", "Unique"]].tolist() == [5, 1, 4]
    assert rows.loc["income", "Mode"] == "61.5"
    expected = [income.mean(), income.std(), 48.0, income.quantile(0.25), income.median()]
    expected += [income.quantile(0.75), 75.0, income.skew(), income.kurt()]
    assert (
        rows.loc["income", ["Mean", "Std", "Min", "25%", "Median", "75%", "Max"]].tolist()
        == (expected[:7])
    )
    assert rows.loc["income", ["Skewness", "Kurtosis"]].tolist() == expected[7:]
    assert rows.loc["city", ["Type", "Count", "Missing", "Unique", "Mode"]].tolist() == [
        "str",
        5,
        1,
        3,
        "Lyon",
    ]
    assert rows.loc["city"][["Mean", "Max"]].isna().all()  # no numbers for text
    assert rows.loc["approved", "Mode"] == "True"


def test_an_empty_table_lists_its_columns_with_no_values(run, loans) -> None:
    statistics = run("stats.summarize@1", {}, dataset=loans.iloc[:0])["statistics"]
    assert statistics["Count"].tolist() == [0, 0, 0]
    assert statistics["Mode"].isna().all()


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_correlations_are_pandas_matrix(run, method) -> None:
    wine = load_sample("wine")
    out = run("stats.correlation@1", {"method": method}, dataset=wine)["correlations"]
    numbers = wine.drop(columns="target")  # the class names are text: left out
    expected = numbers.astype("float64").corr(method=method)
    assert out["Feature"].tolist() == list(numbers.columns)
    assert out.drop(columns="Feature").to_numpy().tolist() == expected.to_numpy().tolist()


def test_chosen_columns_are_correlated_and_text_is_refused(run, loans) -> None:
    out = run("stats.correlation@1", {"columns": ["income", "approved"]}, dataset=loans)
    assert list(out["correlations"].columns) == ["Feature", "income", "approved"]
    with pytest.raises(StepError, match="columns: expected numeric columns, but 'city'"):
        run("stats.correlation@1", {"columns": ["income", "city"]}, dataset=loans)
    with pytest.raises(StepError, match="columns: a correlation needs at least 2 numeric"):
        run("stats.correlation@1", {}, dataset=loans)  # booleans count only when named
