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
    """Read the dataset version a call named, or pass the connected data through."""
    name = str(ctx.params.get("dataset") or "").strip()
    if name:
        version = ctx.params.get("version") or None
        if version is None:  # "the latest" would change under a cached result
            raise StepError(
                f"version: give the version digest of dataset '{name}'", param="version"
            )
        try:
            _, digest = ctx.datasets.read(name, version)
        except (KeyError, FileNotFoundError, LookupError) as exc:
            raise StepError(f"dataset: {exc}", param="dataset") from exc
        ctx.log(f"read dataset '{name}' version {digest}")
        # as a stored artifact: the output is kept as a reference to it (data.registered_dataset)
        return {"dataset": ctx.artifact(digest, "parquet")}
    if ctx.input("dataset") is None:
        raise StepError(
            "Web service input has no connected data: in a batch run connect a dataset to it",
            port="dataset",
        )
    return {"dataset": frame(ctx, "dataset", allow_empty=True)}


def web_service_output(ctx: StepContext) -> Mapping[str, Any]:
    """Pass the response rows through."""
    return {"dataset": frame(ctx, "dataset", allow_empty=True)}
