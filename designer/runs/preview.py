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


def table_page(
    source: Path | bytes, offset: int, limit: int, summary: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Rows [offset, offset+limit) of a Parquet table, its column names and its summary
    (`summary`, when it was stored with the table: then only the page becomes a DataFrame)."""
    table = pq.read_table(
        pa.BufferReader(source) if isinstance(source, bytes) else source, memory_map=True
    )
    page = table.slice(offset, limit).to_pandas()
    if not summary or "columns" not in summary:
        summary = summarize_frame(table.to_pandas())
    return {
        "total_rows": table.num_rows,
        "offset": offset,
        "limit": limit,
        "columns": [str(c) for c in page.columns],
        "rows": [json_safe(list(row)) for row in page.itertuples(index=False, name=None)],
        "summary": summary,
    }


def csv_chunks(path: Path, rows: int = 50_000) -> Iterator[bytes]:
    """A Parquet table as CSV text (a header, then rows), a batch of rows at a time."""
    import pyarrow.csv as pcsv

    source = pq.ParquetFile(path)
    for i, batch in enumerate(source.iter_batches(batch_size=rows)):
        sink = pa.BufferOutputStream()
        pcsv.write_csv(batch, sink, pcsv.WriteOptions(include_header=i == 0))
        yield sink.getvalue().to_pybytes()
