"""Tables with list and record columns (a Parquet upload from Spark or BigQuery, a script's
column of lists): modules that can use them do, the others say which columns and what to do.

Before, Summarize data, Remove duplicate rows, One-hot encoding, SMOTE, SQL and every trainer
failed on them with Python's own errors ("unhashable type: 'numpy.ndarray'", "Execution
failed", "Encoders require their input argument must be uniformly strings or numbers")."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from designer.engine.context import StepError
from designer.modules._frames import nested_columns


@pytest.fixture
def events() -> pd.DataFrame:
    """Rows 0 and 2 repeat each other; `tags` and `who` are a list and a record column."""
    return pd.DataFrame(
        {
            "n": [1.0, 2.0, 1.0, 4.0, 5.0, 6.0],
            "kind": ["a", "b", "a", "b", "a", "b"],
            "tags": [[1, 2], [3], [1, 2], None, [5], [6, 7]],
            "who": [{"id": 1}, {"id": 2}, {"id": 1}, {"id": 4}, None, {"id": 6}],
        }
    )


def test_nested_columns_are_told_apart_from_text(run, events) -> None:
    stored = run("transform.select_columns@1", {"pattern": "."}, dataset=events)["dataset"]
    assert nested_columns(stored) == ["tags", "who"]  # as read back from Parquet: arrays, dicts


def test_summarize_counts_lists_and_records_by_their_value(run, events) -> None:
    rows = run("stats.summarize@1", dataset=events)["statistics"].set_index("Feature")
    assert rows.loc["tags", ["Count", "Missing", "Unique"]].tolist() == [5, 1, 4]
    assert json.loads(rows.loc["tags", "Mode"]) == [1, 2]
    assert rows.loc["who", ["Count", "Missing", "Unique"]].tolist() == [5, 1, 4]
    assert pd.isna(rows.loc["tags", "Mean"])


def test_remove_duplicates_compares_lists_and_records_by_value(run, events) -> None:
    whole = run("transform.remove_duplicates@1", dataset=events)["dataset"]
    assert whole["n"].tolist() == [1.0, 2.0, 4.0, 5.0, 6.0]
    assert [list(t) if t is not None else None for t in whole["tags"]][:2] == [[1, 2], [3]]
    by_tags = run("transform.remove_duplicates@1", {"columns": ["tags"]}, dataset=events)
    assert by_tags["dataset"]["n"].tolist() == [1.0, 2.0, 4.0, 5.0, 6.0]


def test_sql_sees_lists_and_records_as_json_text(run, events) -> None:
    query = (
        "SELECT n, json_extract(tags, '$[0]') AS first_tag, json_extract(who, '$.id') AS id"
        " FROM t1 WHERE json_array_length(tags) = 2 ORDER BY n"
    )
    out = run("transform.sql@1", {"query": query}, t1=events)["dataset"]
    assert out.to_dict("list") == {"n": [1.0, 1.0, 6.0], "first_tag": [1, 1, 6], "id": [1, 1, 6]}


def test_one_hot_leaves_lists_out_unless_named_then_says_why(run, events) -> None:
    out = run("transform.one_hot@1", dataset=events)["dataset"]
    assert {"kind-a", "kind-b", "tags", "who"} <= set(out.columns)
    with pytest.raises(StepError, match=r"columns: 'tags' holds lists or records, which have no"):
        run("transform.one_hot@1", {"columns": ["kind", "tags"]}, dataset=events)


def test_a_trainer_and_smote_name_the_list_columns_and_what_to_do(run, events) -> None:
    learner = run("ml.logistic_regression@1")["model"]
    with pytest.raises(StepError) as raised:
        run("ml.train_model@1", {"label": "kind"}, model=learner, dataset=events)
    assert str(raised.value) == (
        "features: 'tags', 'who' hold lists or records, which a model cannot learn from; "
        "leave them out, or turn them into columns with a Python script"
    )
    chosen = {"label": "kind", "features": ["n"]}
    assert run("ml.train_model@1", chosen, model=learner, dataset=events)["model"] is not None
    with pytest.raises(StepError, match=r"dataset: 'tags', 'who' hold lists or records, which"):
        run("transform.smote@1", {"label": "kind"}, dataset=events.dropna())
