"""A Parquet file of a few hundred bytes cannot make the server decode gigabytes.

A dictionary-encoded column stores one long value once and a run-length encoded index for
every row: 350 bytes on the wire, 2 GB of text once read. Sent as a dataset upload (any user
can own a workspace) or as a file with an endpoint call (any key holder), the server converted
it in memory, a chunk of 50,000 rows at a time, and a bigger one takes the whole server down.
Now it is refused with a 413 naming the limit, having held no more than a few pages of it, and
an ordinary dictionary-encoded file is read as before. So is a table of tens of thousands of
columns (a few bytes each, ~0.6 ms each to convert and summarize): 400 before it is converted.
"""

from __future__ import annotations

import io
import json
import resource
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile

from designer.runs.dataset_services import (
    HEADER_BYTES,
    MAX_UPLOAD_COLUMNS,
    read_upload,
    store_for,
)
from designer.runs.models import Dataset
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.endpoints.conftest import (
    create_graph,
    key_client,
    new_key,
    publish,
    scoring_document,
)

ROWS, WIDTH = 20_000, 100_000  # 2 GB of text
LIMIT = 64 * 1024 * 1024


def bomb(rows: int = ROWS, width: int = WIDTH) -> bytes:
    """A Parquet file whose one column repeats one `width`-character text `rows` times."""
    indices = pa.array([0] * rows, type=pa.int32())
    column = pa.DictionaryArray.from_arrays(indices, pa.array(["x" * width]))
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": column}), buffer, compression="zstd", store_schema=False)
    return buffer.getvalue()


def plain_bomb() -> bytes:
    """100 MB of text in pages that compress to a few kB (no dictionary)."""
    column = pa.array(["y" * WIDTH] * 1000)
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": column}), buffer, compression="zstd", use_dictionary=False)
    return buffer.getvalue()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture
def team(db: None, settings: Any) -> Team:
    settings.DESIGNER_MAX_UPLOAD_TABLE_BYTES = LIMIT
    return make_team()


def refused_as_too_large(answer: Any, before: float) -> None:
    assert answer.status_code == 413, answer.content[:300]
    body = answer.json()
    assert body["code"] == "payload_too_large"
    assert "bomb.parquet" in body["detail"] and "67,108,864 bytes" in body["detail"]
    assert peak_mb() - before < 500, "the server decoded the bomb"


@pytest.mark.parametrize("make", [bomb, plain_bomb], ids=["dictionary", "plain"])
def test_a_parquet_bomb_upload_is_refused_before_it_is_decoded(team: Team, make: Any) -> None:
    data = make()
    assert len(data) < 50_000
    before = peak_mb()
    file = SimpleUploadedFile("bomb.parquet", data)
    answer = team.client("editor").post(
        f"/api/workspaces/{team.workspace.pk}/datasets/",
        {"name": "bomb-upload", "file": file},
        "multipart",
    )
    refused_as_too_large(answer, before)
    listed = team.client("editor").get(f"/api/workspaces/{team.workspace.pk}/datasets/")
    assert "bomb-upload" not in {d["name"] for d in listed.json()["results"]}


def test_a_parquet_bomb_sent_with_an_endpoint_call_is_refused(team: Team) -> None:
    editor = team.client("editor")
    endpoint = publish(
        editor, team.workspace.pk, create_graph(editor, team.workspace.pk, scoring_document())
    )
    caller = key_client(new_key(editor, team.workspace.pk, endpoint["id"]))
    before = peak_mb()
    answer = caller.post(
        f"/api/endpoints/{endpoint['id']}/invoke/",
        {
            "parameters": json.dumps({"where": "a > 0"}),
            "rows": SimpleUploadedFile("bomb.parquet", bomb()),
        },
        format="multipart",
    )
    refused_as_too_large(answer, before)


def test_an_ordinary_dictionary_encoded_file_is_read_as_before(team: Team) -> None:
    frame = pd.DataFrame(
        {
            "city": pd.Series(["Oslo", "Lima", None, "Oslo"] * 5000),
            "kind": pd.Categorical(["a", "b", "a", "b"] * 5000),
            "raw": [b"\x00\x01", b"", None, b"z"] * 5000,
            "n": range(20_000),
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)  # strings dictionary-encoded, the categorical stored as one
    client = team.client("editor")
    file = SimpleUploadedFile("ok.parquet", buffer.getvalue())
    answer = client.post(
        f"/api/workspaces/{team.workspace.pk}/datasets/",
        {"name": "ordinary-dictionary", "file": file},
        "multipart",
    )
    assert answer.status_code == 201, answer.json()
    path, _ = store_for(team.workspace.pk).read("ordinary-dictionary", answer.json()["digest"])
    stored = pd.read_parquet(path)
    pd.testing.assert_frame_equal(stored, frame)


def wide_csv(columns: int, width: int = 1) -> bytes:
    """A header naming `columns` columns, and one row."""
    header = ",".join(f"{n:0{width}d}" for n in range(columns))
    return f"{header}\n{','.join('1' * columns)}\n".encode()


def upload(team: Team, name: str, data: bytes) -> Any:
    file = SimpleUploadedFile(name, data)
    return team.client("editor").post(
        f"/api/workspaces/{team.workspace.pk}/datasets/", {"name": name, "file": file}, "multipart"
    )


def test_a_header_of_forty_thousand_columns_is_refused_before_it_is_converted(
    team: Team,
) -> None:
    """270 kB of `n,` kept a request converting and summarizing for ~24 s (~0.6 ms a column);
    a 200 MB one would have held it for hours."""
    started = time.monotonic()
    answer = upload(team, "wide.csv", wide_csv(40_000))
    assert answer.status_code == 400, answer.content[:300]
    assert answer.json()["detail"] == (
        f"wide.csv has 40,000 columns; an uploaded table has at most {MAX_UPLOAD_COLUMNS:,}."
    )
    assert time.monotonic() - started < 3
    assert not Dataset.objects.exists()


def test_a_header_record_longer_than_a_megabyte_is_refused(team: Team, tmp_path: Path) -> None:
    """A quoted line break in the first name hides the columns after it from a look at the first
    line: the whole first record must end within the first megabyte."""
    data = b'"a\nb",' + wide_csv(400_000)
    answer = upload(team, "hidden.csv", data)
    assert answer.status_code == 400, answer.content[:300]
    assert "first line (the column names) is longer than" in answer.json()["detail"]
    long_cell = b"a,b\n1," + b"x" * 2_000_000 + b"\n"  # a long text in a row is no header
    table, _ = read_upload(SimpleUploadedFile("long-cell.csv", long_cell), tmp_path)
    assert pq.read_table(table).column("b")[0].as_py() == "x" * 2_000_000


class CountedFile(io.BytesIO):
    """A file that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self.bytes_read += count
        return count


@pytest.mark.parametrize("chosen", [{}, {"encoding": "utf-8", "separator": ","}])
def test_a_csv_uploads_head_is_read_once_for_its_kind_dialect_and_columns(
    tmp_path: Path, chosen: dict[str, str]
) -> None:
    """Besides whole passes over the file (the encoding check, the type scan, the conversion),
    its first megabyte is read once, not again by each check."""
    data = b"a,b,c\n" + b"".join(b"%d,%d.5,text %d\n" % (n, n, n) for n in range(100_000))
    file = CountedFile(data)
    upload = InMemoryUploadedFile(file, None, "rows.csv", "text/csv", len(data), None)
    table, _ = read_upload(upload, tmp_path, **chosen)
    assert pq.read_metadata(table).num_rows == 100_000
    assert len(data) > HEADER_BYTES
    assert (file.bytes_read - (HEADER_BYTES + 1)) % len(data) == 0, file.bytes_read


def test_a_parquet_file_of_forty_thousand_columns_is_refused(team: Team) -> None:
    table = pa.table({f"c{n}": [1] for n in range(40_000)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    answer = upload(team, "wide.parquet", buffer.getvalue())
    assert answer.status_code == 400, answer.content[:300]
    assert "has 40,000 columns" in answer.json()["detail"]
