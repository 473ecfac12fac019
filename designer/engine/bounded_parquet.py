"""Parquet bytes from someone untrusted (an upload, a sandbox's result) read a chunk at a time,
refused before they decode past a limit.

A Parquet file's size says little about its table's: a dictionary-encoded column stores a long
value once and a run-length encoded index for every row, so a file of a few hundred bytes can
hold gigabytes of text. The footer's uncompressed page sizes bound what the pages themselves
decode to, and are checked first; text and binary columns are then read as dictionaries (as
small as their pages), and each chunk's decoded size is counted from its dictionary's value
lengths before anything is decoded, then decoded a slice of at most SLICE_BYTES at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SLICE_BYTES = 64 * 1024 * 1024  # the most text one decoded slice holds


class TooLarge(Exception):
    """The table decodes to more than the limit (`size`: what was counted when it stopped)."""

    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def _is_text(field: pa.Field) -> bool:
    kind = field.type
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


def _page_bytes(metadata: pq.FileMetaData) -> int:
    """What every page of the file decodes to, as its footer says (before dictionaries expand)."""
    return sum(
        metadata.row_group(group).column(column).total_uncompressed_size
        for group in range(metadata.num_row_groups)
        for column in range(metadata.num_columns)
    )


def _dictionary_encoded(metadata: pq.FileMetaData) -> set[str]:
    """The top-level columns with a dictionary page in some row group: only those can expand."""
    return {
        metadata.row_group(group).column(column).path_in_schema.split(".")[0]
        for group in range(metadata.num_row_groups)
        for column in range(metadata.num_columns)
        if metadata.row_group(group).column(column).has_dictionary_page
    }


def _decoded_bytes(batch: pa.RecordBatch, texts: set[str]) -> int:
    """What a batch takes once its dictionary-read text columns are decoded."""
    total = 0
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if field.name in texts and pa.types.is_dictionary(field.type):
            lengths = pc.take(pc.binary_length(column.dictionary), column.indices)
            total += int(pc.sum(lengths).as_py() or 0) + 8 * len(column)
        else:
            total += column.nbytes
    return total


def _decoded(batch: pa.RecordBatch, schema: pa.Schema, texts: set[str]) -> pa.Table:
    """The batch with the text columns read as dictionaries decoded to the file's own types."""
    columns = [
        column.dictionary_decode().cast(field.type)
        if field.name in texts and pa.types.is_dictionary(column.type)
        else column
        for field, column in zip(schema, batch.columns, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def batches(source: IO[bytes], rows: int, limit: int) -> Iterator[pa.Table]:
    """The file as tables of at most `rows` rows (fewer where they hold much text); TooLarge as
    soon as the table is known to decode to more than `limit` bytes."""
    first = pq.ParquetFile(source)
    pages = _page_bytes(first.metadata)
    if pages > limit:
        raise TooLarge(pages)
    schema = first.schema_arrow
    encoded = _dictionary_encoded(first.metadata)
    texts = {field.name for field in schema if _is_text(field) and field.name in encoded}
    source.seek(0)
    file: Any = pq.ParquetFile(source, read_dictionary=sorted(texts))
    total = 0
    for batch in file.iter_batches(batch_size=rows):
        size = _decoded_bytes(batch, texts)
        total += size
        if total > limit:
            raise TooLarge(total)
        step = max(1, batch.num_rows // max(1, math.ceil(size / SLICE_BYTES)))
        for start in range(0, batch.num_rows, step):
            yield _decoded(batch.slice(start, step), schema, texts)


def read_table(source: IO[bytes], limit: int) -> pa.Table:
    """The whole file as one table (its own schema, also when it has no rows); TooLarge past
    `limit` bytes."""
    schema = pq.ParquetFile(source).schema_arrow
    source.seek(0)
    empty = pa.Table.from_batches([], schema=schema)
    return pa.concat_tables([empty, *batches(source, 65_536, limit)])
