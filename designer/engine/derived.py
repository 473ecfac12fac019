"""Derived tables: an output table stored as a recipe over a stored parent table.

A step that only selects rows (split, filter) or columns (select), or changes a few columns
(clean missing data) and passes the rest through, returns a table most of whose columns are
its input's, bit for bit. Such an output is stored as a *recipe* rather than a new copy:

    {"format": 1, "base": <digest of the parent table>, "patch": <digest of a Parquet object
     with the changed columns and the row positions> | null, "rows": true | false,
     "columns": [["base", name] | ["patch", name] | ["index"], …], "schema": <base64 Arrow
     schema of the output, pandas metadata included>, "requires": [base, patch],
     "row_group_rows": <rows per row group the bytes were written with; absent in recipes
     stored before decision 0050, whose bytes had pyarrow's default>,
     "compression": <the Parquet codec the bytes were written with; absent in recipes stored
     before decision 0110, whose bytes were Snappy's>}

The recipe is kept under the digest of the Parquet bytes the output would have been stored
as (the worker still streams and hashes them, so cache keys, early cutoff and downloads see
the same digest), and `assemble` rebuilds exactly that table: the parent's columns (taken at
the row positions when `rows`), the patch's columns, and ``["index"]``, the parent's range
index labels at those positions. Nothing is trusted blindly: a column is only referenced when
the parent's column, taken at the positions, has the same type and the same bits (floats
compared as integers, so -0.0 and NaN payloads count), and the bytes made from a recipe are
checked against the digest (`ArtifactStore.get`).
See docs/decisions/0034-stored-copies.md.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from designer.engine.store import ArtifactStore

FORMAT = 1
ROWS = "__designer_rows__"  # the patch column holding the row positions in the parent
MAX_PATCH_SHARE = 0.5  # store a recipe only when the patch is at most this share of the table


@dataclass(frozen=True)
class Recipe:
    """How to rebuild an output table from its parent table and a patch table."""

    base: str
    patch: str | None
    rows: bool
    columns: list[list[str]]
    schema: bytes
    row_group_rows: int | None  # None: pyarrow's default (recipes stored before decision 0050)
    compression: str  # artifacts' PARQUET_COMPRESSION, or LEGACY_COMPRESSION (before 0110)

    def to_json(self) -> bytes:
        """The stored form (canonical JSON)."""
        requires = [self.base] + ([self.patch] if self.patch else [])
        grouped = {} if self.row_group_rows is None else {"row_group_rows": self.row_group_rows}
        return json.dumps(
            {
                "format": FORMAT,
                "base": self.base,
                "patch": self.patch,
                "rows": self.rows,
                "columns": self.columns,
                "schema": base64.b64encode(self.schema).decode(),
                "requires": requires,
                "compression": self.compression,
                **grouped,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Recipe:
        """Read the stored form (ValueError when it is not a recipe this code knows)."""
        from designer.engine.artifacts import LEGACY_COMPRESSION, PARQUET_COMPRESSION

        loaded = json.loads(data)
        if not isinstance(loaded, dict) or loaded.get("format") != FORMAT:
            raise ValueError("not a table recipe of a known format")
        codec = loaded.get("compression", LEGACY_COMPRESSION)  # none named: stored before 0110
        if codec not in (PARQUET_COMPRESSION, LEGACY_COMPRESSION):
            raise ValueError(f"a table recipe with an unknown Parquet codec {codec!r}")
        return cls(
            str(loaded["base"]),
            None if loaded["patch"] is None else str(loaded["patch"]),
            bool(loaded["rows"]),
            [list(map(str, source)) for source in loaded["columns"]],
            base64.b64decode(loaded["schema"]),
            None if loaded.get("row_group_rows") is None else int(loaded["row_group_rows"]),
            codec,
        )


def requires(data: bytes) -> list[str]:
    """The digests a stored recipe needs (its parent and its patch)."""
    return [str(digest) for digest in json.loads(data)["requires"]]


@dataclass(frozen=True)
class Hint:
    """What a module said an output derives from (`StepContext.rows_of`, `.rescaled`): the
    input (by digest once stored), the row positions it holds, the columns it rescaled."""

    source: str
    rows: Any = None  # int64 numpy array, or None: the same rows
    rescaled: Mapping[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Derivation:
    """An output table described over one parent: the recipe (patch digest still to come) and
    the patch table to store."""

    base: str
    rows: bool
    columns: list[list[str]]
    schema: bytes
    patch: Any  # Arrow table, or None when every column comes from the parent

    def recipe(self, patch_digest: str | None) -> Recipe:
        """The recipe once the patch is stored under `patch_digest`."""
        from designer.engine.artifacts import PARQUET_COMPRESSION, PARQUET_ROW_GROUP_ROWS

        return Recipe(
            self.base,
            patch_digest,
            self.rows,
            self.columns,
            self.schema,
            PARQUET_ROW_GROUP_ROWS,
            PARQUET_COMPRESSION,
        )


def derive(table: Any, parents: Mapping[str, Any], hint: Hint | None = None) -> Derivation | None:
    """The cheapest description of `table` over one of `parents` (Arrow tables by digest), or
    None when no parent saves at least half of the table. `hint`: the module's word on how
    `table` derives from one parent (checked bit for bit like the rest)."""
    if any(column.num_chunks > 1 for column in table.columns):
        return None  # bytes rebuilt from one chunk per column might differ from the stored ones
    import pyarrow as pa

    best: Derivation | None = None
    for digest, parent in parents.items():
        said = hint if hint is not None and hint.source == digest else Hint(digest)
        found = _derive_from(table, digest, parent, said)
        if found is not None and (best is None or _patch_size(found) < _patch_size(best)):
            best = found
    pa.default_memory_pool().release_unused()  # the columns compared: back to the system
    if best is None or _patch_size(best) > MAX_PATCH_SHARE * max(table.nbytes, 1):
        return None
    return best


def _patch_size(derivation: Derivation) -> int:
    return 0 if derivation.patch is None else int(derivation.patch.nbytes)


def _derive_from(table: Any, digest: str, parent: Any, hint: Hint) -> Derivation | None:
    import pyarrow as pa

    if hint.rows is not None:
        positions = _hinted(table, parent, hint.rows)
        index = None  # the rows come with a fresh 0..n-1 index (pandas metadata)
    else:
        positions = _positions(table, parent)
        index = _range(parent) if positions is not None else None
    if positions is False:
        return None
    out_index = _index_columns(table)
    columns: list[list[str]] = []
    patch: dict[str, Any] = {}
    for i, spec in enumerate(table.schema):
        column = table.column(i)
        if index is not None and [spec.name] == out_index and spec.type == pa.int64():
            columns.append(["index"])  # labels = the parent's range index at the positions
            continue
        same_type = spec.name in parent.column_names and (
            parent.schema.field(spec.name).type == spec.type
        )
        if same_type and _taken_matches(parent.column(spec.name), positions, column):
            columns.append(["base", spec.name])
            continue
        if spec.name in hint.rescaled and spec.name in parent.column_names:
            center, scale = hint.rescaled[spec.name]
            rescaled = _rescale(parent.column(spec.name), positions, center, scale)
            if _same_bits(rescaled, column):
                columns.append(["rescaled", spec.name, center.hex(), scale.hex()])
                continue
        name = f"c{i}"
        patch[name] = column
        columns.append(["patch", name])
    if not any(source[0] == "base" for source in columns):
        return None
    if positions is not None:
        patch[ROWS] = positions
    return Derivation(
        digest,
        positions is not None,
        columns,
        table.schema.serialize().to_pybytes(),
        pa.table(patch) if patch else None,
    )


def _positions(table: Any, parent: Any) -> Any:
    """The row positions in `parent` of `table`'s rows: None (the same rows), an Arrow int64
    array, or False (not a row selection of `parent` this code recognises)."""
    import numpy as np
    import pyarrow as pa

    if _pandas(table) is None:  # a parent without pandas metadata reads with a range index
        return False
    if table.num_rows == parent.num_rows and _same_index(table, parent):
        return None
    span = _range(parent)
    labels = _labels(table)
    if span is None or labels is None:
        return False
    start, step = span[0], span[2]
    offset = labels - start
    positions = offset // step
    if positions.size and (
        np.any(offset % step) or positions.min() < 0 or positions.max() >= parent.num_rows
    ):
        return False
    return pa.array(positions.astype("int64", copy=False))


def _hinted(table: Any, parent: Any, positions: Any) -> Any:
    """A module's row positions as an Arrow array, or False when they cannot be `table`'s rows
    (a fresh range index of the right length, positions within `parent`)."""
    import pyarrow as pa

    fresh = {"kind": "range", "name": None, "start": 0, "stop": table.num_rows, "step": 1}
    if len(positions) != table.num_rows or _index_columns(table) != [fresh]:
        return False
    if len(positions) and (positions.min() < 0 or positions.max() >= parent.num_rows):
        return False
    return pa.array(positions, type=pa.int64())


def _pandas(table: Any) -> dict[str, Any] | None:
    meta = table.schema.pandas_metadata
    return meta if isinstance(meta, dict) else None


def _index_columns(table: Any) -> list[Any]:
    meta = _pandas(table) or {}
    return list(meta.get("index_columns", []))


def _same_index(table: Any, parent: Any) -> bool:
    if _range(table) is not None and _range(table) == _range(parent):
        return True
    mine, theirs = _index_columns(table), _index_columns(parent)
    if len(mine) != len(theirs):
        return False
    for a, b in zip(mine, theirs, strict=True):
        if isinstance(a, dict) or isinstance(b, dict):
            if a != b:
                return False
        elif (
            a not in table.column_names
            or b not in parent.column_names
            or not _same_bits(table.column(a), parent.column(b))
        ):
            return False
    return True


def _range(table: Any) -> tuple[int, int, int] | None:
    """A table's pandas range index as (start, stop, step), or None. A table saved without
    its index, or without pandas metadata (an uploaded dataset), reads with the default one:
    0 to its length."""
    index = _index_columns(table)
    if not index:
        return 0, table.num_rows, 1
    if len(index) != 1 or not isinstance(index[0], dict) or index[0].get("kind") != "range":
        return None
    return int(index[0]["start"]), int(index[0]["stop"]), int(index[0]["step"])


def _labels(table: Any) -> Any:
    """A table's index labels as an int64 numpy array (one integer index), or None."""
    import numpy as np
    import pyarrow as pa

    index = _index_columns(table)
    if len(index) != 1:
        return None
    if isinstance(index[0], dict):
        span = _range(table)
        return None if span is None else np.arange(*span, dtype="int64")
    if index[0] not in table.column_names:
        return None
    column = table.column(index[0])
    if column.type != pa.int64() or column.null_count:
        return None
    return column.to_numpy()


def _rescale(column: Any, positions: Any, center: float, scale: float) -> Any:
    """(column as float64 - center) / scale at `positions`, computed as Normalize data does
    (numpy; Arrow's kernels, several times slower, only for columns with nulls)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values = _numbers(column)
    if values is None:
        if positions is not None:
            column = column.take(positions)
        cast = pc.cast(column, pa.float64(), safe=False)
        return pc.divide(pc.subtract(cast, center), scale)
    if positions is not None:
        values = values[positions.to_numpy()]
    out = np.subtract(values, center, dtype="float64")
    np.divide(out, scale, out=out)
    return pa.array(out)


def _numbers(column: Any) -> Any:
    """A numeric column without nulls as a numpy array over its memory, or None."""
    import pyarrow as pa

    kind = column.type
    if column.null_count or not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        return None
    return _one_chunk(column).to_numpy(zero_copy_only=True)


def _taken_matches(source: Any, positions: Any, column: Any) -> bool:
    """Whether `source` taken at `positions` (None: as it is) has `column`'s type and bits
    (numeric columns without nulls through numpy: a gather and a compare, no Arrow kernel)."""
    import numpy as np

    ours, theirs = _numbers(source), _numbers(column)
    if ours is None or theirs is None or ours.dtype != theirs.dtype:
        return _same_bits(source if positions is None else source.take(positions), column)
    if positions is not None:
        ours = ours[positions.to_numpy()]
    unsigned = f"u{ours.dtype.itemsize}"
    return bool(np.array_equal(ours.view(unsigned), theirs.view(unsigned)))


def _same_bits(a: Any, b: Any) -> bool:
    """Whether two Arrow columns hold the same type, nulls and bits."""
    import pyarrow as pa

    if a.type != b.type or len(a) != len(b):
        return False
    kind = a.type
    if pa.types.is_nested(kind) or pa.types.is_dictionary(kind):
        return False  # floats inside would compare by value: never referenced
    a, b = _one_chunk(a), _one_chunk(b)
    if pa.types.is_floating(kind):
        as_int = {16: pa.int16(), 32: pa.int32(), 64: pa.int64()}[kind.bit_width]
        a, b = a.view(as_int), b.view(as_int)
    return bool(a.equals(b))


def _one_chunk(column: Any) -> Any:
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column


def assemble(recipe: Recipe, load: Callable[[str], Any]) -> Any:
    """The table a recipe describes; `load(digest)` gives a stored table (the parent, the patch):
    an Arrow table, or what has its `column(name)`, `schema` and `num_rows` (`_StoredColumns`)."""
    import numpy as np
    import pyarrow as pa

    parent = load(recipe.base)
    patch = load(recipe.patch) if recipe.patch else None
    positions = patch.column(ROWS) if recipe.rows and patch is not None else None
    arrays: list[Any] = []
    for source in recipe.columns:
        if source[0] == "patch" and patch is not None:
            arrays.append(patch.column(source[1]))
        elif source[0] == "base":
            column = parent.column(source[1])
            arrays.append(column if positions is None else column.take(positions))
        elif source[0] == "rescaled":
            center, scale = float.fromhex(source[2]), float.fromhex(source[3])
            arrays.append(_rescale(parent.column(source[1]), positions, center, scale))
        elif source[0] == "index" and positions is not None:
            span = _range(parent)
            if span is None:
                raise ValueError("a recipe's index needs a parent with a range index")
            labels = span[0] + positions.to_numpy() * span[2]
            arrays.append(pa.array(labels.astype(np.int64, copy=False)))
        else:
            raise ValueError(f"a recipe names an unknown column source {source!r}")
    schema = pa.ipc.read_schema(pa.py_buffer(recipe.schema))
    return pa.Table.from_arrays(arrays, schema=schema)


def load_table(store: ArtifactStore, digest: str, known: Callable[[str], Any] | None = None) -> Any:
    """The Arrow table of a stored table artifact: read from its Parquet bytes (digest checked),
    or assembled from its recipe. `known(digest)` may give tables already in memory (or None)."""
    from designer.engine.artifacts import parquet_to_table

    def load(wanted: str) -> Any:
        table = known(wanted) if known is not None else None
        return table if table is not None else load_table(store, wanted, known)

    recipe = store.recipe(digest)
    if recipe is None:
        return parquet_to_table(store.mapped(digest))
    return assemble(Recipe.from_json(recipe), load)


class _StoredColumns:
    """A stored table read one column at a time from its Parquet file (what `assemble` asks of
    a parent or a patch), so rebuilding holds the output and one column, not both tables."""

    def __init__(self, path: Any):
        import pyarrow.parquet as pq

        self.file = pq.ParquetFile(path)
        self.schema = self.file.schema_arrow
        self.num_rows = self.file.metadata.num_rows

    def column(self, name: str) -> Any:
        return self.file.read(columns=[name]).column(0)


def write_rebuilt(store: ArtifactStore, recipe: bytes, sink: Any) -> None:
    """Write the Parquet bytes of the table a stored recipe describes (as the worker wrote them)
    to `sink`, reading its parent and patch from their files a column at a time (the caller
    checks the digest of what was written)."""
    from designer.engine.artifacts import write_parquet

    def load(digest: str) -> _StoredColumns:
        return _StoredColumns(store.local_path(digest))

    described = Recipe.from_json(recipe)
    table = assemble(described, load)
    write_parquet(table.combine_chunks(), sink, described.row_group_rows, described.compression)
