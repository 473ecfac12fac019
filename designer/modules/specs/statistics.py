"""Specs of the statistical functions: a table's summary statistics and its correlations."""

from __future__ import annotations

from designer.engine.registry import ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import builtin

CATEGORY = "Statistical functions"
CORRELATION_METHODS = ("pearson", "spearman", "kendall")
_TABLE = PortSpec("dataset", PortType.DATAFRAME, "The input table.")

SPECS = [
    builtin(
        "stats.summarize",
        "Summarize data",
        CATEGORY,
        """One row per column of the input: its type, how many values it has, misses and
        distinct values, its most frequent value, and for numbers the mean, standard deviation,
        minimum, quartiles, maximum, skewness and kurtosis (as pandas computes them: sample
        statistics over the values present).""",
        "statistics:summarize",
        inputs=(_TABLE,),
        outputs=(PortSpec("statistics", PortType.DATAFRAME, "One row per column."),),
        helpers=("_frames",),
    ),
    builtin(
        "stats.correlation",
        "Compute correlation",
        CATEGORY,
        """The correlation of every pair of numeric columns, as a matrix: Pearson (linear),
        Spearman or Kendall (rank), as pandas computes them, each pair over the rows where both
        have a value.""",
        "statistics:correlation",
        inputs=(_TABLE,),
        outputs=(
            PortSpec(
                "correlations", PortType.DATAFRAME, "One row and one column per numeric column."
            ),
        ),
        params=(
            ParamSpec(
                "columns",
                ParamType.COLUMNS,
                (),
                description="Numeric columns to correlate; empty means every numeric column.",
            ),
            ParamSpec("method", ParamType.ENUM, "pearson", choices=CORRELATION_METHODS),
        ),
        helpers=("_frames",),
    ),
]
