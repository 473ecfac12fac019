"""Data input and output modules: sample datasets, manual CSV, registered datasets, markers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import datasets

from designer.engine.context import StepError
from designer.engine.datasets import StoredDatasets
from designer.engine.store import ArtifactStore
from tests.unit.modules.harness import run_document


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("iris", (150, 5)),
        ("wine", (178, 14)),
        ("breast_cancer", (569, 31)),
        ("diabetes", (442, 11)),
        ("digits", (1797, 65)),
    ],
)
def test_sample_datasets_are_scikit_learn_bundled_data(run, name, shape) -> None:
    df = run("data.sample_dataset@1", {"name": name})["dataset"]
    assert df.shape == shape
    expected = getattr(datasets, f"load_{name}")(as_frame=True).frame
    pd.testing.assert_frame_equal(df.drop(columns="target"), expected.drop(columns="target"))


def test_iris_target_uses_class_names(run) -> None:
    df = run("data.sample_dataset@1", {"name": "iris"})["dataset"]
    assert sorted(df["target"].unique()) == ["setosa", "versicolor", "virginica"]


def test_shipped_csv_has_categories_and_missing_values(run) -> None:
    df = run("data.sample_dataset@1", {"name": "loan_applications"})["dataset"]
    assert len(df) == 600 and set(df["approved"]) == {"yes", "no"}
    assert df["credit_score"].isna().sum() > 0 and df["employment"].isna().sum() > 0


def test_enter_data_infers_types(run) -> None:
    df = run("data.enter_data@1", {"csv": "name, age, member\nAda, 36, true\nLin, 41, false\n"})[
        "dataset"
    ]
    assert list(df.columns) == ["name", "age", "member"]
    assert df["age"].tolist() == [36, 41] and df["member"].dtype == bool


def test_enter_data_semicolons(run) -> None:
    df = run("data.enter_data@1", {"csv": "a;b\n1;2", "separator": ";"})["dataset"]
    assert df.to_dict("list") == {"a": [1], "b": [2]}


@pytest.mark.parametrize("text", ["", "a,b\n"])
def test_enter_data_needs_rows(run, text) -> None:
    with pytest.raises(StepError, match="csv:") as err:
        run("data.enter_data@1", {"csv": text})
    assert err.value.param == "csv"


def test_export_then_read_registered_dataset(run) -> None:
    df = pd.DataFrame({"x": [1, 2, 3]})
    out = run("output.export_data@1", {"name": "scores", "description": "test"}, dataset=df)[
        "dataset"
    ]
    pd.testing.assert_frame_equal(out, df)
    assert "registered 3 rows as dataset 'scores'" in run.logs[0]
    back = run("data.registered_dataset@1", {"name": "scores"})["dataset"]
    pd.testing.assert_frame_equal(back, df)


def test_missing_registered_dataset_names_it(run) -> None:
    with pytest.raises(StepError, match="'nothing' is not registered") as err:
        run("data.registered_dataset@1", {"name": "nothing"})
    assert err.value.param == "name"


def test_web_service_markers_pass_data_through(run) -> None:
    df = pd.DataFrame({"x": [1.5]})
    pd.testing.assert_frame_equal(run("output.web_service_input@1", dataset=df)["dataset"], df)
    pd.testing.assert_frame_equal(run("output.web_service_output@1", dataset=df)["dataset"], df)
    with pytest.raises(StepError, match="no connected data"):
        run("output.web_service_input@1")


def test_web_service_input_reads_the_dataset_version_a_call_names(run) -> None:
    sent = pd.DataFrame({"x": [7, 8]})
    run("output.export_data@1", {"name": "call"}, dataset=sent)
    newer = pd.DataFrame({"x": [9]})
    run("output.export_data@1", {"name": "call"}, dataset=newer)
    versions = [v["version"] for v in run.datasets.versions("call")]
    connected = pd.DataFrame({"x": [0.5]})
    out = run(
        "output.web_service_input@1", {"dataset": "call", "version": versions[0]}, dataset=connected
    )["dataset"]
    pd.testing.assert_frame_equal(out, sent)
    with pytest.raises(StepError, match="version: give the version digest") as err:
        run("output.web_service_input@1", {"dataset": "call"})
    assert err.value.param == "version"
    with pytest.raises(StepError, match="no version") as err:
        run("output.web_service_input@1", {"dataset": "call", "version": "0" * 12})
    assert err.value.param == "dataset"


def test_a_registered_dataset_step_keeps_a_reference_to_the_version_not_a_copy(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    table = pd.DataFrame(
        {"x": rng.normal(size=20_000), "n": np.arange(20_000), "k": ["a"] * 20_000}
    )
    uploaded = tmp_path / "upload.parquet"
    table.to_parquet(uploaded)
    store = ArtifactStore(tmp_path / "artifacts")
    version = StoredDatasets(store, "test").write("loans", uploaded)
    node = {"id": "read", "module": "data.registered_dataset@1", "params": {"name": "loans"}}
    run = run_document({"schema_version": 1, "nodes": [node], "edges": []}, tmp_path)
    digest = run.records["read"]["dataset"]["digest"]
    assert store.recipe(digest) is not None and store.requires(digest) == [version]
    pd.testing.assert_frame_equal(run.values["read"]["dataset"], table)
