"""A finished call's published outputs as downloads: CSV, JSON (an array of rows), Parquet."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
from django.http import FileResponse, HttpResponse

from designer.api_errors import ApiError
from designer.endpoints.models import Invocation
from designer.engine.store import ArtifactError
from designer.runs.engine_setup import artifact_store
from designer.runs.models import RunStatus
from designer.runs.records import find_step

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}


def output_download(call: Invocation, name: str, fmt: str) -> HttpResponse:
    """The output `name` of a call in format `fmt` (409 until the call has succeeded)."""
    if fmt not in MEDIA_TYPES:
        raise ApiError(
            400,
            "invalid",
            f"?format={fmt!r} is not one of {sorted(MEDIA_TYPES)}.",
            [{"field": "format", "code": "invalid", "message": "use csv, json or parquet"}],
        )
    outputs = {o["name"]: o for o in call.version.interface["outputs"]}
    output = outputs.get(name)
    if output is None:
        raise ApiError(
            404, "not_found", f"Endpoint version has no output {name!r}; it has {sorted(outputs)}."
        )
    status = call.run.status
    if status != RunStatus.SUCCEEDED:
        raise ApiError(
            409, "not_ready", f"Invocation {call.pk} is {status}; outputs exist once it succeeded."
        )
    step = find_step(call.run, output["node"])
    info: dict[str, Any] = step.outputs.get(output["port"], {}) if step else {}
    try:
        path = artifact_store().local_path(info["digest"]) if "digest" in info else None
    except ArtifactError:
        path = None
    if path is None:
        raise ApiError(410, "gone", f"The output {name!r} of invocation {call.pk} is not stored.")
    filename = f"{call.endpoint.name}-{call.pk}-{name}.{fmt}"
    if fmt == "parquet":
        return FileResponse(
            path.open("rb"), as_attachment=True, filename=filename, content_type=MEDIA_TYPES[fmt]
        )
    frame = pd.read_parquet(path)
    body = frame.to_csv(index=False) if fmt == "csv" else rows_json(frame)
    response = HttpResponse(body, content_type=MEDIA_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def rows_json(frame: pd.DataFrame) -> str:
    """A table as a JSON array of row objects: floats exact, missing values null."""
    columns = [str(c) for c in frame.columns]
    rows = [
        {
            c: None if v is None or v is pd.NaT else _plain(v)
            for c, v in zip(columns, row, strict=True)
        }
        for row in frame.itertuples(index=False, name=None)
    ]
    return json.dumps(rows, default=str)
