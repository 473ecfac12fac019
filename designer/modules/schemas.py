"""What the built-in modules' tables hold, known without running them (static schema inference).

`infer(module, params, inputs, dataset_columns, recorded_fit)` answers for one node: output
port -> its columns, or None where only running it would tell (a Python script, SQL, one-hot
encoding); a fitted transform's port -> its effect on a table's columns (decision 0070), which
Apply transformation applies to its input's. Sample datasets' columns are listed in
data/sample_columns.json (`python -m designer.modules.schemas >
designer/modules/data/sample_columns.json` refreshes it; a test fails when it is stale); a
registered dataset's come from `dataset_columns(name, version)`, a frozen transform's fit from
its run's records (`recorded_fit`). Light on purpose: the web process imports this, never pandas.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from designer.engine.columns import Column, ColumnEffect, Columns, Known
from designer.modules.names import paired_names

DatasetColumns = Callable[[str, str | None], Columns]
# a frozen transform's params (run, step, port, digest) -> what its run recorded of the step that
# fitted it: the module, the columns of the table it was fitted on and of its `dataset` output
RecordedFit = tuple[str, list[Column], list[Column]]
RecordedFits = Callable[[Mapping[str, Any]], RecordedFit | None]
SAMPLE_COLUMNS = Path(__file__).resolve().parent / "data" / "sample_columns.json"
SCORED_LABELS = "Scored Labels"  # the columns Score model appends (training.py)
SCORED_PROBABILITIES = "Scored Probabilities"
ANOMALY_SCORE = "Anomaly Score"  # an anomaly detector's score (higher: more anomalous)
MAX_LISTED_HASHES = 16_384  # more hash columns are left unknown: a list no editor can show
TOP_WORDS = 10  # the words Latent Dirichlet Allocation lists per topic (lda.py)
SCORED_RATING = "Scored Rating"  # Score SVD recommender's (recommender.py)
RECOMMENDED_USER = "User"  # item recommendation: one row per user, then its items best first
RECOMMENDED_ITEM = "Recommended Item"

# modules whose table outputs hold exactly their input table's columns
PASS_THROUGH = {
    "transform.remove_duplicates": ("dataset", ("dataset",)),
    "transform.filter_rows": ("dataset", ("dataset",)),
    "transform.split_rows": ("dataset", ("train", "test")),
    "transform.split_by_expression": ("dataset", ("matched", "rest")),
    "transform.partition_sample": ("dataset", ("dataset",)),
    "transform.smote": ("dataset", ("dataset",)),
    "transform.add_rows": ("top", ("dataset",)),
    "output.export_data": ("dataset", ("dataset",)),
}

# modules that fit a transform on their `dataset` input: its `transform` output does to a table's
# columns what the step did to its input's to make its `dataset` output (unknown where that is:
# the indicator values, n-grams or features kept depend on the data)
FITTING = frozenset(
    {
        "transform.clean_missing",
        "transform.normalize",
        "transform.clip",
        "transform.one_hot",
        "transform.group_into_bins",
        "transform.pca",
        "transform.text_features",
        "transform.lda",
        "ml.select_features",
    }
)
# the fits whose transform puts its new columns in the place of the column they come from (an
# indicator per category where the column was): not appended, so no effect says it
IN_PLACE = frozenset({"transform.one_hot"})

_DTYPE_TESTS: dict[str, Callable[[str], bool]] = {
    "integer": lambda d: d.lower().startswith(("int", "uint")),
    "float": lambda d: d.lower().startswith("float"),
    "numeric": lambda d: d.lower().startswith(("int", "uint", "float")),
    "string": lambda d: d.lower() in ("object", "str", "string"),
    "boolean": lambda d: d.lower() in ("bool", "boolean"),
    "datetime": lambda d: d.lower().startswith("datetime"),
    "categorical": lambda d: d.lower() == "category",
}


@cache
def _samples() -> dict[str, list[Column]]:
    loaded: dict[str, list[Column]] = json.loads(SAMPLE_COLUMNS.read_text())
    return loaded


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or []]


def _select(params: Mapping[str, Any], table: list[Column]) -> Columns:
    named = [n for n in _names(params.get("columns")) if any(c["name"] == n for c in table)]
    kind = str(params.get("types") or "any")
    pattern = str(params.get("pattern") or "")
    regex = re.compile(pattern) if pattern else None
    test = _DTYPE_TESTS.get(kind)
    if test is not None and any(not c["dtype"] for c in table):
        return None  # selecting by type needs every column's type
    matched = set(named)
    for c in table:
        if (test is not None and test(c["dtype"])) or (
            regex is not None and regex.search(c["name"])
        ):
            matched.add(c["name"])
    if params.get("mode", "include") == "exclude":
        return [c for c in table if c["name"] not in matched]
    by_name = {c["name"]: c for c in table}
    return [by_name[n] for n in named] + [c for c in table if c["name"] in matched - set(named)]


def _edit(params: Mapping[str, Any], table: list[Column]) -> Columns:
    columns = _names(params.get("columns"))
    new = _names(params.get("new_names"))
    cast = str(params.get("cast") or "unchanged")
    renames = dict(zip(columns, new, strict=True)) if new and len(new) == len(columns) else {}
    dtype = {
        "integer": "Int64",
        "float": "float64",
        "string": "str",
        "boolean": "boolean",
        "datetime": "datetime64[ns]",
        "categorical": "category",
    }.get(cast)
    return [
        {
            "name": renames.get(c["name"], c["name"]),
            "dtype": dtype if dtype and c["name"] in columns else c["dtype"],
        }
        for c in table
    ]


def _cleaned(params: Mapping[str, Any], table: list[Column]) -> Columns:
    """Clean missing data: the same columns, less the chosen ones when it removes columns (which
    columns have gaps is known once it has run)."""
    if params.get("strategy") != "remove_columns":
        return table
    chosen = set(_names(params.get("columns")))
    return [c for c in table if c["name"] not in chosen] if chosen else None


def _join(left: list[Column], right: list[Column]) -> list[Column]:
    left_names = {c["name"] for c in left}
    right_names = {c["name"] for c in right}
    both = left_names & right_names
    out = [{**c, "name": f"{c['name']}_left"} if c["name"] in both else c for c in left]
    return out + [{**c, "name": f"{c['name']}_right"} if c["name"] in both else c for c in right]


def _reduced(params: Mapping[str, Any], table: list[Column]) -> set[str] | None:
    """The columns a module with `columns` and `exclude` params works on (empty: every numeric
    column); None when that needs types not known."""
    chosen, excluded = _names(params.get("columns")), set(_names(params.get("exclude")))
    if not chosen and any(not c["dtype"] for c in table):
        return None
    numeric = {c["name"] for c in table if _DTYPE_TESTS["numeric"](c["dtype"])}
    return (set(chosen) if chosen else numeric) - excluded


def _retyped(table: list[Column], names: set[str], dtype: str) -> list[Column]:
    """`table` with the columns `names` of type `dtype` (a step that changes them in place)."""
    return [{**c, "dtype": dtype} if c["name"] in names else c for c in table]


def _normalized(params: Mapping[str, Any], table: list[Column]) -> Columns:
    """Normalize data: the columns it rescales become float64 in place."""
    scaled = _reduced(params, table)
    return None if scaled is None else _retyped(table, scaled, "float64")


def effect(fitted_on: list[Column], made: Columns) -> ColumnEffect | None:
    """What a fitting step did to its input's columns (`fitted_on`) to make its output's
    (`made`), which its fitted transform does again; None when not known, or not a matter of
    columns removed, retyped in place and appended after the rest."""
    if made is None:
        return None
    before = {c["name"]: c["dtype"] for c in fitted_on}
    after = {c["name"] for c in made}
    found: ColumnEffect = {
        "removes": [name for name in before if name not in after],
        "changes": [c for c in made if c["name"] in before and c["dtype"] != before[c["name"]]],
        "appends": [c for c in made if c["name"] not in before],
    }
    return found if applied(found, fitted_on) == made else None


def applied(change: ColumnEffect, table: list[Column]) -> Columns:
    """The columns of `table` once a fitted transform changed them as `change` says; None when
    the transform refuses it (a column it works on is missing, one it appends is there)."""
    names = {c["name"] for c in table}
    dtypes = {c["name"]: c["dtype"] for c in change["changes"]}
    if not (set(change["removes"]) | set(dtypes)) <= names:
        return None
    kept = [c for c in table if c["name"] not in change["removes"]]
    if {c["name"] for c in change["appends"]} & {c["name"] for c in kept}:
        return None
    return [{**c, "dtype": dtypes.get(c["name"], c["dtype"])} for c in kept] + change["appends"]


def _pca(params: Mapping[str, Any], table: list[Column]) -> dict[str, Columns]:
    """Principal component analysis: the columns not reduced, then PC1…PCn (pca.py)."""
    count = int(params.get("count") or 2)
    names = [f"PC{i}" for i in range(1, count + 1)]
    numbers = [{"name": name, "dtype": "float64"} for name in names]
    variance = ["Component", "Explained variance", "Variance ratio", "Cumulative ratio"]
    outputs: dict[str, Columns] = {
        "variance": [
            {"name": n, "dtype": "str" if n == "Component" else "float64"} for n in variance
        ],
        "weights": [{"name": "Column", "dtype": "str"}, *numbers],
        "dataset": None,
    }
    reduced = _reduced(params, table)
    if reduced is not None:
        outputs["dataset"] = [c for c in table if c["name"] not in reduced] + numbers
    return outputs


def _bins(params: Mapping[str, Any], table: list[Column]) -> dict[str, Columns]:
    """Group data into bins: each binned column's bin numbers, appended or in its place."""
    listed = [("Column", "str"), ("Bin", "int64"), ("From", "float64"), ("To", "float64")]
    outputs: dict[str, Columns] = {
        "bins": [{"name": n, "dtype": t} for n, t in [*listed, ("Rows", "int64")]],
        "dataset": None,
    }
    binned = _reduced(params, table)
    if binned is None:
        return outputs
    if str(params.get("mode") or "append") == "append":
        added = [
            {"name": f"{c['name']}_bin", "dtype": "int64"} for c in table if c["name"] in binned
        ]
        outputs["dataset"] = table + added
    else:
        outputs["dataset"] = _retyped(table, binned, "int64")
    return outputs


def _math(params: Mapping[str, Any], table: list[Column]) -> Columns:
    """Apply math operation: float64 results, appended as `<column>_<operation>` or in place."""
    chosen = _reduced(params, table)
    if chosen is None:
        return None
    if str(params.get("mode") or "append") != "append":
        return _retyped(table, chosen, "float64")
    operation = str(params.get("operation") or "log")
    added = [f"{c['name']}_{operation}" for c in table if c["name"] in chosen]
    return table + [{"name": name, "dtype": "float64"} for name in added]


def _text_columns(params: Mapping[str, Any], table: list[Column]) -> list[str] | None:
    """The columns a text step names, once each; None when it names none or one the table lacks
    (the step refuses)."""
    chosen = list(dict.fromkeys(_names(params.get("columns"))))
    present = {c["name"] for c in table}
    return chosen if chosen and set(chosen) <= present else None


def _preprocessed(params: Mapping[str, Any], table: list[Column]) -> Columns:
    """Preprocess text: cleaned text (str) in each column's place, or `<column>_preprocessed`."""
    chosen = _text_columns(params, table)
    if chosen is None:
        return None
    if str(params.get("mode") or "replace") == "append":
        return table + [{"name": f"{c}_preprocessed", "dtype": "str"} for c in chosen]
    return _retyped(table, set(chosen), "str")


def _hashed(params: Mapping[str, Any], table: list[Column]) -> Columns:
    """Feature hashing: `<column>_hash_0…` float64 columns per column after the table (its text
    columns dropped unless kept); unknown beyond MAX_LISTED_HASHES."""
    chosen = _text_columns(params, table)
    width = 2 ** int(params.get("bits") or 10)
    if chosen is None or len(chosen) * width > MAX_LISTED_HASHES:
        return None
    kept = table if params.get("keep_text") else [c for c in table if c["name"] not in chosen]
    added = [f"{c}_hash_{i}" for c in chosen for i in range(width)]
    return kept + [{"name": name, "dtype": "float64"} for name in added]


def _topics(params: Mapping[str, Any], table: Columns) -> dict[str, Columns]:
    """Latent Dirichlet Allocation: `<column>_topic_<k>` appended; the topics table."""
    listed = [("Topic", "int64"), ("Top words", "str")]
    listed += [(f"Weight {i}", "float64") for i in range(1, TOP_WORDS + 1)]
    outputs: dict[str, Columns] = {
        "topics": [{"name": n, "dtype": t} for n, t in listed],
        "dataset": None,
    }
    column = str(params.get("column") or "")
    if table is not None and column:
        count = int(params.get("topics") or 5)
        added = [f"{column}_topic_{k}" for k in range(1, count + 1)]
        outputs["dataset"] = table + [{"name": name, "dtype": "float64"} for name in added]
    return outputs


SUMMARY_COLUMNS = [
    *({"name": n, "dtype": "str"} for n in ("Feature", "Type")),
    *({"name": n, "dtype": "int64"} for n in ("Count", "Missing", "Unique")),
    {"name": "Mode", "dtype": "str"},
    *(
        {"name": n, "dtype": "float64"}
        for n in ("Mean", "Std", "Min", "25%", "Median", "75%", "Max", "Skewness", "Kurtosis")
    ),
]  # statistics.py's summarize


LEADERBOARD_COLUMNS = [
    {"name": "rank", "dtype": "float64"},  # pandas' rank: empty for a learner without a score
    *({"name": n, "dtype": "str"} for n in ("learner", "name", "metric")),
    *({"name": n, "dtype": "float64"} for n in ("mean", "std", "fit seconds")),
    {"name": "note", "dtype": "str"},
]  # compare.py's leaderboard


def _correlations(params: Mapping[str, Any], table: list[Column]) -> Columns:
    """Compute correlation: a Feature column, then one per numeric column correlated."""
    chosen = _names(params.get("columns"))
    if not chosen and any(not c["dtype"] for c in table):
        return None
    numeric = [c["name"] for c in table if _DTYPE_TESTS["numeric"](c["dtype"])]
    names = chosen or numeric
    return [{"name": "Feature", "dtype": "str"}, *({"name": n, "dtype": "float64"} for n in names)]


def _enter(params: Mapping[str, Any]) -> Columns:
    text = str(params.get("csv") or "").strip()
    if not text:
        return None
    sep = {"tab": "\t"}.get(
        str(params.get("separator") or ","), str(params.get("separator") or ",")
    )
    return [{"name": name.strip(), "dtype": ""} for name in text.splitlines()[0].split(sep)]


def infer(
    module: str,
    params: Mapping[str, Any],
    inputs: Mapping[str, Known],
    dataset_columns: DatasetColumns,
    recorded_fit: RecordedFits = lambda params: None,
) -> Mapping[str, Known] | None:
    """Output port -> columns (a transform port: its effect on columns) of one built-in module's
    node; None where it is not known."""
    if module == "data.sample_dataset":
        return {"dataset": _samples().get(str(params.get("name")))}
    if module == "data.registered_dataset":
        name = str(params.get("name") or "").strip()
        return {"dataset": dataset_columns(name, params.get("version") or None) if name else None}
    if module == "data.enter_data":
        return {"dataset": _enter(params)}
    if module == "transform.frozen_transform":
        fit = recorded_fit(params)
        if fit is None or fit[0].rpartition("@")[0] not in FITTING - IN_PLACE:
            return {"transform": None}
        return {"transform": effect(fit[1], fit[2])}
    table = _table(inputs.get("dataset"))
    if module == "transform.apply_transform":
        change = inputs.get("transform")
        if table is None or not isinstance(change, dict):
            return {"dataset": None}
        return {"dataset": applied(change, table)}
    answer = _columns_of(module, params, {port: _table(v) for port, v in inputs.items()})
    if module not in FITTING or table is None:
        return answer
    return {**(answer or {}), "transform": effect(table, (answer or {}).get("dataset"))}


def _table(value: Known) -> Columns:
    """A table port's columns (None for a transform's effect)."""
    return value if isinstance(value, list) else None


def _columns_of(
    module: str, params: Mapping[str, Any], inputs: Mapping[str, Columns]
) -> Mapping[str, Columns] | None:
    """`infer` for the modules that read a table."""
    if module in PASS_THROUGH:
        source, outputs = PASS_THROUGH[module]
        return dict.fromkeys(outputs, inputs.get(source))
    table = inputs.get("dataset")
    if module == "transform.clean_missing" and table is not None:
        return {"dataset": _cleaned(params, table)}
    if module == "transform.normalize" and table is not None:
        return {"dataset": _normalized(params, table)}
    if module == "transform.select_columns":
        return {"dataset": _select(params, table) if table is not None else None}
    if module == "transform.edit_metadata":
        return {"dataset": _edit(params, table) if table is not None else None}
    if module == "transform.join":
        left, right = inputs.get("left"), inputs.get("right")
        return {"dataset": _join(left, right) if left is not None and right is not None else None}
    if module == "transform.add_columns":
        left, right = inputs.get("left"), inputs.get("right")
        if left is None or right is None:
            return {"dataset": None}
        names = paired_names([c["name"] for c in left], [c["name"] for c in right])
        return {"dataset": left + [{**c, "name": n} for c, n in zip(right, names, strict=True)]}
    if module == "transform.pca" and table is not None:
        return _pca(params, table)
    if module == "transform.group_into_bins" and table is not None:
        return _bins(params, table)
    if module == "transform.clip" and table is not None:
        clipped = _reduced(params, table)
        bounds = [("Column", "str"), ("Lower", "float64"), ("Upper", "float64")]
        bounds += [("Below", "int64"), ("Above", "int64")]
        return {
            "dataset": None if clipped is None else _retyped(table, clipped, "float64"),
            "bounds": [{"name": n, "dtype": t} for n, t in bounds],
        }
    if module == "transform.math" and table is not None:
        return {"dataset": _math(params, table)}
    if module == "transform.text_features":  # the n-grams are known once fitted
        vocabulary = [("Column", "str"), ("N-gram", "str"), ("Rows", "int64"), ("IDF", "float64")]
        return {"vocabulary": [{"name": n, "dtype": t} for n, t in vocabulary], "dataset": None}
    if module == "transform.preprocess_text" and table is not None:
        return {"dataset": _preprocessed(params, table)}
    if module == "transform.feature_hashing" and table is not None:
        return {"dataset": _hashed(params, table)}
    if module == "transform.lda":
        return _topics(params, table)
    if module == "stats.summarize":
        return {"statistics": SUMMARY_COLUMNS}
    if module == "stats.correlation" and table is not None:
        return {"correlations": _correlations(params, table)}
    if module == "ml.score_model" and table is not None:
        # the probability columns depend on the model's classes: only the label is certain
        scores = (SCORED_LABELS, SCORED_PROBABILITIES, ANOMALY_SCORE)
        kept = [c for c in table if not c["name"].startswith(scores)]
        return {"dataset": [*kept, {"name": SCORED_LABELS, "dtype": ""}]}
    if module == "ml.compare_learners":
        return {"leaderboard": LEADERBOARD_COLUMNS, "model": None}
    if module == "ml.score_svd_recommender":
        return {"dataset": _recommended(params, table)}
    return None


def recommended_columns(count: int) -> list[str]:
    """Item recommendation's item columns, best first: "Recommended Item 1" … N."""
    return [f"{RECOMMENDED_ITEM} {k}" for k in range(1, count + 1)]


def _recommended(params: Mapping[str, Any], table: Columns) -> Columns:
    """Score SVD recommender: the rows with a Scored Rating, or User then the N items (their
    types are the trained model's, unknown here)."""
    if str(params.get("mode") or "rating_prediction") == "item_recommendation":
        count = int(params.get("count") or 5)
        names = [RECOMMENDED_USER, *recommended_columns(count)]
        return [{"name": name, "dtype": ""} for name in names]
    if table is None:
        return None
    kept = [c for c in table if c["name"] != SCORED_RATING]
    return [*kept, {"name": SCORED_RATING, "dtype": "float64"}]


def sample_columns() -> dict[str, list[Column]]:
    """The columns of every sample dataset, read from the data itself (to refresh the JSON)."""
    from designer.modules.data import load_sample
    from designer.modules.specs.data import SAMPLE_DATASETS

    return {
        name: [{"name": str(c), "dtype": str(t)} for c, t in load_sample(name).dtypes.items()]
        for name in SAMPLE_DATASETS
    }


if __name__ == "__main__":
    print(json.dumps(sample_columns(), indent=1))
