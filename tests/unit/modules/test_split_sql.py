"""Split, partition and SQL modules."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from designer.engine.context import StepError


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({"x": range(100), "group": ["a"] * 80 + ["b"] * 20})


def test_split_equals_train_test_split(run, table) -> None:
    out = run(
        "transform.split_rows@1", {"fraction": 0.3, "seed": 5, "stratify": "group"}, dataset=table
    )
    train, test = train_test_split(table, test_size=0.3, random_state=5, stratify=table["group"])
    assert out["train"]["x"].tolist() == train["x"].tolist()
    assert out["test"]["x"].tolist() == test["x"].tolist()
    assert (out["test"]["group"] == "b").sum() == 6


def test_split_edges_and_errors(run, table) -> None:
    everything = run("transform.split_rows@1", {"fraction": 0.0}, dataset=table)
    assert len(everything["train"]) == 100 and everything["test"].empty
    unshuffled = run("transform.split_rows@1", {"fraction": 0.1, "shuffle": False}, dataset=table)
    assert unshuffled["test"]["x"].tolist() == list(range(90, 100))
    with pytest.raises(StepError, match="stratify: column 'grp' not found") as err:
        run("transform.split_rows@1", {"stratify": "grp"}, dataset=table)
    assert err.value.param == "stratify"
    tiny = pd.DataFrame({"x": [1, 2, 3], "g": ["a", "a", "b"]})
    with pytest.raises(StepError, match="stratify: cannot split 3 rows"):
        run("transform.split_rows@1", {"fraction": 0.5, "stratify": "g"}, dataset=tiny)


def test_split_by_expression(run, table) -> None:
    out = run("transform.split_by_expression@1", {"expression": "x < 10"}, dataset=table)
    assert len(out["matched"]) == 10 and len(out["rest"]) == 90


def test_partition_sample_modes(run, table) -> None:
    sample = run(
        "transform.partition_sample@1", {"fraction": 0.5, "stratify": "group"}, dataset=table
    )["dataset"]
    assert len(sample) == 50 and (sample["group"] == "b").sum() == 10
    assert sample["x"].is_monotonic_increasing
    head = run("transform.partition_sample@1", {"mode": "head", "count": 7}, dataset=table)[
        "dataset"
    ]
    assert head["x"].tolist() == list(range(7))
    folded = run(
        "transform.partition_sample@1", {"mode": "assign_folds", "folds": 4}, dataset=table
    )["dataset"]
    assert folded["Fold"].value_counts().tolist() == [25, 25, 25, 25]
    picked = run("transform.partition_sample@1", {"mode": "pick_fold", "fold": 2}, dataset=folded)[
        "dataset"
    ]
    assert len(picked) == 25 and set(picked["Fold"]) == {2}
    with pytest.raises(StepError, match="fold: column 'Fold' not found"):
        run("transform.partition_sample@1", {"mode": "pick_fold"}, dataset=table)


def test_sql_over_three_tables_with_several_statements(run) -> None:
    t1 = pd.DataFrame({"id": [1, 2, 3], "name": ["a;b", "c", "d"]})
    t2 = pd.DataFrame({"id": [1, 2], "score": [10, 20]})
    t3 = pd.DataFrame({"id": [2], "bonus": [5]})
    query = """
        CREATE TABLE joined AS
        SELECT t1.id, t1.name, t2.score FROM t1 JOIN t2 ON t1.id = t2.id;
        SELECT j.name, j.score + COALESCE(t3.bonus, 0) AS total
        FROM joined j LEFT JOIN t3 ON j.id = t3.id ORDER BY total;
    """
    out = run("transform.sql@1", {"query": query}, t1=t1, t2=t2, t3=t3)["dataset"]
    assert out.values.tolist() == [["a;b", 10], ["c", 25]]


def test_sql_error_names_the_statement(run) -> None:
    t1 = pd.DataFrame({"x": [1]})
    query = "SELECT 1;\nSELECT nope FROM t1;"
    with pytest.raises(StepError) as err:
        run("transform.sql@1", {"query": query}, t1=t1)
    message = str(err.value)
    assert message.startswith("query: line 2: no such column: nope (statement 2)")
    assert "SELECT nope FROM t1;" in message and err.value.param == "query"


def test_sql_error_points_at_the_line_of_what_it_names(run) -> None:
    """A syntax error names the line of its token, not the statement's first line; a token that
    occurs more than once leaves the statement's first line."""
    t1 = pd.DataFrame({"x": [1], "sold": ["yes"]})
    query = "SELECT x,\n  x * 2 AS y\nFROM t1\nWHERE sold = 'yes' AND\nORDER BY y"
    with pytest.raises(StepError) as err:
        run("transform.sql@1", {"query": query}, t1=t1)
    assert str(err.value).startswith('query: line 5: near "ORDER": syntax error\n')
    query = "SELECT x\nFROM t1\nWHERE roomz > 1"
    with pytest.raises(StepError) as err:
        run("transform.sql@1", {"query": query}, t1=t1)
    assert str(err.value).startswith("query: line 3: no such column: roomz\n")
    query = "SELECT 1;\n\nSELECT x\nFROM t1 WHERE x = )"
    with pytest.raises(StepError) as err:
        run("transform.sql@1", {"query": query}, t1=t1)
    assert str(err.value).startswith('query: line 4: near ")": syntax error (statement 2)')
    query = "SELECT 1;\n\nSELECT ,\nx, ,"
    with pytest.raises(StepError) as err:
        run("transform.sql@1", {"query": query}, t1=t1)
    assert str(err.value).startswith('query: line 3: near ",": syntax error (statement 2)')


def test_rows_over_the_memory_limit_are_named_with_their_statement(run) -> None:
    query = (
        "SELECT 1;\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
    )
    with pytest.raises(StepError) as err:
        run("transform.sql@1", {"query": query, "memory_mb": 256}, t1=pd.DataFrame({"x": [1]}))
    message = str(err.value)
    assert message.startswith(
        "memory_mb: the rows of statement 2 (line 2) do not fit in the step's memory "
        "(limit 256 MB); select fewer rows or columns (WHERE, LIMIT, GROUP BY) or raise memory_mb"
    )
    assert "SELECT x FROM c" in message and err.value.param == "memory_mb"


def test_sql_needs_rows_from_the_last_statement(run) -> None:
    with pytest.raises(StepError, match="last statement must be a SELECT"):
        run(
            "transform.sql@1",
            {"query": "CREATE TABLE t AS SELECT * FROM t1"},
            t1=pd.DataFrame({"x": [1]}),
        )
    with pytest.raises(StepError, match="no such table: t2"):
        run("transform.sql@1", {"query": "SELECT * FROM t2"}, t1=pd.DataFrame({"x": [1]}))
