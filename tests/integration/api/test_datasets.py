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


def upload(team: Team, name: str, filename: str, content: bytes, who: str = "editor") -> object:
    file = SimpleUploadedFile(filename, content)
    return team.client(who).post(
        f"/api/workspaces/{team.workspace.pk}/datasets/",
        {"name": name, "file": file},
        format="multipart",
    )


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
