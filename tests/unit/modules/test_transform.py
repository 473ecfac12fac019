"""Transform modules: behaviour and the errors a user sees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from designer.engine.context import StepError
from designer.modules._frames import LABEL_ATTR


@pytest.fixture
def people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["ann", "bob", "cy", "dee", "bob"],
            "age": [31, 45, None, 27, 45],
            "income": [50.0, 80.0, 65.0, None, 80.0],
            "city": ["Oslo", "Rome", "Oslo", None, "Rome"],
            "member": [True, False, True, True, False],
        }
    )


def test_select_by_name_keeps_given_order(run, people) -> None:
    out = run("transform.select_columns@1", {"columns": ["income", "name"]}, dataset=people)[
        "dataset"
    ]
    assert list(out.columns) == ["income", "name"]


def test_select_by_type_and_pattern(run, people) -> None:
    numeric = run("transform.select_columns@1", {"types": "numeric"}, dataset=people)["dataset"]
    assert list(numeric.columns) == ["age", "income"]
    pattern = run("transform.select_columns@1", {"pattern": "^(c|m)"}, dataset=people)["dataset"]
    assert list(pattern.columns) == ["city", "member"]
    excluded = run(
        "transform.select_columns@1",
        {"columns": ["name"], "types": "boolean", "mode": "exclude"},
        dataset=people,
    )["dataset"]
    assert list(excluded.columns) == ["age", "income", "city"]


def test_select_errors_name_the_param(run, people) -> None:
    with pytest.raises(
        StepError, match="columns: column 'salary' not found; the table has: name, age"
    ) as err:
        run("transform.select_columns@1", {"columns": ["salary"]}, dataset=people)
    assert err.value.param == "columns"
    with pytest.raises(StepError, match="pattern: invalid regular expression"):
        run("transform.select_columns@1", {"pattern": "("}, dataset=people)
    with pytest.raises(StepError, match="choose columns"):
        run("transform.select_columns@1", dataset=people)


def test_edit_metadata_rename_cast_and_label(run, people) -> None:
    out = run(
        "transform.edit_metadata@1",
        {"columns": ["age"], "new_names": "years", "cast": "integer", "role": "label"},
        dataset=people,
    )["dataset"]
    assert "years" in out.columns and str(out["years"].dtype) == "Int64"
    assert out.attrs["designer_label"] == "years"


def test_edit_metadata_bad_cast_names_column(run, people) -> None:
    with pytest.raises(StepError, match="cast: cannot convert column 'name' to float") as err:
        run("transform.edit_metadata@1", {"columns": ["name"], "cast": "float"}, dataset=people)
    assert err.value.param == "cast"


def test_marked_label_is_used_by_train_model(run) -> None:
    df = pd.DataFrame({"x": np.arange(20.0), "y": np.arange(20.0) * 2 + 1})
    marked = run("transform.edit_metadata@1", {"columns": ["y"], "role": "label"}, dataset=df)[
        "dataset"
    ]
    learner = run("ml.linear_regression@1")["model"]
    model = run("ml.train_model@1", model=learner, dataset=marked)["model"]
    assert model.label == "y" and model.features == ["x"]


def test_clean_missing_mean_reports_and_replays(run, people) -> None:
    out = run(
        "transform.clean_missing@1",
        {"columns": ["age", "income"], "strategy": "mean"},
        dataset=people,
    )
    assert out["dataset"]["age"].tolist() == [31, 45, 37.0, 27, 45]
    report = out["report"].set_index("column")
    assert report.loc["age", "missing"] == 1 and report.loc["age", "action"] == "filled with mean"
    test = pd.DataFrame({"age": [None], "income": [None]})
    replayed = run("transform.apply_transform@1", transform=out["transform"], dataset=test)[
        "dataset"
    ]
    assert replayed.iloc[0].tolist() == [37.0, 68.75]


def test_clean_missing_remove_rows_and_columns(run, people) -> None:
    rows = run("transform.clean_missing@1", dataset=people)
    assert rows["dataset"]["name"].tolist() == ["ann", "bob", "bob"] and set(
        rows["report"]["column"]
    ) == {"age", "income", "city"}
    cols = run("transform.clean_missing@1", {"strategy": "remove_columns"}, dataset=people)[
        "dataset"
    ]
    assert list(cols.columns) == ["name", "member"]


def test_clean_missing_errors(run, people) -> None:
    with pytest.raises(StepError, match="strategy: expected numeric columns, but 'city'"):
        run(
            "transform.clean_missing@1", {"columns": ["city"], "strategy": "median"}, dataset=people
        )
    with pytest.raises(
        StepError, match="constant: 'n/a' is not a number, but column 'age' is numeric"
    ):
        run(
            "transform.clean_missing@1",
            {"columns": ["age"], "strategy": "constant", "constant": "n/a"},
            dataset=people,
        )
    with pytest.raises(StepError, match="input 'dataset' has no rows"):
        run("transform.clean_missing@1", dataset=people.iloc[0:0])


@pytest.mark.parametrize(
    ("method", "scaler"),
    [("zscore", StandardScaler), ("minmax", MinMaxScaler), ("robust", RobustScaler)],
)
def test_normalize_matches_scikit_learn_and_applies_to_test(run, method, scaler) -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame(rng.normal(5, 3, (50, 3)), columns=["a", "b", "c"]).assign(label=1)
    test = pd.DataFrame(rng.normal(5, 3, (10, 3)), columns=["a", "b", "c"]).assign(label=0)
    out = run("transform.normalize@1", {"method": method, "exclude": ["label"]}, dataset=train)
    fitted = scaler().fit(train[["a", "b", "c"]])
    np.testing.assert_allclose(
        out["dataset"][["a", "b", "c"]], fitted.transform(train[["a", "b", "c"]])
    )
    assert out["dataset"]["label"].tolist() == [1] * 50
    applied = run("transform.apply_transform@1", transform=out["transform"], dataset=test)[
        "dataset"
    ]
    np.testing.assert_allclose(applied[["a", "b", "c"]], fitted.transform(test[["a", "b", "c"]]))


def test_normalize_rejects_text_columns(run, people) -> None:
    with pytest.raises(StepError, match="columns: expected numeric columns, but 'name' \\(str\\)"):
        run("transform.normalize@1", {"columns": ["name"]}, dataset=people)


def test_apply_transform_names_missing_columns(run, people) -> None:
    fitted = run("transform.normalize@1", {"columns": ["age"]}, dataset=people)["transform"]
    with pytest.raises(StepError, match="fitted on columns 'age'"):
        run("transform.apply_transform@1", transform=fitted, dataset=pd.DataFrame({"x": [1]}))


def test_remove_duplicates(run, people) -> None:
    assert len(run("transform.remove_duplicates@1", dataset=people)["dataset"]) == 4
    last = run(
        "transform.remove_duplicates@1", {"columns": ["city"], "keep": "last"}, dataset=people
    )["dataset"]
    assert last["name"].tolist() == ["cy", "dee", "bob"]


def test_filter_rows(run, people) -> None:
    out = run(
        "transform.filter_rows@1", {"expression": "age > 30 and city == 'Rome'"}, dataset=people
    )["dataset"]
    assert out["name"].tolist() == ["bob", "bob"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("salary > 3", "name 'salary' is not defined in `salary > 3`"),
        ("age >", "invalid syntax in `age >`"),
        ("age + 1", "must be a condition"),
        ("", "enter an expression"),
    ],
)
def test_filter_rows_bad_expression(run, people, expression, message) -> None:
    with pytest.raises(StepError, match=message) as err:
        run("transform.filter_rows@1", {"expression": expression}, dataset=people)
    assert err.value.param == "expression"


def test_join_kinds(run) -> None:
    left = pd.DataFrame({"id": [1, 2, 3], "v": ["a", "b", "c"]})
    right = pd.DataFrame({"key": [2, 3, 4], "v": ["x", "y", "z"]})
    params = {"keys": ["id"], "right_keys": ["key"]}
    inner = run("transform.join@1", params, left=left, right=right)["dataset"]
    assert inner[["id", "v_left", "v_right"]].values.tolist() == [[2, "b", "x"], [3, "c", "y"]]
    full = run("transform.join@1", {**params, "how": "full"}, left=left, right=right)["dataset"]
    assert len(full) == 4
    with pytest.raises(StepError, match="keys: column 'nope' not found"):
        run("transform.join@1", {"keys": ["nope"]}, left=left, right=right)


def test_add_rows(run) -> None:
    top, bottom = pd.DataFrame({"a": [1], "b": [2]}), pd.DataFrame({"b": [3], "a": [4]})
    assert run("transform.add_rows@1", top=top, bottom=bottom)["dataset"].values.tolist() == [
        [1, 2],
        [4, 3],
    ]
    other = pd.DataFrame({"a": [5], "c": [6]})
    with pytest.raises(StepError, match="only in top: \\['b'\\]; only in bottom: \\['c'\\]"):
        run("transform.add_rows@1", top=top, bottom=other)
    union = run("transform.add_rows@1", {"columns_mismatch": "union"}, top=top, bottom=other)[
        "dataset"
    ]
    assert list(union.columns) == ["a", "b", "c"] and union["c"].isna().sum() == 1


def test_add_columns_pairs_rows_by_position_and_keeps_types(run) -> None:
    left = pd.DataFrame(
        {
            "city": pd.Categorical(["Oslo", "Rome"]),
            "count": pd.array([1, None], dtype="Int64"),
        }
    )
    left.attrs[LABEL_ATTR] = "count"
    when = pd.to_datetime(["2024-01-02", "2024-03-04"])
    right = pd.DataFrame({"when": when, "score": [0.5, 0.25]}, index=[11, 10])
    out = run("transform.add_columns@1", left=left, right=right)["dataset"]
    assert list(out.columns) == ["city", "count", "when", "score"]
    assert out["score"].tolist() == [0.5, 0.25]  # the first row beside the first, not index 10
    assert out["when"].tolist() == list(when)
    assert out.dtypes.tolist() == [*left.dtypes, *right.dtypes]
    assert out["count"].isna().tolist() == [False, True]
    assert out.attrs[LABEL_ATTR] == "count"  # still marked as the label
    empty = run("transform.add_columns@1", left=left.head(0), right=right.head(0))["dataset"]
    assert list(empty.columns) == ["city", "count", "when", "score"] and empty.empty


def test_add_columns_renames_the_right_columns_the_left_has(run) -> None:
    left = pd.DataFrame({"id": [1, 2], "v": ["a", "b"], "v_right": ["c", "d"]})
    right = pd.DataFrame({"v": ["x", "y"], "id": [7, 8], "w": [0, 1]})
    out = run("transform.add_columns@1", left=left, right=right)["dataset"]
    assert list(out.columns) == ["id", "v", "v_right", "v_right2", "id_right", "w"]
    assert out[["v_right2", "id_right"]].values.tolist() == [["x", 7], ["y", 8]]
    assert run.logs == [
        "renamed right columns also in the left table: 'v' to 'v_right2', 'id' to 'id_right'"
    ]


def test_add_columns_needs_as_many_rows_on_both_sides(run) -> None:
    left, right = pd.DataFrame({"a": range(5)}), pd.DataFrame({"b": range(3)})
    with pytest.raises(StepError, match=r"right: has 3 rows, the left table 5; .*Join data") as err:
        run("transform.add_columns@1", left=left, right=right)
    assert err.value.port == "right"


def test_one_hot_and_replay_with_unknown_category(run, people) -> None:
    out = run("transform.one_hot@1", {"columns": ["city"]}, dataset=people)
    df = out["dataset"]
    assert [c for c in df.columns if c.startswith("city")] == ["city-Oslo", "city-Rome"]
    assert df["city-Oslo"].tolist() == [1, 0, 1, 0, 0]
    test = pd.DataFrame({"city": ["Rome", "Paris"]})
    replayed = run("transform.apply_transform@1", transform=out["transform"], dataset=test)[
        "dataset"
    ]
    assert replayed.values.tolist() == [[0, 1], [0, 0]]


def test_one_hot_defaults_to_text_columns(run, people) -> None:
    df = run("transform.one_hot@1", {"exclude": ["name"]}, dataset=people)["dataset"]
    assert {"city-Oslo", "member-True", "member-False", "name"} <= set(df.columns)
