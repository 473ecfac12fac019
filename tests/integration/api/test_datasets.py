"""Datasets through the HTTP API: upload CSV/Parquet, versions by digest, preview, usage by runs."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from designer.runs import dataset_services, engine_setup
from tests.integration.api.conftest import Team, schema_validator

pytestmark = pytest.mark.django_db

CSV = b"a,b\n1,x\n2,y\n3,z\n"


def upload(
    team: Team, name: str, filename: str, content: bytes, who: str = "editor", **options: str
) -> object:
    file = SimpleUploadedFile(filename, content)
    return team.client(who).post(
        f"/api/workspaces/{team.workspace.pk}/datasets/",
        {"name": name, "file": file, **options},
        format="multipart",
    )


def preview_rows(team: Team, answer: dict) -> list[list[object]]:
    dataset, digest = answer["dataset"]["id"], answer["digest"]
    page = team.client("viewer").get(f"/api/datasets/{dataset}/versions/{digest}/preview/")
    return page.json()["rows"]


def test_upload_versions_and_preview(team: Team) -> None:
    first = upload(team, "sales", "sales.csv", CSV)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["rows"] == 3 and body["columns"] == ["a", "b"]
    dataset = body["dataset"]["id"]
    again = upload(team, "sales", "sales.csv", CSV)
    assert again.json()["digest"] == body["digest"]
    when = pd.to_datetime(["2026-01-02", None])
    frame = pd.DataFrame({"a": [1, 2], "b": ["p", "q"], "when": when, "ok": [True, False]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    second = upload(team, "sales", "sales.parquet", buffer.getvalue())
    assert second.status_code == 201 and second.json()["rows"] == 2
    viewer = team.client("viewer")
    listing = viewer.get(f"/api/datasets/{dataset}/versions/").json()
    schema_validator("/api/datasets/{id}/versions/", "get", "200").validate(listing)
    versions = listing["results"]
    assert [v["rows"] for v in versions] == [2, 3]
    summary = {c["name"]: c for c in versions[0]["summary"]["columns"]}
    assert summary["when"]["nulls"] == 1 and summary["ok"]["true"] == 1
    assert summary["a"]["histogram"]["counts"][0] == 1
    page = viewer.get(f"/api/datasets/{dataset}/versions/{body['digest'][:12]}/preview/?limit=2")
    schema_validator("/api/datasets/{id}/versions/{digest}/preview/", "get", "200").validate(
        page.json()
    )
    assert page.json()["rows"] == [[1, "x"], [2, "y"]] and page.json()["total_rows"] == 3
    usage = viewer.get(f"/api/datasets/{dataset}/versions/{body['digest']}/usage/").json()
    assert usage["count"] == 0
    assert viewer.get(f"/api/datasets/{dataset}/versions/abc/preview/").status_code == 404
    listed = viewer.get(f"/api/workspaces/{team.workspace.pk}/datasets/").json()["results"]
    assert [(d["name"], d["version_count"]) for d in listed] == [("sales", 2)]
    assert body["read_as"] == {"encoding": "utf-8", "separator": ",", "decimal": "."}
    assert second.json()["read_as"] is None  # Parquet
    schema_validator("/api/workspaces/{id}/datasets/", "post", "201").validate(body)


def test_a_spreadsheet_export_in_another_dialect_is_read_and_says_how(team: Team) -> None:
    """A Windows-1252 file with ';' between fields and decimal commas, as a German or French
    spreadsheet saves it, reads as its numbers and its text, and the answer says how."""
    text = "Name;Stadt;Betrag\nJosé;Zürich;1,5\nRenée;Köln;-2,25\n"
    answer = upload(team, "kunden", "kunden.csv", text.encode("cp1252"))
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["read_as"] == {"encoding": "cp1252", "separator": ";", "decimal": ","}
    assert body["columns"] == ["Name", "Stadt", "Betrag"]
    assert preview_rows(team, body) == [["José", "Zürich", 1.5], ["Renée", "Köln", -2.25]]
    schema_validator("/api/workspaces/{id}/datasets/", "post", "201").validate(body)
    # over Django's in-memory limit (a file on disk), its only accented letter at the very end
    long = b"Name;Betrag\n" + b"Anna;1,5\n" * 300_000 + "Zoë;2,5\n".encode("cp1252")
    on_disk = upload(team, "lang", "lang.csv", long).json()
    assert on_disk["read_as"] == {"encoding": "cp1252", "separator": ";", "decimal": ","}
    assert on_disk["rows"] == 300_001 and on_disk["summary"]["columns"][1]["dtype"] == "float64"
    tabbed = upload(team, "tabbed", "t.tsv", "\ufeffa\tb\n1\tx y\n".encode())
    assert tabbed.json()["read_as"] == {"encoding": "utf-8-sig", "separator": "tab", "decimal": "."}
    assert preview_rows(team, tabbed.json()) == [[1, "x y"]]


def test_what_the_uploader_chooses_is_how_the_file_is_read(team: Team) -> None:
    cyrillic = "имя;город\nИван;Москва\n".encode("cp1251")  # noqa: RUF001
    guessed = upload(team, "a", "a.csv", cyrillic)  # decodes as Windows-1252, wrongly
    assert guessed.json()["read_as"]["encoding"] == "cp1252"
    chosen = upload(team, "a", "a.csv", cyrillic, encoding="windows-1251")
    assert chosen.json()["read_as"]["encoding"] == "cp1251"
    assert preview_rows(team, chosen.json()) == [["Иван", "Москва"]]
    one_column = upload(team, "b", "b.csv", b"a;b\n1;2\n", separator=",")
    assert one_column.json()["columns"] == ["a;b"]
    blank = upload(team, "e", "e.csv", b"x;y\n1,5;2\n", encoding="", separator="", decimal="")
    assert blank.json()["read_as"] == {"encoding": "utf-8", "separator": ";", "decimal": ","}
    points = upload(team, "c", "c.csv", b"x;y\n1,5;2\n", decimal=".")
    assert preview_rows(team, points.json()) == [["1,5", 2]]


def test_a_dialect_that_does_not_fit_is_named(team: Team) -> None:
    unknown = upload(team, "a", "a.csv", CSV, encoding="klingon")
    assert unknown.status_code == 400
    assert unknown.json()["issues"] == [
        {"field": "encoding", "code": "invalid", "message": "'klingon' is not a text encoding."}
    ]
    bad_choice = upload(team, "a", "a.csv", CSV, separator="x", decimal="/")
    assert {i["field"] for i in bad_choice.json()["issues"]} == {"separator", "decimal"}
    neither = upload(team, "a", "a.csv", b"a,b\n\x81\x8d,1\n")  # bytes Windows-1252 leaves out
    assert neither.status_code == 400
    assert neither.json()["detail"] == (
        "a.csv is neither UTF-8 nor Windows-1252 text; choose its encoding."
    )
    binary = upload(team, "a", "a.csv", b"\x00\x01\x02garbage\xff\xfe" * 10)
    assert binary.status_code == 400
    assert binary.json()["detail"] == "a.csv is a binary file, not CSV text: upload CSV or Parquet."
    workbook = upload(team, "a", "a.csv", b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml")
    assert workbook.status_code == 400
    assert workbook.json()["detail"] == (
        "a.csv is a ZIP archive (an Excel workbook is one), not CSV text: save the sheet as CSV, "
        "or upload Parquet."
    )
    wrong = upload(team, "a", "a.csv", "a,b\nü,1\n".encode("cp1252"), encoding="utf-8")
    assert wrong.status_code == 400
    assert wrong.json()["detail"].startswith("a.csv is not UTF-8 text (")
    assert wrong.json()["detail"].endswith("); choose its encoding.")
    from designer.runs.models import Dataset

    assert not Dataset.objects.exists()


def test_bad_uploads_are_named(team: Team, settings: object) -> None:
    empty = upload(team, "e", "e.csv", b"\n\n")
    assert empty.status_code == 400 and "e.csv" in empty.json()["detail"]
    broken = upload(team, "p", "p.parquet", b"PAR1 not really")
    assert broken.status_code == 400 and "Parquet" in broken.json()["detail"]
    ragged = upload(team, "r", "r.csv", b'a,b\n1,2,3,4\n"unterminated\n')
    assert ragged.status_code == 400 and "not valid CSV" in ragged.json()["detail"]
    badname = upload(team, "../etc", "x.csv", CSV)
    assert badname.status_code == 400 and badname.json()["issues"][0]["field"] == "name"
    assert upload(team, "v", "v.csv", CSV, who="viewer").status_code == 403
    settings.DESIGNER_MAX_UPLOAD_BYTES = 50  # type: ignore[attr-defined]
    big = upload(team, "big", "big.csv", CSV * 10)
    assert big.status_code == 413 and "accepts at most 50 bytes." in big.json()["detail"]
    from designer.runs.models import Dataset

    assert not Dataset.objects.exists()


def test_a_nul_character_in_an_upload_is_no_server_error(team: Team, tmp_path: Path) -> None:
    named = upload(team, "n", "n.csv", b"a\x00,b\n1,2\n")
    assert named.status_code == 400 and "NUL" in named.json()["detail"]
    valued = upload(team, "v", "v.csv", b"a,b\n1,x\x00y\n2,z\n")
    assert valued.status_code == 201, valued.json()
    # a table a run wrote may name a column so: its version is kept, the NUL shown replaced
    table = tmp_path / "t.parquet"
    pd.DataFrame({"a\x00b": [1]}).to_parquet(table)
    version = dataset_services.add_version(team.workspace, None, "w", table)
    assert version.columns == ["a\ufffdb"] and version.summary["columns"][0]["name"] == "a\ufffdb"
    listing = team.client("viewer").get(f"/api/workspaces/{team.workspace.pk}/datasets/")
    assert listing.status_code == 200
    assert {"v", "w"} <= {d["name"] for d in listing.json()["results"]}


def test_datasets_from_the_old_folder_are_imported_into_the_store(
    team: Team, tmp_path: Path
) -> None:
    folder = tmp_path / str(team.workspace.pk) / "old"
    folder.mkdir(parents=True)
    versions = []
    for i in range(2):
        pd.DataFrame({"x": range(i + 1)}).to_parquet(tmp_path / "t.parquet", index=False)
        digest = hashlib.sha256((tmp_path / "t.parquet").read_bytes()).hexdigest()
        (tmp_path / "t.parquet").rename(folder / f"{digest}.parquet")
        versions.append({"version": digest, "created": 1.0, "description": f"v{i}"})
    (folder / "versions.json").write_text(json.dumps(versions))
    out = io.StringIO()
    call_command("import_dataset_folder", str(tmp_path), stdout=out)
    assert out.getvalue().strip() == "imported 2 dataset versions"
    listed = team.client("viewer").get(f"/api/workspaces/{team.workspace.pk}/datasets/").json()
    (dataset,) = [d for d in listed["results"] if d["name"] == "old"]
    assert dataset["latest"]["digest"] == versions[-1]["version"], dataset
    stored = engine_setup.dataset_store(team.workspace.pk).versions("old")
    assert [(v["version"], v["description"]) for v in stored] == [
        (v["version"], v["description"]) for v in versions
    ]


def test_datasets_are_found_by_name(team: Team) -> None:
    for name in ("customers-2025", "Customers-2026", "orders"):
        assert upload(team, name, f"{name}.csv", CSV).status_code == 201
    url = f"/api/workspaces/{team.workspace.pk}/datasets/"
    found = team.client("viewer").get(url, {"q": "CUSTOMERS"}).json()
    assert {d["name"] for d in found["results"]} == {"Customers-2026", "customers-2025"}
    assert team.client("viewer").get(url, {"q": "z" * 201}).status_code == 400
    for dataset in team.client("viewer").get(url).json()["results"]:  # files outlive the test
        assert team.client("editor").delete(f"/api/datasets/{dataset['id']}/").status_code == 204


def test_an_uploaded_parquet_with_lists_and_structs_previews_them_cut_to_a_page(
    team: Team,
) -> None:
    """As a Spark or BigQuery export has them: the preview shows each list and struct, a long
    one cut to its start and named, in the answer's documented shape."""
    frame = pd.DataFrame(
        {"id": [1, 2], "scores": [[0.5, 0.25], list(range(50_000))], "who": [{"n": "a"}, None]}
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    answer = upload(team, "events", "events.parquet", buffer.getvalue())
    assert answer.status_code == 201, answer.json()
    dataset, digest = answer.json()["dataset"]["id"], answer.json()["digest"]
    page = team.client("viewer").get(f"/api/datasets/{dataset}/versions/{digest}/preview/")
    schema_validator("/api/datasets/{id}/versions/{digest}/preview/", "get", "200").validate(
        page.json()
    )
    rows = page.json()["rows"]
    assert rows[0] == [1, [0.5, 0.25], {"n": "a"}]
    assert rows[1][0] == 2 and rows[1][2] is None
    assert 100 < len(rows[1][1]) < 1000 and rows[1][1] == list(range(len(rows[1][1])))
    assert page.json()["cut"] == [{"row": 1, "column": 1, "length": None}]
