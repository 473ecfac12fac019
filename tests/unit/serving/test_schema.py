"""Request rows against a scorer's input schema: every bad column named, nothing guessed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from designer.serving.schema import InputError, RowSchema, check_rows, request_rows, to_frame

TRAINING = pd.DataFrame(
    {
        "age": [30, 40],
        "income": [1.5, np.nan],
        "city": ["Oslo", "Lyon"],
        "member": [True, False],
    }
)
SCHEMA = RowSchema.from_frame(TRAINING)
ROW = {"age": 35, "income": 2.5, "city": "Rome", "member": True}


def problems(rows: list[dict[str, object]], extra: str = "ignore") -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        check_rows(rows, SCHEMA, extra)  # type: ignore[arg-type]
    assert caught.value.status == 422
    return {i["column"]: i["code"] for i in caught.value.issues}


def test_schema_comes_from_the_training_rows() -> None:
    assert SCHEMA.to_dict() == {
        "columns": [
            {"name": "age", "type": "integer", "nullable": False},
            {"name": "income", "type": "number", "nullable": True},
            {"name": "city", "type": "string", "nullable": False},
            {"name": "member", "type": "boolean", "nullable": False},
        ]
    }


def test_good_rows_become_a_table_with_the_training_dtypes() -> None:
    rows = [ROW, {**ROW, "income": None, "age": 41.0, "extra": "ignored"}]
    frame = to_frame(check_rows(rows, SCHEMA, "ignore"), SCHEMA)
    assert list(frame.columns) == list(TRAINING.columns)
    assert frame.dtypes.to_dict() == TRAINING.dtypes.to_dict()
    assert math.isnan(frame["income"][1]) and frame["age"].tolist() == [35, 41]


def test_every_bad_column_is_named_at_once() -> None:
    rows = [
        {"income": "lots", "city": None, "member": 1},
        {"age": 3.5, "income": float("nan"), "city": "Rome", "member": True},
    ]
    assert problems(rows) == {"age": "missing", "income": "type", "city": "null", "member": "type"}
    assert problems([{**ROW, "age": True}]) == {"age": "type"}
    assert problems([{**ROW, "age": float("nan")}]) == {"age": "null"}


def test_extra_columns_are_ignored_or_refused_as_set() -> None:
    assert check_rows([{**ROW, "zip": 1}], SCHEMA, "ignore")["age"] == [35]
    assert problems([{**ROW, "zip": 1}], "refuse") == {"zip": "unknown_column"}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"rows": []}, 400, "no_rows"),
        ({"row": ROW}, 400, "invalid_body"),
        ({"rows": [ROW], "version": 2}, 400, "invalid_body"),
        ("text", 400, "invalid_body"),
        ([ROW, 3], 400, "invalid_body"),
        ([ROW] * 11, 413, "too_many_rows"),
    ],
)
def test_request_bodies_that_are_not_rows(body: object, status: int, code: str) -> None:
    with pytest.raises(InputError) as caught:
        request_rows(body, max_rows=10)
    assert (caught.value.status, caught.value.code) == (status, code)
