"""A table (Parquet) in pages as JSON (rows, columns and their summary; long texts and nested
cells cut), and as CSV (whole; nested cells as JSON text); a stored JSON value in an answer."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from designer.engine.artifacts import summarize_frame
from designer.engine.hashing import json_safe
from designer.runs.cells import CELL_CHARS, json_texts, page_cells, short_texts

MAX_LIMIT = 1000
MAX_COLUMNS = 100  # columns of a page: a feature-hashed table has tens of thousands
BATCH_ROWS = 1024  # rows decoded at a time on the way to a page
BATCH_BYTES = 16 << 20  # ... fewer where rows are wider: about this many bytes at a time
# characters of text (cut) a page holds: a canvas page of 50 rows of 100 columns of 1,000 fits;
# 1,000 such rows would be a 100 MB answer (decision 0102)
PAGE_CHARS = 5_000_000


def table_page(
    source: Path | bytes,
    offset: int,
    limit: int,
    summary: dict[str, Any] | None = None,
    first_column: int = 0,
    column_limit: int = MAX_COLUMNS,
) -> dict[str, Any]:
    """Rows [offset, offset+limit) of a Parquet table's columns [first_column,
    first_column+column_limit), the names of those columns, how many the table has, and its
    summary (`summary`, when it was stored with the table: then only the row groups holding the
    page are read, only the page's columns of them, and only the page becomes a DataFrame). A
    text, binary or category cell longer than CELL_CHARS shows its first CELL_CHARS, and `cut`
    names it (page row, page column, full length); a nested cell (list, struct, map) shows about
    CELL_CHARS characters of JSON of it, and `cut` names it with no length (counting it would
    read it whole). A page ends before `limit` rows where its texts pass PAGE_CHARS (its first
    row is shown whatever its length): its `limit` then says how many rows it holds."""
    file = pq.ParquetFile(
        pa.BufferReader(source) if isinstance(source, bytes) else source,
        memory_map=True,
        pre_buffer=False,
    )
    schema = file.schema_arrow
    indices = data_columns(schema)
    shown = indices[first_column : first_column + column_limit]
    page_schema = pa.schema([schema.field(i) for i in shown], metadata=schema.metadata)
    cut: list[dict[str, int | None]] = []
    nested: dict[tuple[int, int], Any] = {}
    if not summary or "columns" not in summary:
        table = file.read()
        summary = summarize_frame(table.to_pandas())
        batches: Iterable[pa.RecordBatch] = table.slice(offset, limit).select(shown).to_batches()
    else:
        groups, first = _groups_holding(file.metadata, offset, limit)
        batches = _rows(file, groups, offset - first, limit, shown)
    shown_batches = _within(_cut(batches, cut, nested), PAGE_CHARS, cut, nested)
    page = pa.Table.from_batches(shown_batches, schema=page_schema).to_pandas()
    rows = [json_safe(list(row)) for row in page.itertuples(index=False, name=None)]
    for (row, column), value in nested.items():
        rows[row][column] = value
    total_rows = file.metadata.num_rows
    ended_early = len(rows) < min(limit, total_rows - offset)  # the texts filled the page
    return {
        "total_rows": total_rows,
        "offset": offset,
        "limit": len(rows) if ended_early else limit,
        "total_columns": len(indices),
        "columns_offset": first_column,
        "columns": [str(c) for c in page.columns],
        "rows": rows,
        "cut": sorted(cut, key=lambda note: (note["row"], note["column"])),
        "summary": summary,
    }


def data_columns(schema: pa.Schema) -> list[int]:
    """The positions of a stored table's columns a page shows: all but a pandas index kept as
    columns (a page numbers its rows by position)."""
    index = (schema.pandas_metadata or {}).get("index_columns", ())
    kept = {name for name in index if type(name) is str}
    return [i for i, name in enumerate(schema.names) if name not in kept]


def _rows(
    file: pq.ParquetFile, groups: list[int], skip: int, limit: int, columns: list[int]
) -> Iterator[pa.RecordBatch]:
    """`limit` rows after the first `skip` of row groups `groups`, of the columns at positions
    `columns` (only those are read, unless the file repeats a name), decoded a batch at a time
    (`batch_rows`): a row group of wide rows (long texts) can be gigabytes, a page of it is
    not."""
    names = file.schema_arrow.names
    unique = len(set(names)) == len(names)
    wanted = limit
    size = batch_rows(file.metadata, groups)
    batches = (
        file.iter_batches(
            size,
            row_groups=groups,
            columns=[names[i] for i in columns] if unique else None,
            use_threads=False,
        )
        if groups
        else []
    )
    for batch in batches:
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        kept = batch.slice(skip, wanted)
        yield kept if unique else kept.select(columns)
        wanted -= kept.num_rows
        skip = 0
        if not wanted:
            break


def batch_rows(metadata: Any, groups: list[int]) -> int:
    """Rows to decode at a time from these row groups: BATCH_ROWS, or as many of their widest
    rows (on average, uncompressed) as fill BATCH_BYTES, at least one."""
    widths = [
        metadata.row_group(i).total_byte_size / max(metadata.row_group(i).num_rows, 1)
        for i in groups
    ]
    widest = max(widths, default=0)
    return max(1, min(BATCH_ROWS, int(BATCH_BYTES // widest))) if widest else BATCH_ROWS


def _cut(
    batches: Iterable[pa.RecordBatch],
    cut: list[dict[str, int | None]],
    nested: dict[tuple[int, int], Any],
) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
    """The batches (one page's, in order) with each text or binary cell longer than CELL_CHARS
    cut to its first CELL_CHARS, noted in `cut` as {row (in the page), column, length}, and
    each row's characters of text as cut. A nested column's cells go to `nested` by (row,
    column), cut (`cells.page_cells`), and the column reads as nulls: pandas would build its
    cells whole."""
    first = 0
    for batch in batches:
        columns = []
        chars = np.zeros(batch.num_rows, dtype=np.int64)
        for j, column in enumerate(batch.columns):
            if pa.types.is_nested(column.type):
                values, rows = page_cells(column)
                nested.update(((first + i, j), value) for i, value in enumerate(values))
                cut += [{"row": first + i, "column": j, "length": None} for i in rows]
                chars += [len(json.dumps(value)) for value in values]
                columns.append(pa.nulls(len(column), column.type))
                continue
            short, lengths = short_texts(column, CELL_CHARS)
            if lengths is None:
                columns.append(column)
                continue
            long = pc.indices_nonzero(pc.greater(lengths, CELL_CHARS)).to_pylist()
            cut += [{"row": first + i, "column": j, "length": lengths[i].as_py()} for i in long]
            chars += pc.min_element_wise(lengths, CELL_CHARS).fill_null(0).to_numpy()
            columns.append(short if long else column)
        first += batch.num_rows
        yield pa.RecordBatch.from_arrays(columns, schema=batch.schema), chars


def _within(
    batches: Iterable[tuple[pa.RecordBatch, np.ndarray]],
    budget: int,
    cut: list[dict[str, int | None]],
    nested: dict[tuple[int, int], Any],
) -> Iterator[pa.RecordBatch]:
    """The cut batches (`_cut`: each with its rows' characters) up to the last row whose texts
    and those of the rows before it fit in `budget` characters, the page's first row whatever
    its length; `cut` and `nested` keep only the rows shown."""
    spent, first = 0, 0
    for batch, chars in batches:
        totals = spent + np.cumsum(chars)
        fit = int(np.searchsorted(totals, budget, side="right"))
        if fit < batch.num_rows:
            end = max(first + fit, 1)
            cut[:] = [note for note in cut if note["row"] < end]  # type: ignore[operator]
            for key in [key for key in nested if key[0] >= end]:
                del nested[key]
            yield batch.slice(0, end - first)
            return
        spent, first = int(totals[-1]) if len(totals) else spent, first + batch.num_rows
        yield batch


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
    """A Parquet table as CSV text (a header, then rows), a batch at a time (`batch_rows`): a row
    group of wide rows can be gigabytes (read without pre-buffering, nothing is read ahead). A
    nested cell is written as its JSON text (CSV has no lists or structs)."""
    import pyarrow.csv as pcsv

    source = pq.ParquetFile(path, memory_map=True, pre_buffer=False)
    size = batch_rows(source.metadata, list(range(source.metadata.num_row_groups)))
    for i, batch in enumerate(source.iter_batches(size, use_threads=False)):
        if any(pa.types.is_nested(column.type) for column in batch.columns):
            texts = [json_texts(c) if pa.types.is_nested(c.type) else c for c in batch.columns]
            batch = pa.RecordBatch.from_arrays(texts, names=batch.schema.names)
        sink = pa.BufferOutputStream()
        pcsv.write_csv(batch, sink, pcsv.WriteOptions(include_header=i == 0))
        yield sink.getvalue().to_pybytes()


READ_BYTES = 1 << 20  # of a stored JSON value at a time


def json_with_stored_value(body: dict[str, Any], path: Path) -> Iterator[bytes]:
    """`body` (not empty) as JSON with a `value` field that is a stored JSON file's text as it
    is: the server never parses it (a 32 MB value was ~10 times that as Python objects), and
    holds one READ_BYTES piece of it at a time. The store holds JSON values as canonical JSON,
    the strict, compact UTF-8 an answer is written in."""
    head = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    yield head[:-1].encode() + b',"value":'
    with path.open("rb") as stored:
        while piece := stored.read(READ_BYTES):
            yield piece
    yield b"}"
