"""Data input modules: bundled sample datasets, registered datasets, CSV typed by hand."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules.specs.data import SAMPLE_DATASETS

DATA_DIR = Path(__file__).resolve().parent / "data"
SEPARATORS = {",": ",", ";": ";", "tab": "\t", "|": "|"}


def _sklearn_frame(name: str) -> pd.DataFrame:
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}")
    bunch = loader(as_frame=True)
    df: pd.DataFrame = bunch.frame.copy()
    if name in ("iris", "wine"):  # class names read better than codes on the canvas
        names = list(bunch.target_names)
        df["target"] = pd.Series([names[i] for i in bunch.target], dtype="str")
    return df


def load_sample(name: str) -> pd.DataFrame:
    """Return a bundled sample dataset by name (never downloads anything)."""
    if name not in SAMPLE_DATASETS:
        raise StepError(
            f"name: unknown sample dataset '{name}'; choose one of {', '.join(SAMPLE_DATASETS)}",
            param="name",
        )
    csv_path = DATA_DIR / f"{name}.csv"
    if csv_path.exists():
        return pd.read_csv(csv_path)
    return _sklearn_frame(name)


def sample_dataset(ctx: StepContext) -> Mapping[str, Any]:
    """Load a bundled sample dataset."""
    df = load_sample(str(ctx.params["name"]))
    ctx.log(f"loaded sample dataset '{ctx.params['name']}': {len(df)} rows, {df.shape[1]} columns")
    return {"dataset": df}


def registered_dataset(ctx: StepContext) -> Mapping[str, Any]:
    """Read a registered dataset (latest or a given version) through the dataset store."""
    name = str(ctx.params["name"] or "").strip()
    if not name:
        raise StepError("name: give the name of a registered dataset", param="name")
    version = ctx.params.get("version") or None
    try:
        _, digest = ctx.datasets.read(name, version)
    except (KeyError, FileNotFoundError, LookupError) as exc:
        which = f"version {version} of " if version else ""
        raise StepError(
            f"name: {which}dataset '{name}' is not registered ({exc})", param="name"
        ) from exc
    # read as a stored artifact (what datasets are): the output is kept as a reference to it,
    # not as another copy of the table
    df = ctx.artifact(digest, "parquet")
    ctx.log(f"read dataset '{name}' version {digest}: {len(df)} rows")
    return {"dataset": df}


def enter_data(ctx: StepContext) -> Mapping[str, Any]:
    """Parse CSV text with a header line into a table, inferring column types."""
    text = str(ctx.params.get("csv") or "")
    if not text.strip():
        raise StepError("csv: enter at least a header line and one row", param="csv")
    sep = SEPARATORS.get(str(ctx.params.get("separator", ",")), ",")
    try:
        df = pd.read_csv(io.StringIO(text.strip("\n")), sep=sep, skipinitialspace=True)
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise StepError(f"csv: cannot parse the text: {exc}", param="csv") from exc
    if df.empty:
        raise StepError("csv: the text has a header line but no data rows", param="csv")
    df.columns = [str(c).strip() for c in df.columns]
    return {"dataset": df}
