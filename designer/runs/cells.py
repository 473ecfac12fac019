"""Nested cells (lists, structs, maps) of a stored table: for a page, cut to about CELL_CHARS
characters of JSON without reading them whole; for a CSV download, whole, as JSON text."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from designer.engine.hashing import canonical_json, json_safe

CELL_CHARS = 1000  # characters (bytes of binary) of a cell a page shows; the rest is cut
SMALL_BYTES = 1 << 16  # a nested column of a page this small is read whole, then checked


def page_cells(column: pa.Array) -> tuple[list[Any], list[int]]:
    """Each cell of a nested column as plain data of about CELL_CHARS characters of JSON at
    most (lists keep their first items, texts their first characters), and the cells cut.

    A small column is read whole and only its cells longer than CELL_CHARS are walked (most
    nested cells are a few items: ~3x faster); a larger one is walked cell by cell."""
    whole = column.nbytes <= SMALL_BYTES
    values = [json_safe(value) for value in column.to_pylist()] if whole else []
    cut = []
    for row in range(len(column)):
        if whole and len(canonical_json(values[row])) <= CELL_CHARS:
            continue
        value, room = _bounded(column[row], CELL_CHARS)
        if whole:
            values[row] = value
        else:
            values.append(value)
        if room < 0:
            cut.append(row)
    return values, cut


def short_texts(column: pa.Array, chars: int) -> tuple[pa.Array, pa.Array | None]:
    """A text or binary column with each cell cut to its first `chars` characters (bytes), and
    each cell's whole length; (column, None) for any other column. A column of categories
    (dictionary-encoded) has its categories cut, each cell keeping its index."""
    if pa.types.is_dictionary(column.type):
        categories, lengths = short_texts(column.dictionary, chars)
        if lengths is None:
            return column, None
        short = pa.DictionaryArray.from_arrays(column.indices, categories)
        return short, lengths.take(column.indices)
    cutters = _cutters(column.type)
    if cutters is None:
        return column, None
    cut, length = cutters
    return cut(column, 0, chars), length(column)


def _cutters(kind: pa.DataType) -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """The compute functions that cut a text or binary value to its first characters (bytes)
    and that measure it, for arrays and scalars alike; None for any other kind."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pc.utf8_slice_codeunits, pc.utf8_length
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return pc.binary_slice, pc.binary_length
    return None


def json_texts(column: pa.Array) -> pa.Array:
    """A nested column's cells as their whole JSON text (maps as [key, value] pairs), one cell
    decoded at a time."""
    texts = []
    for row in range(len(column)):
        value = column[row].as_py()
        texts.append(None if value is None else json.dumps(json_safe(value), ensure_ascii=False))
    return pa.array(texts, pa.large_string())


def _bounded(value: pa.Scalar, room: int) -> tuple[Any, int]:
    """`value` as plain data using at most about `room` characters of JSON, and the room left
    (negative: something was cut). Every item costs at least one character, so no more items
    are visited than there is room for, however long a list is."""
    if not value.is_valid:
        return None, room - 4
    kind = value.type
    if pa.types.is_struct(kind):
        data: dict[str, Any] = {}
        room -= 2
        for index, field in enumerate(kind):
            if room <= 0:
                return data, -1
            data[field.name], room = _bounded(value[index], room - len(field.name) - 4)
        return data, room
    if pa.types.is_union(kind):
        return _bounded(value.value, room) if value.value is not None else (None, room - 4)
    items: pa.Array | None = getattr(value, "values", None)
    if items is None:
        return _leaf(value, room)
    listed, room = _bounded_items(items, room - 2)
    if pa.types.is_map(kind):  # as a page shows a map: [key, value] pairs
        listed = [list(pair.values()) for pair in listed]
    return listed, room


def _leaf(value: pa.Scalar, room: int) -> tuple[Any, int]:
    """A value that holds no others, its text or bytes cut to `room`, and the room left."""
    room -= 2
    if isinstance(value, pa.DictionaryScalar):  # a category: its text
        value = value.value
    cutters = _cutters(value.type)
    if cutters is None:
        data = json_safe(value.as_py())
        return data, room - len(str(data))
    cut, length = cutters
    return json_safe(cut(value, 0, max(room, 0)).as_py()), room - length(value).as_py()


def _bounded_items(items: pa.Array, room: int) -> tuple[list[Any], int]:
    """The first items of a list that fit in `room` characters, and the room left."""
    if pa.types.is_nested(items.type):
        cells: list[Any] = []
        for index in range(len(items)):
            if room <= 0:
                return cells, -1
            cell, room = _bounded(items[index], room - 1)
            cells.append(cell)
        return cells, room
    part, lengths = short_texts(items.slice(0, max(room, 0) + 1), max(room, 0))
    leaves: list[Any] = []
    for index, leaf in enumerate(part.to_pylist()):
        if room <= 0:
            return leaves, -1
        leaf = json_safe(leaf)
        whole = lengths[index].as_py() if lengths is not None and leaf is not None else 0
        room -= max(len(str(leaf)), whole or 0) + 3
        leaves.append(leaf)
    return leaves, room if len(part) == len(items) else -1
