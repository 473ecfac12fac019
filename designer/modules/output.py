"""Output modules: export to a registered dataset, and the web service input/output markers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame


def export_data(ctx: StepContext) -> Mapping[str, Any]:
    """Write the input table as a new version of a registered dataset."""
    name = str(ctx.params["name"] or "").strip()
    if not name:
        raise StepError("name: give the dataset a name", param="name")
    df = frame(ctx, "dataset", allow_empty=True)
    path = ctx.workdir / "export.parquet"
    df.to_parquet(path, index=False)
    version = ctx.datasets.write(name, path, str(ctx.params.get("description") or ""))
    ctx.log(f"registered {len(df)} rows as dataset '{name}' version {version}")
    return {"dataset": df}


def web_service_input(ctx: StepContext) -> Mapping[str, Any]:
    """In a batch run, pass the connected data through."""
    if ctx.input("dataset") is None:
        raise StepError(
            "Web service input has no connected data: in a batch run connect a dataset to it",
            port="dataset",
        )
    return {"dataset": frame(ctx, "dataset", allow_empty=True)}


def web_service_output(ctx: StepContext) -> Mapping[str, Any]:
    """Pass the response rows through."""
    return {"dataset": frame(ctx, "dataset", allow_empty=True)}
