"""Static schema inference: the columns a node's table will have, known before it runs."""

from __future__ import annotations

import json
from typing import Any

from designer.engine.columns import infer_columns
from designer.engine.schema import parse_graph
from designer.engine.types import PortType
from designer.modules import builtin_registry, schemas
from designer.modules.data import load_sample
from tests.support.graphs import graph, node
from tests.unit.modules.harness import run_document

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
    assert found["apply"]["dataset"] == found["lda"]["dataset"]  # fitted and applied on loans


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


FITS = {  # node -> a module fitting a transform and its params
    "normalize": ("transform.normalize@1", {}),
    "fill": ("transform.clean_missing@1", {"columns": ["credit_score"], "strategy": "median"}),
    "removed": (
        "transform.clean_missing@1",
        {"columns": ["employment", "credit_score"], "strategy": "remove_columns"},
    ),
    "clipped": ("transform.clip@1", {"columns": ["age", "loan_amount"]}),
    "to_missing": ("transform.clip@1", {"replace": "missing"}),
    "pca": ("transform.pca@1", {"exclude": ["credit_score"], "count": 3}),
    "appended": ("transform.group_into_bins@1", {"columns": ["age", "loan_amount"], "bins": 4}),
    "replaced": ("transform.group_into_bins@1", {"columns": ["term_months"], "mode": "replace"}),
    "topics": ("transform.lda@1", {"column": "loan_purpose", "topics": 2}),
}
UNKNOWN = {  # node -> a fit whose effect on columns depends on the data it is fitted on
    "indicators": ("transform.one_hot@1", {"columns": ["home_ownership"]}),
    "ngrams": ("transform.text_features@1", {"columns": ["loan_purpose"]}),
    "selected": (
        "ml.select_features@1",
        {"label": "annual_income", "columns": ["age", "loan_amount", "term_months"], "count": 2},
    ),
    "gaps": ("transform.clean_missing@1", {"strategy": "remove_columns"}),
}


def fitted_and_applied(fits: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Each fit on the loan applications' training rows less applicant_id, applied to the test
    rows with it: a column the fit never saw passes through (PCA, normalizing, clipping every
    numeric column leave it alone)."""
    nodes = [
        node("loans", "data.sample_dataset@1", name="loan_applications"),
        node("clean", "transform.clean_missing@1", columns=["employment", "annual_income"]),
        node("split", "transform.split_rows@1", fraction=0.3),
        node("train", "transform.select_columns@1", columns=["applicant_id"], mode="exclude"),
    ]
    edges = [
        ("loans.dataset", "clean.dataset"),
        ("clean.dataset", "split.dataset"),
        ("split.train", "train.dataset"),
    ]
    for name, (module, params) in fits.items():
        nodes += [
            node(name, module, **params),
            node(f"apply_{name}", "transform.apply_transform@1"),
        ]
        edges += [
            ("train.dataset", f"{name}.dataset"),
            (f"{name}.transform", f"apply_{name}.transform"),
            ("split.test", f"apply_{name}.dataset"),
        ]
    return graph(nodes, edges)


def test_apply_transformation_changes_columns_as_the_fitted_transform_does(tmp_path) -> None:
    doc = fitted_and_applied(FITS)
    found = columns_of(doc)
    ran = run_document(doc, tmp_path).values
    for name in FITS:  # as the transform makes them on a table it was not fitted on, types too
        made = ran[f"apply_{name}"]["dataset"]
        assert found[f"apply_{name}"]["dataset"] == [
            {"name": str(c), "dtype": str(t)} for c, t in made.dtypes.items()
        ], name
    test = names(found["split"]["test"])
    assert names(found["apply_pca"]["dataset"]) == [
        "applicant_id", "employment", "home_ownership", "loan_purpose", "credit_score",
        "approved", "PC1", "PC2", "PC3",
    ]  # fmt: skip
    assert names(found["apply_removed"]["dataset"]) == [
        c
        for c in test
        if c not in ("employment", "credit_score")  # type: ignore[union-attr]
    ]
    assert {"name": "age", "dtype": "float64"} in found["apply_normalize"]["dataset"]


def test_what_a_fitted_transform_does_depends_on_its_data_it_is_not_known(tmp_path) -> None:
    doc = fitted_and_applied(UNKNOWN)
    found = columns_of(doc)
    ran = run_document(doc, tmp_path).values
    assert found["gaps"]["dataset"] is None  # the columns with gaps are removed: known once run
    for name in UNKNOWN:  # the categories, the vocabulary, the features kept, the gaps
        assert found[name]["transform"] is None, name
        assert found[f"apply_{name}"]["dataset"] is None, name
        assert list(ran[f"apply_{name}"]["dataset"].columns) != names(found["split"]["test"])


def test_a_transform_refused_on_a_table_leaves_its_columns_unknown() -> None:
    fitted_on = [{"name": "age", "dtype": "int64"}, {"name": "note", "dtype": "str"}]
    pca = schemas.infer("transform.pca", {}, {"dataset": fitted_on}, dict.get)
    change = pca["transform"]  # type: ignore[index]
    assert change == {
        "removes": ["age"],
        "changes": [],
        "appends": [{"name": f"PC{i}", "dtype": "float64"} for i in (1, 2)],
    }
    for table in (  # the column it reduces is missing; a component's name is taken
        [{"name": "note", "dtype": "str"}],
        [*fitted_on, {"name": "PC2", "dtype": "float64"}],
    ):
        applied = schemas.infer(
            "transform.apply_transform", {}, {"transform": change, "dataset": table}, dict.get
        )
        assert applied == {"dataset": None}, table


def test_a_picker_after_apply_transformation_knows_the_columns_before_a_run(tmp_path) -> None:
    doc = graph(
        [
            node("iris", "data.sample_dataset@1", name="iris"),
            node("split", "transform.split_rows@1"),
            node("pca", "transform.pca@1", count=2),
            node("apply", "transform.apply_transform@1"),
            node("bins", "transform.group_into_bins@1", columns=["PC1"], bins=3),
            node("apply_bins", "transform.apply_transform@1"),
            node("pick", "transform.select_columns@1", columns=["PC1_bin", "target"]),
            node("lr", "ml.logistic_regression@1"),
            node("fit", "ml.train_model@1", label="target"),
            node("score", "ml.score_model@1"),
        ],
        [
            ("iris.dataset", "split.dataset"),
            ("split.train", "pca.dataset"),
            ("pca.transform", "apply.transform"),
            ("split.test", "apply.dataset"),
            ("pca.dataset", "bins.dataset"),
            ("bins.transform", "apply_bins.transform"),
            ("apply.dataset", "apply_bins.dataset"),
            ("apply_bins.dataset", "pick.dataset"),
            ("lr.model", "fit.model"),
            ("bins.dataset", "fit.dataset"),
            ("fit.model", "score.model"),
            ("apply_bins.dataset", "score.dataset"),
        ],
    )
    found = columns_of(doc)
    ran = run_document(doc, tmp_path).values
    for step in ("apply", "apply_bins", "pick"):  # as the steps make them, types too
        made = ran[step]["dataset"]
        assert found[step]["dataset"] == [
            {"name": str(c), "dtype": str(t)} for c, t in made.dtypes.items()
        ], step
    scored = names(found["score"]["dataset"])  # the probabilities follow, once it has run
    assert scored == [str(c) for c in ran["score"]["dataset"].columns][: len(scored or [])]
    assert names(found["pick"]["dataset"]) == ["PC1_bin", "target"]
    assert names(found["apply_bins"]["dataset"]) == ["target", "PC1", "PC2", "PC1_bin"]


def test_every_module_fitting_a_transform_says_what_it_does_to_columns() -> None:
    fitting = {
        spec.name
        for spec in builtin_registry()
        if any(p.type is PortType.TRANSFORM for p in spec.outputs)
        and spec.name != "transform.frozen_transform"
    }
    assert fitting == schemas.FITTING


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


def test_scoring_by_the_new_learners_is_known_before_a_run_as_it_runs(tmp_path) -> None:
    """Score model's inference claims the rows and Scored Labels: one-vs-one appends nothing
    more, a detector only its Anomaly Score after them."""
    doc = graph(
        [
            node("wine", "data.sample_dataset@1", name="wine"),
            node("lr", "ml.logistic_regression@1", max_iter=5000),
            node("ovo", "ml.one_vs_one@1"),
            node("fit", "ml.train_model@1", label="target"),
            node("score", "ml.score_model@1"),
            node("lof", "ml.local_outlier_factor@1"),
            node("pca", "ml.pca_anomaly_detection@1"),
            node(
                "fit_lof",
                "ml.train_anomaly_detection_model@1",
                label="target",
                anomaly_value="class_0",
            ),
            node(
                "fit_pca",
                "ml.train_anomaly_detection_model@1",
                label="target",
                anomaly_value="class_0",
            ),
            node("score_lof", "ml.score_model@1"),
            node("score_pca", "ml.score_model@1"),
        ],
        [
            ("lr.model", "ovo.model"),
            ("ovo.model", "fit.model"),
            ("wine.dataset", "fit.dataset"),
            ("fit.model", "score.model"),
            ("wine.dataset", "score.dataset"),
            ("lof.model", "fit_lof.model"),
            ("pca.model", "fit_pca.model"),
            *(
                ("wine.dataset", f"{n}.dataset")
                for n in ("fit_lof", "fit_pca", "score_lof", "score_pca")
            ),
            ("fit_lof.model", "score_lof.model"),
            ("fit_pca.model", "score_pca.model"),
        ],
    )
    found = columns_of(doc)
    ran = run_document(doc, tmp_path).values
    wine = [str(c) for c in ran["wine"]["dataset"].columns]
    assert names(found["score"]["dataset"]) == [str(c) for c in ran["score"]["dataset"].columns]
    assert names(found["score"]["dataset"]) == [*wine, "Scored Labels"]
    for step in ("score_lof", "score_pca"):
        made = [str(c) for c in ran[step]["dataset"].columns]
        assert made == [*names(found[step]["dataset"]), "Anomaly Score"], step


def test_a_leaderboard_is_known_before_it_runs_and_a_model_is_no_table(run) -> None:
    doc = graph(
        [
            node("wine", "data.sample_dataset@1", name="wine"),
            node("best", "ml.compare_learners@1", label="target", learners="naive_bayes"),
        ],
        [("wine.dataset", "best.dataset")],
    )
    found = columns_of(doc)
    made = run("ml.compare_learners@1", doc["nodes"][1]["params"], dataset=load_sample("wine"))
    board = made["leaderboard"]
    assert found["best"]["leaderboard"] == [
        {"name": str(c), "dtype": str(t)} for c, t in board.dtypes.items()
    ]
    assert found["best"]["model"] is None
