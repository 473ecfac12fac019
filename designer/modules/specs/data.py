"""Specs of the data input modules: sample datasets, registered datasets, manual entry."""

from __future__ import annotations

from designer.engine.registry import ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import builtin

SAMPLE_DATASETS = (
    "iris",
    "wine",
    "breast_cancer",
    "diabetes",
    "digits",
    "loan_applications",
    "restaurant_ratings",
)

_OUT = (PortSpec("dataset", PortType.DATAFRAME, "The loaded table."),)

SPECS = [
    builtin(
        "data.sample_dataset",
        "Sample dataset",
        "Data input",
        """Loads one of the sample datasets bundled with the designer: scikit-learn's iris, wine,
        breast cancer, diabetes and digits sets (read from the files scikit-learn ships, never
        downloaded), or two synthetic CSVs shipped in the repository: loan applications (numeric
        and categorical columns and missing values) and restaurant ratings (300 users' 1-5 star
        ratings of 60 restaurants: user_id, restaurant, rating, cuisine; for the recommendation
        modules). The target column is named "target" (loan applications: "approved";
        restaurant ratings: "rating").""",
        "data:sample_dataset",
        outputs=_OUT,
        params=(
            ParamSpec(
                "name",
                ParamType.ENUM,
                "iris",
                label="Dataset",
                description="Which sample dataset to load.",
                choices=SAMPLE_DATASETS,
            ),
        ),
    ),
    builtin(
        "data.registered_dataset",
        "Registered dataset",
        "Data input",
        """Reads a dataset registered in the workspace, by name and optionally a version (the
        latest version when empty). The dataset is re-read on every run, so a new version is
        picked up; downstream steps are still reused when its content did not change.""",
        "data:registered_dataset",
        outputs=_OUT,
        params=(
            ParamSpec(
                "name", ParamType.STRING, label="Dataset name", description="Registered name."
            ),
            ParamSpec(
                "version",
                ParamType.STRING,
                None,
                description="Version digest to read; empty reads the latest version.",
                nullable=True,
            ),
        ),
        deterministic=False,
    ),
    builtin(
        "data.enter_data",
        "Enter data manually",
        "Data input",
        """Turns CSV text typed or pasted in the inspector into a table. The first line holds the
        column names; column types are inferred (numbers, booleans, text).""",
        "data:enter_data",
        outputs=_OUT,
        params=(
            ParamSpec(
                "csv",
                ParamType.CODE,
                label="CSV text",
                description="Comma-separated values with a header line.",
            ),
            ParamSpec(
                "separator",
                ParamType.ENUM,
                ",",
                description="The field separator.",
                choices=(",", ";", "tab", "|"),
            ),
        ),
    ),
]
