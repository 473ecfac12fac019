"""Writes for datasets: uploads (CSV or Parquet) become content-addressed versions in the store.

Files live in the engine's FileDatasetStore under DESIGNER_DATASET_ROOT/<workspace id>, where the
registered-dataset module reads them in workers; the rows here index them for the API.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from designer.api_errors import ApiError
from designer.engine.artifacts import summarize_frame
from designer.engine.datasets import FileDatasetStore
from designer.runs.models import Dataset, DatasetVersion
from designer.workspaces.models import Workspace


def store_for(workspace_id: int) -> FileDatasetStore:
    """The dataset store of one workspace."""
    return FileDatasetStore(Path(settings.DESIGNER_DATASET_ROOT) / str(workspace_id))


def _write_version(
    dataset: Dataset, frame: pd.DataFrame, user: Any, filename: str, description: str
) -> DatasetVersion:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        digest = store_for(dataset.workspace_id).write(dataset.name, path, description)
        size = path.stat().st_size
    existing = dataset.versions.filter(digest=digest).first()
    if existing is not None:
        return existing
    return DatasetVersion.objects.create(
        dataset=dataset,
        digest=digest,
        size=size,
        rows=len(frame),
        columns=[str(c) for c in frame.columns],
        summary=summarize_frame(frame),
        original_filename=filename,
        created_by=user,
    )


def read_upload(upload: UploadedFile) -> pd.DataFrame:
    """Parse an uploaded CSV or Parquet file (413 when too big, 400 naming the parse error)."""
    if upload.size is not None and upload.size > settings.DESIGNER_MAX_UPLOAD_BYTES:
        raise ApiError(
            413,
            "payload_too_large",
            f"{upload.name} is {upload.size} bytes; uploads are limited to "
            f"{settings.DESIGNER_MAX_UPLOAD_BYTES} bytes.",
        )
    name = (upload.name or "").lower()
    data = upload.read()
    if name.endswith(".parquet") or data[:4] == b"PAR1":
        try:
            return pq.read_table(pa.BufferReader(data)).to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise ApiError(
                400, "invalid_file", f"{upload.name} is not a readable Parquet file: {exc}"
            ) from exc
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_file", f"{upload.name} is not UTF-8 text: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise ApiError(400, "invalid_file", f"{upload.name} is empty: no columns to read.") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise ApiError(400, "invalid_file", f"{upload.name} is not valid CSV: {exc}") from exc
    if frame.columns.empty:
        raise ApiError(400, "invalid_file", f"{upload.name} has no columns.")
    return frame


def add_version(
    workspace: Workspace,
    user: Any,
    name: str,
    frame: pd.DataFrame,
    filename: str = "",
    description: str = "",
) -> DatasetVersion:
    """Store a table as a new version of dataset `name` (created when new)."""
    try:
        with transaction.atomic():
            dataset, _ = Dataset.objects.get_or_create(
                workspace=workspace, name=name, defaults={"description": description}
            )
            return _write_version(dataset, frame, user, filename, description)
    except IntegrityError as exc:  # a concurrent upload of the same content
        raise ApiError(
            409, "conflict", f"Dataset {name!r} changed during the upload; retry."
        ) from exc


def upload(
    workspace: Workspace, user: Any, name: str, upload: UploadedFile, description: str = ""
) -> DatasetVersion:
    """Add an uploaded file as a new version of dataset `name` (created when new)."""
    return add_version(workspace, user, name, read_upload(upload), upload.name or "", description)


def sync_from_store(workspace_id: int) -> None:
    """Index versions that steps wrote straight into the store (e.g. an "export dataset" step)."""
    store = store_for(workspace_id)
    known = set(
        DatasetVersion.objects.filter(dataset__workspace_id=workspace_id).values_list(
            "dataset__name", "digest"
        )
    )
    for name in store.names():
        for entry in store.versions(name):
            if (name, entry["version"]) in known:
                continue
            path, digest = store.read(name, entry["version"])
            frame = pq.read_table(path).to_pandas()
            with transaction.atomic():
                dataset, _ = Dataset.objects.get_or_create(workspace_id=workspace_id, name=name)
                DatasetVersion.objects.get_or_create(
                    dataset=dataset,
                    digest=digest,
                    defaults={
                        "size": path.stat().st_size,
                        "rows": len(frame),
                        "columns": [str(c) for c in frame.columns],
                        "summary": summarize_frame(frame),
                        "original_filename": "",
                    },
                )


def delete_dataset(dataset: Dataset) -> None:
    """Delete a dataset with all its versions and files."""
    folder = store_for(dataset.workspace_id).root / dataset.name
    with transaction.atomic():
        dataset.delete()
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
