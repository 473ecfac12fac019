"""Hostile input gets a 400 naming the limit it broke, never a 500 or a silent acceptance.

Deeply nested JSON bodies and graph params, huge page sizes and offsets, node ids that are not
safe names, integers beyond 64 bits or a param's range, and documents that differ only in JSON
type (`true`, `1`, `1.0`) — through the real HTTP API.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.workspaces.pagination import MAX_PAGE
from designer.workspaces.parsers import MAX_JSON_DEPTH
from tests.integration.api.conftest import Team, fast_passwords, make_team, simple_document  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def nested_text(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


def create_graph(team: Team, document: dict[str, Any]) -> Any:
    body = {"name": "g", "document": document}
    return team.client("owner").post(f"/api/workspaces/{team.workspace.pk}/graphs/", body, "json")


def test_deeply_nested_json_bodies_are_refused_naming_the_limit(team: Team) -> None:
    client = team.client("owner")
    deep = '{"name": ' + nested_text(1000) + "}"
    for path in ("/api/workspaces/", f"/api/workspaces/{team.workspace.pk}/graphs/"):
        response = client.generic("POST", path, deep, content_type="application/json")
        assert response.status_code == 400, (path, response.content[:200])
        assert f"deeper than {MAX_JSON_DEPTH} levels" in response.json()["detail"]
    upload = SimpleUploadedFile("deep.json", nested_text(100_000).encode())
    imported = client.post(
        f"/api/workspaces/{team.workspace.pk}/graphs/import/", {"file": upload}, "multipart"
    )
    assert imported.status_code == 400
    assert f"deeper than {MAX_JSON_DEPTH} levels" in imported.json()["detail"]


def test_deeply_nested_graph_params_are_refused_naming_the_node(team: Team) -> None:
    document = simple_document(1)
    document["nodes"][0]["params"]["name"] = nested(40)  # within the body cap, over the param cap
    response = create_graph(team, document)
    assert response.status_code == 400
    issue = response.json()["issues"][0]  # a param is a scalar or a list of texts: no nesting
    assert (issue["node"], issue["param"]) == ("n1", "name") and "got array" in issue["message"]


@pytest.mark.parametrize("huge", [2**63, 10**30])
def test_a_huge_limit_is_clamped_and_a_huge_offset_refused(team: Team, huge: int) -> None:
    client = team.client("owner")
    ws = team.workspace.pk
    lists = [
        "/api/workspaces/",
        f"/api/workspaces/{ws}/members/",
        f"/api/workspaces/{ws}/graphs/",
        f"/api/workspaces/{ws}/runs/",
        f"/api/workspaces/{ws}/datasets/",
        f"/api/workspaces/{ws}/endpoints/",
        f"/api/workspaces/{ws}/endpoint-keys/",
        "/api/tokens/",
    ]
    for path in lists:
        page = client.get(f"{path}?limit={huge}")
        assert page.status_code == 200, (path, page.content[:200])
        assert len(page.json()["results"]) <= MAX_PAGE
        far = client.get(f"{path}?offset={huge}")
        assert far.status_code == 400, (path, far.content[:200])
        assert far.json()["issues"][0]["field"] == "offset"


@pytest.mark.parametrize("bad_id", ["x/y", "x" * 300, "../../etc", "n 1", "ünïcode", "x.y"])
def test_unsafe_node_ids_are_refused_naming_the_node(team: Team, bad_id: str) -> None:
    document = simple_document(1)
    document["nodes"][0]["id"] = bad_id
    response = create_graph(team, document)
    assert response.status_code == 400
    issue = response.json()["issues"][0]
    assert issue["node"] == bad_id and "letters, digits" in issue["message"]


def test_the_longest_safe_node_id_is_accepted(team: Team) -> None:
    document = simple_document(2)
    document["nodes"][1]["id"] = "A-z_9" * 12 + "abcd"  # 64 characters
    document["edges"][0]["target"]["node"] = document["nodes"][1]["id"]
    assert create_graph(team, document).status_code == 201


def split_document(seed: Any) -> dict[str, Any]:
    document = simple_document(1)
    document["nodes"].append(
        {
            "id": "split",
            "module": "transform.split_rows@1",
            "params": {"fraction": 0.5, "seed": seed},
            "position": {"x": 0, "y": 100},
        }
    )
    document["edges"].append(
        {
            "id": "e",
            "source": {"node": "n1", "port": "dataset"},
            "target": {"node": "split", "port": "dataset"},
        }
    )
    return document


@pytest.mark.parametrize("seed", [10**100, 2**63, 2**32, -1])
def test_params_outside_their_real_range_are_named(team: Team, seed: int) -> None:
    created = create_graph(team, split_document(seed))
    assert created.status_code == 201  # a draft may be invalid; it says why
    issues = created.json()["issues"]
    assert [(i["node"], i["param"], i["code"]) for i in issues] == [
        ("split", "seed", "param_out_of_range")
    ]
    graph = created.json()["id"]
    run = team.client("owner").post(f"/api/graphs/{graph}/runs/", {}, "json")
    assert run.status_code == 400
    assert [(i["node"], i["param"]) for i in run.json()["issues"]] == [("split", "seed")]


def test_a_draft_differing_only_in_json_type_is_a_new_version(team: Team) -> None:
    client = team.client("owner")
    graph = create_graph(team, split_document(1)).json()
    first = client.post(f"/api/graphs/{graph['id']}/versions/", {"message": "1"}, "json")
    assert first.status_code == 201
    etag = client.get(f"/api/graphs/{graph['id']}/").headers["ETag"]
    for seed in (1.0, True):
        saved = client.put(
            f"/api/graphs/{graph['id']}/draft/", split_document(seed), "json", HTTP_IF_MATCH=etag
        )
        assert saved.status_code == 200, saved.json()
        etag = saved.headers["ETag"]
        committed = client.post(f"/api/graphs/{graph['id']}/versions/", {"message": "t"}, "json")
        assert committed.status_code == 201, committed.json()  # not "unchanged"
    diff = client.get(f"/api/graphs/{graph['id']}/diff/?from=1&to=2").json()
    assert diff["nodes"]["changed"][0]["params"]["changed"] == {"seed": {"from": 1, "to": 1.0}}


def test_every_encoding_name_an_upload_may_choose_is_a_201_or_a_named_400(team: Team) -> None:
    """A compressing or binary codec (`zlib`, `bz2`, `base64`: a decompression bomb, or bytes
    where text belongs) is refused by name; a text codec that cannot read the file is a 400
    naming the file; none is a 500."""
    from encodings.aliases import aliases

    names = sorted({*aliases, *aliases.values(), "punycode", "idna", "undefined", "utf-7"})
    content = "a,b\n1,é\n".encode()
    client = team.client("editor")
    refused = set()
    for name in names:
        body = {"name": "d", "file": SimpleUploadedFile("d.csv", content), "encoding": name}
        answer = client.post(f"/api/workspaces/{team.workspace.pk}/datasets/", body, "multipart")
        assert answer.status_code in (201, 400), (name, answer.status_code, answer.content[:300])
        if answer.status_code == 400:
            issues = answer.json()["issues"]
            if issues:
                assert issues[0]["field"] == "encoding", (name, issues)
                refused.add(name)
            else:
                assert answer.json()["detail"].startswith("d.csv "), (name, answer.json())
    assert {"zlib", "bz2", "base64", "rot13", "hex", "undefined"} <= refused
    assert not refused & {"utf8", "latin1", "cp1252", "utf_16", "koi8_r", "shift_jis"}


def test_run_ids_beyond_64_bits_are_refused_not_a_server_error(team: Team) -> None:
    client = team.client("viewer")
    path = f"/api/workspaces/{team.workspace.pk}/runs/"
    for ids in ("1,7454214273766897453600086", "9" * 19, "1,,2", "-1", " 1"):
        answer = client.get(path, {"ids": ids})
        assert answer.status_code == 400, (ids, answer.content[:200])
        assert "1 to 18 digits" in answer.json()["detail"]
    assert client.get(path, {"ids": "9" * 18}).json()["count"] == 0
