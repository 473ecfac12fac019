"""Writes for datasets: uploads (CSV or Parquet) become content-addressed versions in the store.

Versions live in the artifact store (engine.datasets.StoredDatasets, the workspace's space),
where the registered-dataset module reads them on any worker host; the rows here index them for
the API. A version a step wrote names its run and node in the store (StoredDatasets.write's
`writer`), so the index shows who wrote it and can be rebuilt from the store alone.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from designer.activity.log import record
from designer.activity.models import Action, TargetKind
from designer.api_errors import ApiError
from designer.engine import bounded_parquet
from designer.engine.artifacts import column_name_too_long, long_column_name, summarize_parquet
from designer.engine.datasets import StoredDatasets
from designer.runs import engine_setup, room
from designer.runs.csv_dialect import AUTO, CsvDialect, DialectError, detect, encoding_name
from designer.runs.models import Dataset, DatasetUsage, DatasetVersion, Run
from designer.sizes import size_text
from designer.workspaces.models import Workspace


def store_for(workspace_id: int) -> StoredDatasets:
    """The registered datasets of one workspace."""
    return engine_setup.dataset_store(workspace_id)


CHUNK_ROWS = 50_000  # rows an upload is converted at a time: memory stays bounded
# columns of an uploaded table: converting and summarizing cost ~0.6 ms a column, so a header of
# "c," repeated (a few bytes a column) would hold a request for minutes (decision 0086)
MAX_UPLOAD_COLUMNS = 10_000
HEADER_BYTES = 1024 * 1024  # a CSV's first record (its column names) ends within this


def _wider(a: Any, b: Any) -> Any:
    """The dtype that holds the values of two chunks of one CSV column."""
    if a == b:
        return a
    if a.kind in "iuf" and b.kind in "iuf":
        return np.dtype("float64")
    return np.dtype("object")


def _read_csv(upload: UploadedFile, dialect: CsvDialect, **options: Any) -> Any:
    """The CSV's chunks of CHUNK_ROWS rows, read in `dialect`."""
    return pd.read_csv(
        upload.file,  # the file itself: pandas takes Django's wrapper for text, and reads UTF-8
        chunksize=CHUNK_ROWS,
        encoding=dialect.encoding,
        sep=dialect.separator,
        decimal=dialect.decimal,
        **options,
    )


def _csv_dtypes(upload: UploadedFile, dialect: CsvDialect) -> dict[str, Any]:
    """First pass: each column's dtype over the whole file, chunk by chunk."""
    dtypes: dict[str, Any] = {}
    for chunk in _read_csv(upload, dialect):
        for name, dtype in chunk.dtypes.items():
            dtypes[name] = _wider(dtypes[name], dtype) if name in dtypes else dtype
    return dtypes


def _arrow_type(dtype: Any) -> pa.DataType:
    if dtype.kind == "O":
        # CSV text (and the nulls between it) as large_string, as every step's text output is,
        # so that a step reading the dataset keeps its text columns as references to it
        return pa.large_string()
    return pa.from_numpy_dtype(dtype)


def _not_text(upload: UploadedFile, dialect: CsvDialect, exc: UnicodeError) -> ApiError:
    """The 400 for a CSV that does not decode in the encoding chosen or detected."""
    return ApiError(
        400,
        "invalid_file",
        f"{upload.name} is not {encoding_name(dialect.encoding)} text ({exc}); choose its "
        "encoding.",
    )


def _csv_batches(upload: UploadedFile, dialect: CsvDialect) -> Iterator[pa.Table]:
    """The CSV as Arrow tables of CHUNK_ROWS rows, every one with the whole file's column types."""
    try:
        dtypes = _csv_dtypes(upload, dialect)
        upload.seek(0)
        schema = pa.schema([(name, _arrow_type(dtype)) for name, dtype in dtypes.items()])
        for chunk in _read_csv(upload, dialect, dtype=dtypes):
            yield pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
    except UnicodeError as exc:  # UnicodeDecodeError, or a codec's own (punycode, idna)
        raise _not_text(upload, dialect, exc) from exc
    except pd.errors.EmptyDataError as exc:
        raise ApiError(400, "invalid_file", f"{upload.name} is empty: no columns to read.") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise ApiError(400, "invalid_file", f"{upload.name} is not valid CSV: {exc}") from exc


def _parquet_batches(upload: UploadedFile) -> Iterator[pa.Table]:
    """A Parquet upload as Arrow tables of at most CHUNK_ROWS rows (413 once it is known to
    decode to more than DESIGNER_MAX_UPLOAD_TABLE_BYTES)."""
    limit = settings.DESIGNER_MAX_UPLOAD_TABLE_BYTES
    try:
        yield from bounded_parquet.batches(upload, CHUNK_ROWS, limit)
    except bounded_parquet.TooLarge as exc:
        raise ApiError(
            413,
            "payload_too_large",
            f"{upload.name} decodes to more than {size_text(limit)} (at least "
            f"{size_text(exc.size)}); uploaded tables are limited to {size_text(limit)}.",
        ) from exc
    except (pa.ArrowException, OSError) as exc:
        raise ApiError(
            400, "invalid_file", f"{upload.name} is not a readable Parquet file: {exc}"
        ) from exc


def _check_columns(upload: UploadedFile, head: bytes, dialect: CsvDialect | None) -> None:
    """400 when an upload (whose first HEADER_BYTES + 1 bytes are `head`) has more than
    MAX_UPLOAD_COLUMNS columns (or a CSV header record longer than HEADER_BYTES), told before
    any of it is converted."""
    if dialect is None:
        try:
            count = pq.ParquetFile(upload).metadata.num_columns
        except (pa.ArrowException, OSError) as exc:
            raise ApiError(
                400, "invalid_file", f"{upload.name} is not a readable Parquet file: {exc}"
            ) from exc
        finally:
            upload.seek(0)
    else:
        try:
            text = head[:HEADER_BYTES].decode(dialect.encoding, errors="replace")
        except UnicodeError as exc:  # a codec that refuses `errors` (punycode, idna)
            raise _not_text(upload, dialect, exc) from exc
        stream = io.StringIO(text, newline="")
        try:
            names = next(csv.reader(stream, delimiter=dialect.separator), [])
        except csv.Error:  # a name past the csv module's field limit (128 KB)
            names = []
        if len(head) > HEADER_BYTES and (not names or stream.tell() >= len(text)):
            raise ApiError(
                400,
                "invalid_file",
                f"{upload.name}'s first line (the column names) is longer than "
                f"{size_text(HEADER_BYTES)}.",
            )
        count = len(names)
    if count > MAX_UPLOAD_COLUMNS:
        raise ApiError(
            400,
            "invalid_file",
            f"{upload.name} has {count:,} columns; an uploaded table has at most "
            f"{MAX_UPLOAD_COLUMNS:,}.",
        )


def _is_parquet(upload: UploadedFile, head: bytes) -> bool:
    """Whether an upload is a Parquet file (by its name or its first bytes), not CSV."""
    return (upload.name or "").lower().endswith(".parquet") or head[:4] == b"PAR1"


def _csv_dialect(upload: UploadedFile, head: bytes, **chosen: str) -> CsvDialect:
    """The dialect to read a CSV upload with: what the uploader chose, the rest detected."""
    try:
        return detect(upload, head, **chosen)
    except DialectError as exc:
        raise ApiError(400, "invalid_file", f"{upload.name} {exc}.") from exc


def _convert(upload: UploadedFile, dialect: CsvDialect | None, target: Path) -> None:
    """Write an uploaded CSV (read in `dialect`) or Parquet file (no dialect) as Parquet, a chunk
    at a time (400 when unreadable)."""
    writer = None
    batches = _parquet_batches(upload) if dialect is None else _csv_batches(upload, dialect)
    try:
        for table in batches:
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
        pa.default_memory_pool().release_unused()
    schema = None if writer is None else pq.read_schema(target)
    names = [] if schema is None else schema.names
    if not names:
        raise ApiError(400, "invalid_file", f"{upload.name} has no columns.")
    if (long := long_column_name(schema)) is not None:
        raise ApiError(400, "invalid_file", f"{upload.name} {column_name_too_long(long)}.")
    if any("\x00" in str(name) for name in names):
        raise ApiError(
            400, "invalid_file", f"{upload.name} has a column name with a NUL character (\\u0000)."
        )


def _version_fields(path: Path) -> dict[str, Any]:
    """Size, rows, column names and summary of a stored Parquet version (a column at a time)."""
    summary = _without_nul(summarize_parquet(path))
    return {
        "size": path.stat().st_size,
        "rows": summary["rows"],
        "columns": [_without_nul(str(name)) for name in pq.read_schema(path).names],
        "summary": summary,
    }


def _without_nul(value: Any) -> Any:
    """`value` with every NUL in its text shown as U+FFFD: no database keeps a NUL in JSON
    (PostgreSQL's jsonb refuses it), and a table's values (or a run's column names) may hold one."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _write_version(
    dataset: Dataset,
    table: Path,
    user: Any,
    filename: str,
    description: str,
    origin: dict[str, Any] | None = None,
) -> DatasetVersion:
    digest = store_for(dataset.workspace_id).write(dataset.name, table, description)
    existing = dataset.versions.filter(digest=digest).first()
    if existing is not None:
        return existing
    return DatasetVersion.objects.create(
        dataset=dataset,
        digest=digest,
        original_filename=filename,
        created_by=user,
        origin=origin or {},
        **_version_fields(table),
    )


def read_upload(
    upload: UploadedFile,
    folder: Path,
    encoding: str = AUTO,
    separator: str = AUTO,
    decimal: str = AUTO,
) -> tuple[Path, CsvDialect | None]:
    """Convert an uploaded CSV or Parquet file into a Parquet file in `folder`, a chunk at a time,
    with the dialect a CSV file was read in (the parts not chosen detected; None for Parquet).

    413 when the upload is too big, 400 naming the file and its parse error.
    """
    if upload.size is not None and upload.size > settings.DESIGNER_MAX_UPLOAD_BYTES:
        raise ApiError(
            413,
            "payload_too_large",
            f"{upload.name} is {size_text(upload.size)}; uploads are limited to "
            f"{size_text(settings.DESIGNER_MAX_UPLOAD_BYTES)}.",
        )
    upload.seek(0)
    head = upload.read(HEADER_BYTES + 1)  # read once: for the kind, the dialect, the columns
    upload.seek(0)
    dialect = None
    if not _is_parquet(upload, head):
        chosen = {"encoding": encoding, "separator": separator, "decimal": decimal}
        dialect = _csv_dialect(upload, head, **chosen)
    _check_columns(upload, head, dialect)
    target = folder / f"upload-{uuid.uuid4().hex}.parquet"
    _convert(upload, dialect, target)
    return target, dialect


def add_version(
    workspace: Workspace,
    user: Any,
    name: str,
    table: Path,
    filename: str = "",
    description: str = "",
    origin: dict[str, Any] | None = None,
) -> DatasetVersion:
    """Store a Parquet file (from read_upload) as a new version of dataset `name`; `origin`
    names the endpoint call that sent it (as `Run.origin`), if one did."""
    try:
        with transaction.atomic():
            dataset, _ = Dataset.objects.get_or_create(
                workspace=workspace, name=name, defaults={"description": description}
            )
            if dataset.archived:  # a new version brings an archived dataset back
                Dataset.objects.filter(pk=dataset.pk).update(archived=False)
            transaction.on_commit(lambda: room.changed(workspace.pk))
            return _write_version(dataset, table, user, filename, description, origin)
    except IntegrityError as exc:  # a concurrent upload of the same content
        raise ApiError(
            409, "conflict", f"Dataset {name!r} changed during the upload; retry."
        ) from exc


def upload(
    workspace: Workspace,
    user: Any,
    name: str,
    upload: UploadedFile,
    description: str = "",
    **chosen: str,
) -> tuple[DatasetVersion, CsvDialect | None]:
    """Add an uploaded file as a new version of dataset `name` (created when new), with the
    dialect a CSV file was read in: `chosen` encoding, separator and decimal mark, the rest
    detected (None for Parquet). Refused (507, 409) when the disk or the workspace has no room."""
    room.require_room(workspace.pk, upload.size or 0)
    with tempfile.TemporaryDirectory() as folder:
        table, dialect = read_upload(upload, Path(folder), **chosen)
        version = add_version(workspace, user, name, table, upload.name or "", description)
    return version, dialect


def _writer_fields(workspace_id: int, entry: dict[str, Any]) -> dict[str, Any]:
    """The run step a store entry says wrote it, when that is a run of this workspace."""
    writer = entry.get("written_by")
    if not isinstance(writer, dict) or not str(writer.get("run", "")).isdigit():
        return {}
    run = Run.objects.filter(pk=int(writer["run"]), workspace_id=workspace_id).first()
    if run is None:  # deleted, or not this workspace's to show: no claim is shown
        return {}
    return {
        "written_by_run": run,
        "written_by_step": str(writer.get("node", ""))[:200],
        "written_by_label": str(writer.get("label", ""))[:200],
    }


def _schedules_reading(dataset: Dataset) -> list[tuple[int, str]]:
    """(id, label) of each endpoint schedule of the dataset's workspace that reads it."""
    from designer.endpoints.models import Schedule  # the endpoints app builds on runs

    schedules = Schedule.objects.filter(endpoint__workspace_id=dataset.workspace_id)
    return [
        (schedule.pk, f"schedule {schedule.pk} of endpoint {schedule.endpoint.name}")
        for schedule in schedules.select_related("endpoint").order_by("pk")
        if any(ref.get("dataset") == dataset.name for ref in schedule.inputs.values())
    ]


def _ungrant(dataset: Dataset) -> None:
    """Take a deleted dataset off the endpoints that grant it to keys: a dataset made later
    under its name is not granted with it (decision 0093)."""
    from designer.endpoints.models import Endpoint  # the endpoints app builds on runs

    for endpoint in Endpoint.objects.filter(workspace_id=dataset.workspace_id):
        if dataset.name in endpoint.key_datasets:
            endpoint.key_datasets = [n for n in endpoint.key_datasets if n != dataset.name]
            endpoint.save(update_fields=["key_datasets"])


def sync_from_store(workspace_id: int) -> None:
    """Index versions that steps wrote straight into the store (e.g. an "export dataset" step),
    with the run step each names as its writer."""
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
            with transaction.atomic():
                dataset, _ = Dataset.objects.get_or_create(workspace_id=workspace_id, name=name)
                DatasetVersion.objects.get_or_create(
                    dataset=dataset,
                    digest=digest,
                    defaults={
                        **_version_fields(path),
                        **_writer_fields(workspace_id, entry),
                        "original_filename": "",
                    },
                )


def _dataset_entry(dataset: Dataset, actor: Any, action: Action) -> None:
    record(
        dataset.workspace_id,
        actor,
        action,
        TargetKind.DATASET,
        dataset.pk,
        dataset.name,
        versions=dataset.versions.count(),
    )


def delete_dataset(dataset: Dataset, actor: Any, archive: bool = False) -> None:
    """Delete a dataset with all its versions and files; one that runs read or a schedule reads
    is refused (409 naming them) unless archived instead: hidden from lists, kept for those runs
    and schedules."""
    if archive:
        with transaction.atomic():
            if Dataset.objects.filter(pk=dataset.pk, archived=False).update(archived=True):
                _dataset_entry(dataset, actor, Action.DATASET_ARCHIVED)
        return
    runs = sorted(
        set(DatasetUsage.objects.filter(version__dataset=dataset).values_list("run_id", flat=True))
    )
    schedules = _schedules_reading(dataset)
    if runs or schedules:
        readers = []
        if runs:
            shown = ", ".join(f"#{r}" for r in runs[:10]) + (" …" if len(runs) > 10 else "")
            readers.append(f"was read by runs {shown}")
        if schedules:
            readers.append("is read by " + ", ".join(label for _, label in schedules))
        said = f"Dataset {dataset.name!r} {' and '.join(readers)}"
        raise ApiError(
            409,
            "dataset_in_use",
            f"{said}; archive it instead (?archive=1) to keep it for them.",
            runs=runs,
            schedules=[pk for pk, _ in schedules],
            readers=f"{said}.",  # the same without the API's way out, for a page to ask in words
        )
    store, name = store_for(dataset.workspace_id), dataset.name
    with transaction.atomic():
        _dataset_entry(dataset, actor, Action.DATASET_DELETED)
        _ungrant(dataset)
        dataset.delete()
        transaction.on_commit(lambda: store.delete(name))
        transaction.on_commit(lambda: room.changed(dataset.workspace_id))
