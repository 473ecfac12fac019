"""Port and parameter types, and which output port types may feed which input port types."""

from __future__ import annotations

from enum import StrEnum


class PortType(StrEnum):
    """What flows along a wire."""

    DATAFRAME = "DataFrame"  # a table, stored as Parquet
    MODEL = "Model"  # a trained (or untrained) estimator, stored as a pickle
    TRANSFORM = "Transform"  # a fitted transformation (e.g. normalizer), stored as a pickle
    RECOMMENDER = "Recommender"  # a trained recommender (user-item ratings), stored as a pickle
    METRICS = "Metrics"  # evaluation results, stored as JSON
    FIGURES = "Figures"  # images a step drew ({"figures": [{title, width, height, png}]}), JSON
    ANY = "Any"


class ParamType(StrEnum):
    """The kinds of value a module parameter takes."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRING = "string"
    ENUM = "enum"
    COLUMNS = "columns"  # a list of column names
    COLUMN = "column"  # one column name (text), picked from the input table's columns
    CODE = "code"  # source text (Python or SQL; see ParamSpec.language)


def ports_compatible(source: PortType, target: PortType) -> bool:
    """Return whether an output of type `source` may be wired into an input of type `target`."""
    return source == target or PortType.ANY in (source, target)


def pipeline_parameter_types() -> tuple[ParamType, ...]:
    """Return the types a pipeline parameter may have (scalars that fit in a URL or form)."""
    return (ParamType.INT, ParamType.FLOAT, ParamType.BOOL, ParamType.STRING)
