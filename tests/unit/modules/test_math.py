"""Apply math operation: numpy's functions on numeric columns, domains checked, in real time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from designer.engine.context import StepError
from designer.modules import math_ops, schemas
from designer.modules.specs.transform import MATH_OPERATIONS

REF = "transform.math@1"
LOANS = pd.DataFrame(
    {
        "income": [52000.0, 61500.0, None, 48000.0],
        "years": [3, 0, 12, 7],
        "approved": [1, 0, 1, 1],
        "city": ["Lyon", "Oslo", "Lyon", "Rome"],
    }
)


def test_log1p_appends_a_column_and_missing_stays_missing(run) -> None:
    out = run(REF, {"columns": ["income", "years"], "operation": "log1p"}, dataset=LOANS)
    table = out["dataset"]
    assert list(table.columns) == [*LOANS.columns, "income_log1p", "years_log1p"]
    assert table[list(LOANS.columns)].equals(LOANS)
    assert table["years_log1p"].tolist() == np.log1p(LOANS["years"].astype(float)).tolist()
    assert np.isnan(table.loc[2, "income_log1p"])


def test_round_replaces_half_to_even(run) -> None:
    halves = pd.DataFrame({"x": [0.5, 1.5, 2.5, -0.5], "y": [1, 2, 3, 4]})
    out = run(REF, {"operation": "round", "mode": "replace", "exclude": ["y"]}, dataset=halves)
    assert out["dataset"]["x"].tolist() == [0.0, 2.0, 2.0, -0.0]
    assert out["dataset"]["y"].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("operation", MATH_OPERATIONS)
def test_every_operation_is_numpys(run, operation) -> None:
    values = pd.DataFrame({"x": [0.25, 1.0, 2.5, 9.0]})
    out = run(REF, {"operation": operation, "mode": "replace"}, dataset=values)
    function = math_ops.OPERATIONS[operation][0]
    assert out["dataset"]["x"].tolist() == function(values["x"].to_numpy()).tolist()


def test_the_operations_offered_are_the_ones_implemented() -> None:
    assert tuple(math_ops.OPERATIONS) == MATH_OPERATIONS


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"operation": "log", "columns": ["years"]}, "operation: log takes positive numbers"),
        ({"operation": "sqrt", "columns": ["neg"]}, "'neg' has 2 values that are not"),
        ({"operation": "reciprocal", "columns": ["years"]}, "numbers other than 0"),
        ({"operation": "exp", "columns": ["income"]}, "exp takes numbers below 709.78"),
        ({"columns": ["city"]}, "columns: expected numeric columns"),
        ({"columns": ["income"], "operation": "abs"}, "'income_abs' already exist"),
    ],
)
def test_what_cannot_be_computed_is_named(run, params, message) -> None:
    table = LOANS.assign(neg=[-1.0, 2.0, -3.0, 4.0], income_abs=1.0)
    with pytest.raises(StepError, match=message):
        run(REF, params, dataset=table)


def test_the_columns_are_known_before_a_run() -> None:
    table = [{"name": "income", "dtype": "float64"}, {"name": "city", "dtype": "str"}]
    known = schemas.infer(REF.split("@")[0], {"operation": "sqrt"}, {"dataset": table}, dict.get)
    assert known == {"dataset": [*table, {"name": "income_sqrt", "dtype": "float64"}]}
