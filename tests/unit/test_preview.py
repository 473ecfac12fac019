"""A page of a stored table: the rows asked for, read from the row groups that hold them only,
a batch of rows at a time."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from designer.engine.artifacts import (
    PARQUET_ROW_GROUP_ROWS,
    frame_to_parquet,
    summarize_frame,
)
from designer.runs import preview
from designer.runs.preview import (
    BATCH_BYTES,
    BATCH_ROWS,
    CELL_CHARS,
    MAX_COLUMNS,
    batch_rows,
    csv_chunks,
    table_page,
)

ROWS = 2 * PARQUET_ROW_GROUP_ROWS + 1000  # three row groups, the last one short


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    frame = pd.DataFrame(
        {
            "n": np.arange(ROWS),
            "x": np.linspace(0, 1, ROWS),
            "text": [f"row {i}" for i in range(ROWS)],
        }
    )
    path = tmp_path_factory.mktemp("preview") / "table.parquet"
    path.write_bytes(frame_to_parquet(frame))
    return path, frame


def batches_read(monkeypatch: pytest.MonkeyPatch, what: str) -> list[list[Any]]:
    """Each `iter_batches` call's `what` (its row groups, its columns), as they are made."""
    seen: list[list[Any]] = []
    read = pq.ParquetFile.iter_batches

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(list(kwargs[what]))
        return read(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    return seen


@pytest.mark.parametrize(
    ("offset", "limit", "groups"),
    [
        (0, 50, [[0]]),
        (PARQUET_ROW_GROUP_ROWS - 10, 25, [[0, 1]]),  # a page across two row groups
        (PARQUET_ROW_GROUP_ROWS + 5, 1000, [[1]]),
        (ROWS - 20, 50, [[2]]),  # the end: fewer rows than asked
        (ROWS + 5, 50, []),  # past the end: no rows, nothing read
    ],
)
def test_a_page_is_its_rows_read_from_the_row_groups_holding_them(
    stored: tuple[Path, pd.DataFrame],
    monkeypatch: pytest.MonkeyPatch,
    offset: int,
    limit: int,
    groups: list[list[int]],
) -> None:
    path, frame = stored
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    summary = {"rows": ROWS, "columns": [{"name": "n"}]}  # as stored with the table
    seen = batches_read(monkeypatch, "row_groups")
    page = table_page(path, offset, limit, summary)
    expected = frame.iloc[offset : offset + limit]
    assert page["total_rows"] == ROWS and page["columns"] == ["n", "x", "text"]
    assert page["rows"] == [list(row) for row in expected.itertuples(index=False, name=None)]
    assert page["summary"] is summary and seen == groups


def test_a_table_without_a_stored_summary_is_summarized_whole(
    stored: tuple[Path, pd.DataFrame],
) -> None:
    path, frame = stored
    page = table_page(path.read_bytes(), 10, 3)
    assert page["rows"] == [[i, frame["x"][i], f"row {i}"] for i in (10, 11, 12)]
    assert page["summary"] == summarize_frame(frame)


def test_a_csv_download_is_every_row_once_under_one_header_a_batch_of_rows_at_a_time(
    stored: tuple[Path, pd.DataFrame],
) -> None:
    path, frame = stored
    parts = list(csv_chunks(path))
    assert len(parts) == -(-ROWS // BATCH_ROWS)
    assert len(parts[0].splitlines()) == BATCH_ROWS + 1  # the header, then a batch
    text = b"".join(parts).decode()
    assert len(text.splitlines()) == ROWS + 1
    parsed = pd.read_csv(io.StringIO(text))
    pd.testing.assert_frame_equal(parsed, frame)


def test_long_text_and_binary_cells_are_cut_and_named_with_their_whole_length(
    tmp_path: Path,
) -> None:
    long = "é" * (CELL_CHARS + 1)  # two bytes a character: cut by characters
    frame = pd.DataFrame(
        {
            "n": range(4),
            "text": ["short", long, None, "x" * CELL_CHARS],
            "raw": [b"\x00" * (CELL_CHARS * 3), b"ok", None, b""],
        }
    )
    path = tmp_path / "long.parquet"
    path.write_bytes(frame_to_parquet(frame))
    for summary in ({"columns": []}, None):  # stored with its summary, or summarized here
        page = table_page(path, 1, 3, summary)
        assert [row[1] for row in page["rows"]] == ["é" * CELL_CHARS, None, "x" * CELL_CHARS]
        assert page["cut"] == [{"row": 0, "column": 1, "length": CELL_CHARS + 1}]
    assert table_page(path, 0, 1, {"columns": []})["cut"] == [
        {"row": 0, "column": 2, "length": CELL_CHARS * 3}
    ]


def test_a_page_ends_where_its_texts_fill_it_saying_how_many_rows_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,000 rows of 100 columns of long texts made a 100 MB page: a page holds PAGE_CHARS of
    text (as cut), and its `limit` says where the next page starts."""
    frame = pd.DataFrame(
        {"n": range(40), "text": ["t" * (CELL_CHARS + 500)] * 40, "items": [[i] for i in range(40)]}
    )
    path = tmp_path / "texts.parquet"
    path.write_bytes(frame_to_parquet(frame))
    monkeypatch.setattr(preview, "PAGE_CHARS", 10 * (CELL_CHARS + 3) + 100)  # ten rows fit
    for summary in ({"columns": []}, None):  # stored with its summary, or summarized here
        page = table_page(path, 0, 40, summary)
        assert (len(page["rows"]), page["limit"]) == (10, 10)
        assert [row[2] for row in page["rows"]] == [[i] for i in range(10)]
        assert [note["row"] for note in page["cut"]] == list(range(10))
        following = table_page(path, 10, 40, summary)
        assert [row[0] for row in following["rows"]] == list(range(10, 20))
        last = table_page(path, 30, 40, summary)  # the table's end comes first
        assert (len(last["rows"]), last["limit"]) == (10, 40)
    monkeypatch.setattr(preview, "PAGE_CHARS", 10)
    alone = table_page(path, 5, 40, {"columns": []})  # a row longer than a page is shown
    assert ([row[0] for row in alone["rows"]], alone["limit"]) == ([5], 1)
    assert alone["cut"] == [{"row": 0, "column": 1, "length": CELL_CHARS + 500}]


def test_categories_are_cut_like_texts_in_a_column_and_in_a_nested_cell(tmp_path: Path) -> None:
    """A categorical column is stored dictionary-encoded: its long categories are cut too."""
    long = "é" * (CELL_CHARS * 5)
    frame = pd.DataFrame({"kind": pd.Categorical(["short", long, None, long])})
    path = tmp_path / "categories.parquet"
    path.write_bytes(frame_to_parquet(frame))
    for summary in ({"columns": []}, None):  # stored with its summary, or summarized here
        page = table_page(path, 0, 4, summary)
        assert [row[0] for row in page["rows"]] == [
            "short",
            long[:CELL_CHARS],
            None,
            long[:CELL_CHARS],
        ]
        assert page["cut"] == [
            {"row": row, "column": 0, "length": CELL_CHARS * 5} for row in (1, 3)
        ]
    kinds = pa.array([long, "short"]).dictionary_encode()
    nested = pa.StructArray.from_arrays([kinds], names=["kind"])
    pq.write_table(pa.table({"meta": nested}), path)
    page = table_page(path, 0, 2, None)
    assert page["rows"][0][0]["kind"] == long[: len(page["rows"][0][0]["kind"])]
    assert CELL_CHARS // 2 < len(page["rows"][0][0]["kind"]) <= CELL_CHARS
    assert page["rows"][1][0] == {"kind": "short"}
    assert page["cut"] == [{"row": 0, "column": 0, "length": None}]


def test_a_wide_table_is_paged_by_columns_reading_only_the_pages_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """250 columns and an index kept as a column: a page shows 100 columns at most, counts
    them all but the index, and reads only its own (where the summary was stored)."""
    frame = pd.DataFrame(
        {f"c{i}": [i, i + 1, i + 2] for i in range(250)},
        index=pd.Index(["a", "b", "c"], name="key"),
    )
    frame["c210"] = ["short", "y" * (CELL_CHARS + 5), None]
    path = tmp_path / "wide.parquet"
    path.write_bytes(frame_to_parquet(frame))
    read = batches_read(monkeypatch, "columns")
    for summary in ({"columns": []}, None):  # stored with its summary, or summarized here
        first = table_page(path, 1, 2, summary)
        assert first["columns"] == [f"c{i}" for i in range(MAX_COLUMNS)]
        assert (first["total_columns"], first["columns_offset"]) == (250, 0)
        assert first["rows"] == [list(range(1, 101)), list(range(2, 102))]
        last = table_page(path, 0, 3, summary, first_column=200, column_limit=MAX_COLUMNS)
        assert last["columns"] == [f"c{i}" for i in range(200, 250)]
        assert last["rows"][0][10] == "short" and last["rows"][2][10] is None
        assert last["cut"] == [{"row": 1, "column": 10, "length": CELL_CHARS + 5}]
        assert table_page(path, 0, 3, summary, first_column=5, column_limit=2)["rows"] == [
            [5, 6],
            [6, 7],
            [7, 8],
        ]
        past = table_page(path, 0, 3, summary, first_column=250)
        assert (past["columns"], past["rows"], past["total_columns"]) == ([], [], 250)
    assert read[:3] == [
        [f"c{i}" for i in range(MAX_COLUMNS)],
        [f"c{i}" for i in range(200, 250)],
        ["c5", "c6"],
    ]


def test_a_file_repeating_a_column_name_is_paged_by_position(tmp_path: Path) -> None:
    """Pandas never writes one; another tool's Parquet file may."""
    arrays = [pa.array([1, 2]), pa.array(["x", "y"]), pa.array([3, 4])]
    path = tmp_path / "repeated.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=["a", "a", "b"]), path)
    for summary in ({"columns": []}, None):
        page = table_page(path, 0, 5, summary, first_column=1, column_limit=2)
        assert (page["columns"], page["rows"]) == (["a", "b"], [["x", 3], ["y", 4]])


def test_wide_rows_are_decoded_fewer_at_a_time(tmp_path: Path) -> None:
    """1 MB a row: BATCH_BYTES of them at a time, for a page and for the CSV."""
    frame = pd.DataFrame({"text": [f"{i:08d}" + "y" * ((1 << 20) - 8) for i in range(40)]})
    path = tmp_path / "wide.parquet"
    path.write_bytes(frame_to_parquet(frame))
    rows = batch_rows(pq.ParquetFile(path).metadata, [0])
    assert BATCH_BYTES >> 21 <= rows <= BATCH_BYTES >> 20
    assert len(list(csv_chunks(path))) == -(-40 // rows)


def nested_table(tmp_path: Path) -> Path:
    """Lists, structs and a map: small cells, a list of 100,000 numbers, a struct holding a
    long text, and a list of lists of long texts (a cut deep inside)."""
    frame = pd.DataFrame(
        {
            "n": range(4),
            "tags": [[7, 8], [], None, list(range(100_000))],
            "meta": [{"k": 1, "v": "x"}, None, {"k": 2, "v": "é" * 5000}, {"k": 3, "v": ""}],
            "deep": [[["a" * 3000] * 3] * 3, [[]], None, [["q"]]],
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pairs = pa.array([[("k", 1)], [], None, [("z", 2)]], type=pa.map_(pa.string(), pa.int64()))
    path = tmp_path / "nested.parquet"
    pq.write_table(table.append_column("map", pairs), path)
    return path


def test_nested_cells_show_small_ones_whole_and_the_start_of_long_ones_named_cut(
    tmp_path: Path,
) -> None:
    path = nested_table(tmp_path)
    for summary in ({"columns": []}, None):  # stored with its summary, or summarized here
        page = table_page(path, 0, 4, summary)
        rows = page["rows"]
        assert rows[0] == [0, [7, 8], {"k": 1, "v": "x"}, rows[0][3], [["k", 1]]]
        assert rows[1] == [1, [], None, [[]], []]
        assert rows[2][1:3] == [None, {"k": 2, "v": rows[2][2]["v"]}]
        assert rows[3] == [3, rows[3][1], {"k": 3, "v": ""}, [["q"]], [["z", 2]]]
        assert rows[3][1] == list(range(len(rows[3][1])))  # the first numbers, in order
        assert rows[2][2]["v"] == "é" * len(rows[2][2]["v"])
        assert rows[0][3][0][0] == "a" * len(rows[0][3][0][0])
        for row, column in ((0, 3), (2, 2), (3, 1)):  # about CELL_CHARS of JSON each
            shown = json.dumps(rows[row][column], separators=(",", ":"), ensure_ascii=False)
            assert CELL_CHARS // 2 < len(shown) <= CELL_CHARS + 10, (row, column, len(shown))
        assert page["cut"] == [
            {"row": 0, "column": 3, "length": None},
            {"row": 2, "column": 2, "length": None},
            {"row": 3, "column": 1, "length": None},
        ]


def test_a_csv_download_writes_nested_cells_whole_as_json_text(tmp_path: Path) -> None:
    path = nested_table(tmp_path)
    parsed = pd.read_csv(io.StringIO(b"".join(csv_chunks(path)).decode()), keep_default_na=False)
    assert json.loads(parsed["tags"][3]) == list(range(100_000))
    assert json.loads(parsed["meta"][2]) == {"k": 2, "v": "é" * 5000}
    assert json.loads(parsed["deep"][0]) == [["a" * 3000] * 3] * 3
    assert json.loads(parsed["map"][0]) == [["k", 1]]
    assert parsed["tags"][2] == "" and parsed["meta"][1] == ""  # null cells stay empty
