"""A table (Parquet) in pages as JSON (rows, columns and their summary), and as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from designer.engine.artifacts import summarize_frame
from designer.engine.hashing import json_safe

MAX_LIMIT = 1000
BATCH_ROWS = 1024  # rows decoded at a time on the way to a page


def table_page(
    source: Path | bytes, offset: int, limit: int, summary: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Rows [offset, offset+limit) of a Parquet table, its column names and its summary
    (`summary`, when it was stored with the table: then only the row groups holding the page
    are read, and only the page becomes a DataFrame)."""
    file = pq.ParquetFile(
        pa.BufferReader(source) if isinstance(source, bytes) else source,
        memory_map=True,
        pre_buffer=False,
    )
    if not summary or "columns" not in summary:
        table = file.read()
        summary = summarize_frame(table.to_pandas())
        page = table.slice(offset, limit).to_pandas()
    else:
        groups, first = _groups_holding(file.metadata, offset, limit)
        page = _rows(file, groups, offset - first, limit).to_pandas()
    return {
        "total_rows": file.metadata.num_rows,
        "offset": offset,
        "limit": limit,
        "columns": [str(c) for c in page.columns],
        "rows": [json_safe(list(row)) for row in page.itertuples(index=False, name=None)],
        "summary": summary,
    }


def _rows(file: pq.ParquetFile, groups: list[int], skip: int, limit: int) -> pa.Table:
    """`limit` rows after the first `skip` of row groups `groups`, decoded BATCH_ROWS rows at a
    time: a row group of wide rows (long texts) can be gigabytes, a page of it is not."""
    kept: list[pa.RecordBatch] = []
    wanted = limit
    batches = file.iter_batches(BATCH_ROWS, row_groups=groups, use_threads=False) if groups else []
    for batch in batches:
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        kept.append(batch.slice(skip, wanted))
        wanted -= kept[-1].num_rows
        skip = 0
        if not wanted:
            break
    return pa.Table.from_batches(kept, schema=file.schema_arrow)


def _groups_holding(metadata: Any, offset: int, limit: int) -> tuple[list[int], int]:
    """The row groups holding rows [offset, offset+limit), and the first one's first row."""
    groups: list[int] = []
    first = start = 0
    for i in range(metadata.num_row_groups):
        end = start + metadata.row_group(i).num_rows
        if end > offset and start < offset + limit:
            if not groups:
                first = start
            groups.append(i)
        start = end
    return groups, first


def csv_chunks(path: Path) -> Iterator[bytes]:
    """A Parquet table as CSV text (a header, then rows), BATCH_ROWS rows at a time: a row group
    of wide rows can be gigabytes (read without pre-buffering, nothing is read ahead)."""
    import pyarrow.csv as pcsv

    source = pq.ParquetFile(path, memory_map=True, pre_buffer=False)
    for i, batch in enumerate(source.iter_batches(BATCH_ROWS, use_threads=False)):
        sink = pa.BufferOutputStream()
        pcsv.write_csv(batch, sink, pcsv.WriteOptions(include_header=i == 0))
        yield sink.getvalue().to_pybytes()
