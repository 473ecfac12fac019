"""Pages of a table (Parquet) as JSON: rows from an offset, the columns and their summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from designer.engine.artifacts import summarize_frame
from designer.engine.hashing import json_safe

MAX_LIMIT = 1000


def table_page(source: Path | bytes, offset: int, limit: int) -> dict[str, Any]:
    """Rows [offset, offset+limit) of a Parquet table, its column names and its summary."""
    table = pq.read_table(pa.BufferReader(source) if isinstance(source, bytes) else source)
    page = table.slice(offset, limit).to_pandas()
    frame = table.to_pandas()
    columns = [str(c) for c in frame.columns]
    return {
        "total_rows": table.num_rows,
        "offset": offset,
        "limit": limit,
        "columns": columns,
        "rows": [json_safe(list(row)) for row in page.itertuples(index=False, name=None)],
        "summary": summarize_frame(frame),
    }
