"""Static schema inference: the columns a node's table will have, known before it runs."""

from __future__ import annotations

import json
from typing import Any

from designer.engine.columns import infer_columns
from designer.engine.schema import parse_graph
from designer.modules import builtin_registry, schemas
from designer.modules.data import load_sample
from tests.support.graphs import graph, node

DATASETS = {"loans": [{"name": "income", "dtype": "float64"}, {"name": "city", "dtype": "str"}]}


def columns_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def infer(module: str, params: Any, inputs: Any) -> Any:
        return schemas.infer(module, params, inputs, lambda name, version: DATASETS.get(name))

    return infer_columns(parse_graph(doc), builtin_registry(), infer)


def names(columns: list[dict[str, str]] | None) -> list[str] | None:
    return None if columns is None else [c["name"] for c in columns]


def test_the_sample_columns_file_matches_the_sample_data() -> None:
    assert json.loads(schemas.SAMPLE_COLUMNS.read_text()) == schemas.sample_columns()


def test_columns_flow_through_selects_edits_splits_joins_and_scoring() -> None:
    doc = graph(
        [
            node("iris", "data.sample_dataset@1", name="iris"),
            node("pick", "transform.select_columns@1", pattern="^petal", columns=["target"]),
            node("ren", "transform.edit_metadata@1", columns=["target"], new_names="species"),
            node("split", "transform.split_rows@1"),
            node("loans", "data.registered_dataset@1", name="loans"),
            node("nums", "transform.select_columns@1", types="numeric"),
            node("join", "transform.join@1", keys=["target"]),
            node("lr", "ml.logistic_regression@1"),
            node("train", "ml.train_model@1", label="species"),
            node("score", "ml.score_model@1"),
            node("py", "script.python@1"),
        ],
        [
            ("iris.dataset", "pick.dataset"),
            ("pick.dataset", "ren.dataset"),
            ("ren.dataset", "split.dataset"),
            ("loans.dataset", "nums.dataset"),
            ("iris.dataset", "join.left"),
            ("iris.dataset", "join.right"),
            ("lr.model", "train.model"),
            ("split.train", "train.dataset"),
            ("train.model", "score.model"),
            ("split.test", "score.dataset"),
            ("score.dataset", "py.dataset1"),
        ],
    )
    found = columns_of(doc)
    assert names(found["pick"]["dataset"]) == ["target", "petal length (cm)", "petal width (cm)"]
    assert names(found["ren"]["dataset"]) == ["species", "petal length (cm)", "petal width (cm)"]
    assert names(found["split"]["test"]) == names(found["ren"]["dataset"])
    assert names(found["nums"]["dataset"]) == ["income"]  # by the registered version's types
    assert "target_left" in names(found["join"]["dataset"])  # type: ignore[operator]
    assert names(found["score"]["dataset"])[-1] == "Scored Labels"  # type: ignore[index]
    assert found["py"]["result1"] is None  # only running the script tells


def test_added_columns_follow_the_left_ones_renamed_as_the_step_renames_them(run) -> None:
    doc = graph(
        [
            node("iris", "data.sample_dataset@1", name="iris"),
            node("pick", "transform.select_columns@1", columns=["target", "sepal length (cm)"]),
            node(
                "ren",
                "transform.edit_metadata@1",
                columns=["sepal length (cm)"],
                new_names="target_right",
            ),
            node("add", "transform.add_columns@1"),
            node("nowhere", "data.registered_dataset@1", name="nowhere"),
            node("unknown", "transform.add_columns@1"),
        ],
        [
            ("iris.dataset", "pick.dataset"),
            ("pick.dataset", "ren.dataset"),
            ("ren.dataset", "add.left"),
            ("iris.dataset", "add.right"),
            ("iris.dataset", "unknown.left"),
            ("nowhere.dataset", "unknown.right"),
        ],
    )
    found = columns_of(doc)
    iris = load_sample("iris")
    left = iris[["target", "sepal length (cm)"]].rename(
        columns={"sepal length (cm)": "target_right"}
    )
    made = run("transform.add_columns@1", left=left, right=iris)["dataset"]
    assert found["add"]["dataset"] == [
        {"name": str(c), "dtype": str(t)} for c, t in made.dtypes.items()
    ]
    assert names(found["add"]["dataset"])[-1] == "target_right2"  # type: ignore[index]
    assert found["unknown"]["dataset"] is None


def test_what_cannot_be_known_says_so() -> None:
    doc = graph(
        [
            node("d", "data.registered_dataset@1", name="nowhere"),
            node("s", "transform.select_columns@1"),
        ],
        [("d.dataset", "s.dataset")],
    )
    found = columns_of(doc)
    assert found["d"]["dataset"] is None and found["s"]["dataset"] is None


def test_principal_components_replace_the_columns_they_reduce(run) -> None:
    doc = graph(
        [
            node("wine", "data.sample_dataset@1", name="wine"),
            node("all", "transform.pca@1", exclude=["target"], count=3),
            node("some", "transform.pca@1", columns=["alcohol", "ash"], standardize=False),
            node("loans", "data.enter_data@1", csv="income,city\n1,x\n"),  # types unknown
            node("typeless", "transform.pca@1"),
        ],
        [
            ("wine.dataset", "all.dataset"),
            ("wine.dataset", "some.dataset"),
            ("loans.dataset", "typeless.dataset"),
        ],
    )
    found = columns_of(doc)
    wine = load_sample("wine")
    ran = run("transform.pca@1", {"exclude": ["target"], "count": 3}, dataset=wine)
    for port in ("dataset", "variance", "weights"):  # as the step makes them, types too
        table = ran[port]
        assert found["all"][port] == [
            {"name": str(c), "dtype": str(t)} for c, t in table.dtypes.items()
        ]
    some = names(found["some"]["dataset"])
    assert some == [c for c in wine.columns if c not in ("alcohol", "ash")] + ["PC1", "PC2"]
    assert found["typeless"]["dataset"] is None  # which columns are numeric is not known
    assert names(found["typeless"]["weights"]) == ["Column", "PC1", "PC2"]


def test_bin_numbers_are_appended_or_replace_their_columns(run) -> None:
    doc = graph(
        [
            node("wine", "data.sample_dataset@1", name="wine"),
            node("appended", "transform.group_into_bins@1", columns=["alcohol", "ash"]),
            node("replaced", "transform.group_into_bins@1", exclude=["target"], mode="replace"),
        ],
        [("wine.dataset", "appended.dataset"), ("wine.dataset", "replaced.dataset")],
    )
    found = columns_of(doc)
    wine = load_sample("wine")
    for node_id, params in (
        ("appended", {"columns": ["alcohol", "ash"]}),
        ("replaced", {"exclude": ["target"], "mode": "replace"}),
    ):
        ran = run("transform.group_into_bins@1", params, dataset=wine)
        for port in ("dataset", "bins"):  # as the step makes them, types too
            made = [{"name": str(c), "dtype": str(t)} for c, t in ran[port].dtypes.items()]
            assert found[node_id][port] == made, (node_id, port)


def test_topic_columns_are_appended_and_the_topics_table_known(run) -> None:
    doc = graph(
        [
            node("loans", "data.sample_dataset@1", name="loan_applications"),
            node("lda", "transform.lda@1", column="loan_purpose", topics=3),
            node("unset", "transform.lda@1"),
            node("apply", "transform.apply_transform@1"),
        ],
        [
            ("loans.dataset", "lda.dataset"),
            ("loans.dataset", "unset.dataset"),
            ("lda.transform", "apply.transform"),
            ("loans.dataset", "apply.dataset"),
        ],
    )
    found = columns_of(doc)
    params = {"column": "loan_purpose", "topics": 3}
    ran = run("transform.lda@1", params, dataset=load_sample("loan_applications"))
    for port in ("dataset", "topics"):  # as the step makes them, types too
        made = [{"name": str(c), "dtype": str(t)} for c, t in ran[port].dtypes.items()]
        assert found["lda"][port] == made, port
    assert names(found["lda"]["dataset"])[-3:] == [  # type: ignore[index]
        f"loan_purpose_topic_{k}" for k in (1, 2, 3)
    ]
    assert found["unset"]["dataset"] is None  # no column chosen yet
    assert found["unset"]["topics"] == found["lda"]["topics"]
    assert found["apply"]["dataset"] is None  # known once the fit has run


def test_statistics_tables_are_known_before_they_run(run) -> None:
    doc = graph(
        [
            node("wine", "data.sample_dataset@1", name="wine"),
            node("summary", "stats.summarize@1"),
            node("matrix", "stats.correlation@1"),
        ],
        [("wine.dataset", "summary.dataset"), ("wine.dataset", "matrix.dataset")],
    )
    found = columns_of(doc)
    wine = load_sample("wine")
    for node_id, module, port in (
        ("summary", "stats.summarize@1", "statistics"),
        ("matrix", "stats.correlation@1", "correlations"),
    ):
        made = run(module, {}, dataset=wine)[port]
        assert found[node_id][port] == [
            {"name": str(c), "dtype": str(t)} for c, t in made.dtypes.items()
        ]


def test_apply_transformation_lists_columns_only_for_transforms_that_keep_them() -> None:
    steps = {  # node -> module and params, each fitted on iris and applied to iris
        "normalize": ("transform.normalize@1", {}),
        "fill": ("transform.clean_missing@1", {"strategy": "median"}),
        "drop": ("transform.clean_missing@1", {"strategy": "remove_columns"}),
        "pca": ("transform.pca@1", {}),
        "bins": ("transform.group_into_bins@1", {}),
    }
    nodes = [node("iris", "data.sample_dataset@1", name="iris")]
    edges = []
    for name, (module, params) in steps.items():
        nodes += [
            node(name, module, **params),
            node(f"apply_{name}", "transform.apply_transform@1"),
        ]
        edges += [
            ("iris.dataset", f"{name}.dataset"),
            (f"{name}.transform", f"apply_{name}.transform"),
            ("iris.dataset", f"apply_{name}.dataset"),
        ]
    found = columns_of(graph(nodes, edges))
    iris = found["iris"]["dataset"]
    assert found["apply_normalize"]["dataset"] == iris
    assert found["apply_fill"]["dataset"] == iris
    for changes in ("drop", "pca", "bins"):  # known once the fit has run
        assert found[f"apply_{changes}"]["dataset"] is None


def test_text_is_cleaned_in_place_or_appended_and_hashed_into_known_columns(run) -> None:
    steps = {  # node -> module and params, each on the loan applications
        "replaced": ("transform.preprocess_text@1", {"columns": ["loan_purpose", "employment"]}),
        "appended": ("transform.preprocess_text@1", {"columns": ["employment"], "mode": "append"}),
        "hashed": ("transform.feature_hashing@1", {"columns": ["loan_purpose"], "bits": 3}),
        "kept": (
            "transform.feature_hashing@1",
            {"columns": ["loan_purpose", "employment"], "bits": 2, "keep_text": True},
        ),
    }
    loans = load_sample("loan_applications")
    nodes = [node("loans", "data.sample_dataset@1", name="loan_applications")]
    nodes += [node(name, module, **params) for name, (module, params) in steps.items()]
    found = columns_of(graph(nodes, [("loans.dataset", f"{name}.dataset") for name in steps]))
    for name, (module, params) in steps.items():
        made = run(module, params, dataset=loans)["dataset"]  # as the step makes them, types too
        assert found[name]["dataset"] == [
            {"name": str(c), "dtype": str(t)} for c, t in made.dtypes.items()
        ], name


def test_hash_columns_are_unknown_without_their_text_or_beyond_a_list_to_show() -> None:
    table = [{"name": "note", "dtype": "str"}]
    for params in ({}, {"columns": ["title"]}, {"columns": ["note"], "bits": 15}):
        found = schemas.infer("transform.feature_hashing", params, {"dataset": table}, dict.get)
        assert found == {"dataset": None}, params
    found = schemas.infer("transform.preprocess_text", {}, {"dataset": table}, dict.get)
    assert found == {"dataset": None}
