"""What Schemathesis found, kept as plain tests: strict request types and shapes, no 500s."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from designer.api_schema import operation_path, operation_query_parameters
from designer.workspaces.permissions import ScopedAPIView
from tests.integration.api.conftest import Team, schema_validator, simple_document

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).parents[3]


def _graph(team: Team) -> int:
    editor = team.client("editor")
    body = {"name": "g", "document": simple_document()}
    graph: int = editor.post(
        f"/api/workspaces/{team.workspace.pk}/graphs/", body, format="json"
    ).json()["id"]
    return graph


def _fields(response: object) -> list[str]:
    return [i.get("field", "") for i in response.json()["issues"]]  # type: ignore[attr-defined]


def test_a_number_is_not_a_name(team: Team) -> None:
    owner = team.client("owner")
    refused = owner.post("/api/workspaces/", {"name": 0}, format="json")
    assert refused.status_code == 400 and _fields(refused) == ["name"]
    graph = _graph(team)
    refused = owner.patch(f"/api/graphs/{graph}/", {"name": 7, "description": True}, format="json")
    assert refused.status_code == 400 and sorted(_fields(refused)) == ["description", "name"]


def test_validate_and_compile_take_a_document_or_nothing(team: Team) -> None:
    viewer, graph = team.client("viewer"), _graph(team)
    for action in ("validate", "compile"):
        assert viewer.post(f"/api/graphs/{graph}/{action}/", [], format="json").status_code == 400
        assert viewer.post(f"/api/graphs/{graph}/{action}/", {}, format="json").status_code == 200


def test_a_multipart_import_without_a_file_names_the_file(team: Team) -> None:
    editor = team.client("editor")
    refused = editor.post(
        f"/api/workspaces/{team.workspace.pk}/graphs/import/", {"name": "x"}, format="multipart"
    )
    assert refused.status_code == 400 and _fields(refused) == ["file"]


def test_query_values_are_checked_not_guessed(team: Team) -> None:
    viewer, graph = team.client("viewer"), _graph(team)
    for path in (
        f"/api/graphs/{graph}/export/?version=",
        f"/api/graphs/{graph}/export/?version=99999999999",
        f"/api/graphs/{graph}/diff/?from=draft&to=-1",
        f"/api/graphs/{graph}/runs/?status=",
        f"/api/workspaces/{team.workspace.pk}/runs/?graph=",
        f"/api/workspaces/{team.workspace.pk}/datasets/?archived=1073741823",
        f"/api/workspaces/{team.workspace.pk}/graphs/?limit=many",
    ):
        assert viewer.get(path).status_code == 400, path


def test_plan_preview_reads_the_workspace_cache(team: Team) -> None:
    graph = _graph(team)
    preview = team.client("viewer").post(f"/api/graphs/{graph}/plan/", {}, format="json")
    assert preview.status_code == 200, preview.content


def test_options_and_head_on_a_post_only_route_are_no_server_error(team: Team) -> None:
    graph = _graph(team)
    editor = team.client("editor")
    assert editor.options(f"/api/graphs/{graph}/validate/").status_code == 200
    assert editor.head(f"/api/graphs/{graph}/validate/").status_code == 405


def test_a_nul_character_in_a_json_body_is_a_400_not_a_database_error(team: Team) -> None:
    refused = team.client("owner").post(
        "/api/workspaces/", b'{"name": "a\\u0000b"}', content_type="application/json"
    )
    assert refused.status_code == 400 and "NUL" in refused.json()["detail"]
    # an escaped backslash followed by the text "u0000" is no NUL
    kept = team.client("owner").post(
        "/api/workspaces/", b'{"name": "a\\\\u0000b"}', content_type="application/json"
    )
    assert kept.status_code == 201 and kept.json()["name"] == "a\\u0000b"


def test_text_longer_than_the_schema_allows_is_refused_before_trimming(team: Team) -> None:
    owner, workspace = team.client("owner"), team.workspace.pk
    too_long = "\n" + "x" * 200  # 201 characters sent; 200 once DRF trims the newline
    refused = owner.patch(f"/api/workspaces/{workspace}/", {"name": too_long}, format="json")
    assert refused.status_code == 400 and _fields(refused) == ["name"]
    upload = SimpleUploadedFile("g.json", b"{}", content_type="application/json")
    refused = owner.post(
        f"/api/workspaces/{workspace}/graphs/import/",
        {"name": too_long, "file": upload},
        format="multipart",
    )
    assert refused.status_code == 400 and "name" in _fields(refused)
    assert owner.get(f"/api/workspaces/{workspace}/").json()["name"] == team.workspace.name


def test_the_schema_calls_blank_exactly_what_the_server_trims_away() -> None:
    from designer.workspaces.schema import NOT_BLANK

    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    # whatever a client's regex engine counts as \s (ASCII-only ones, as Hypothesis's, too)
    for pattern in (re.compile(NOT_BLANK), re.compile(NOT_BLANK, re.ASCII)):
        assert [hex(ord(c)) for c in spaces if pattern.match(c * 2)] == []
        assert all(pattern.match(f"{c}a{c}") for c in spaces)


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_api_route_and_method_is_an_operation_of_the_schema() -> None:
    declared = operation_query_parameters()
    views = [
        (route, callback.view_class)
        for route, callback in _routes(get_resolver().url_patterns)
        if issubclass(getattr(callback, "view_class", object), ScopedAPIView)
    ]
    assert len(views) > 40
    missing = [
        f"{method} {route}"
        for route, view in views
        for method in view.policy
        if (operation_path(route), method) not in declared
    ]
    assert missing == []


def test_unknown_query_parameters_are_refused_by_name(team: Team) -> None:
    viewer, graph = team.client("viewer"), _graph(team)
    refused = viewer.get(f"/api/graphs/{graph}/runs/?limit=1&sort=x&colour=red")
    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "unknown_parameter"
    assert _fields(refused) == ["colour", "sort"]
    assert "limit" in refused.json()["detail"]  # what it does take
    refused = viewer.post(f"/api/graphs/{graph}/validate/?strict=1", {}, format="json")
    assert refused.status_code == 400 and _fields(refused) == ["strict"]
    assert viewer.get(f"/api/graphs/{graph}/runs/?limit=1&offset=0").status_code == 200
    assert viewer.head(f"/api/graphs/{graph}/runs/?limit=1").status_code == 200
    assert viewer.head(f"/api/graphs/{graph}/runs/?nope=1").status_code == 400
    signed_out = APIClient().get(f"/api/graphs/{graph}/runs/?nope=1")
    assert signed_out.status_code == 401  # who asks comes before what they ask


FRONT_END_QUERY = re.compile(r"(/api/[^`\"'?]*)\?([^`\"']*)")


def test_the_front_end_sends_onlyoperation_query_parameters() -> None:
    declared = operation_query_parameters()
    sent, checked = [], 0
    for source in (ROOT / "frontend" / "src").rglob("*.ts*"):
        if source.name.endswith(".gen.ts"):
            continue
        for path, query in FRONT_END_QUERY.findall(source.read_text()):
            # a path parameter: a template's `${…}`, or a test's literal id
            template = re.sub(r"\$\{[^}]*\}|(?<=/)\d+(?=/)", "{x}", path)
            pattern = re.escape(template).replace(r"\{x\}", r"\{\w+\}")
            names = re.findall(r"(\w+)=", query)
            takes = {
                name
                for (known, _), params in declared.items()
                if re.fullmatch(pattern, known)
                for name in params
            }
            sent += [(template, name) for name in names if name not in takes]
            checked += len(names)
    assert checked > 20 and sent == []


def test_a_graph_imports_from_either_json_form_the_schema_describes(team: Team) -> None:
    accepts = schema_validator("/api/workspaces/{id}/graphs/import/", "post")
    editor, url = team.client("editor"), f"/api/workspaces/{team.workspace.pk}/graphs/import/"
    document = simple_document(2)
    exported = {"name": "Churn", "description": "Who leaves", "document": document}
    for form, query, name in ((exported, "", "Churn"), (document, "?name=Bare", "Bare")):
        assert accepts.is_valid(form)
        made = editor.post(url + query, form, format="json")
        assert made.status_code == 201, made.content
        assert (made.json()["name"], made.json()["draft"]) == (name, document)
    neither = {**document, "document": document}
    assert not accepts.is_valid(neither)
    assert editor.post(url, neither, format="json").status_code == 400
    for not_text in ({}, [], 0, False, None):  # falsy, and still not a name
        wrong = {**exported, "name": not_text}
        assert not accepts.is_valid(wrong)
        refused = editor.post(url, wrong, format="json")
        assert refused.status_code == 400 and _fields(refused) == ["name"], not_text
    for blank in ("", "  "):
        made = editor.post(url, {**exported, "name": blank}, format="json")
        assert made.status_code == 201 and made.json()["name"] == "Imported graph"


def test_the_columns_known_before_running_are_typed_in_the_schema(team: Team) -> None:
    answers = schema_validator("/api/graphs/{id}/columns/", "post", "200")
    graph, document = _graph(team), simple_document(2)
    document["nodes"].append(
        {"id": "py", "module": "script.python@1", "params": {}, "position": {"x": 0, "y": 0}}
    )
    document["edges"].append(
        {
            "id": "e9",
            "source": {"node": "n2", "port": "dataset"},
            "target": {"node": "py", "port": "dataset1"},
        }
    )
    known = team.client("viewer").post(f"/api/graphs/{graph}/columns/", document, format="json")
    assert known.status_code == 200, known.content
    answers.validate(known.json())
    iris = known.json()["nodes"]["n2"]["dataset"]
    assert {"name": "sepal length (cm)", "dtype": "float64"} in iris
    assert None in known.json()["nodes"]["py"].values()  # a script's output: only a run tells


def test_the_columns_after_apply_transformation_are_known_and_a_transform_is_no_table(
    team: Team,
) -> None:
    answers = schema_validator("/api/graphs/{id}/columns/", "post", "200")
    graph, document = _graph(team), simple_document(2)
    for node_id, module in (("pca", "transform.pca@1"), ("apply", "transform.apply_transform@1")):
        document["nodes"].append(
            {"id": node_id, "module": module, "params": {}, "position": {"x": 0, "y": 0}}
        )
    for number, (source, target) in enumerate(
        (
            ("n2.dataset", "pca.dataset"),
            ("pca.transform", "apply.transform"),
            ("n1.dataset", "apply.dataset"),
        )
    ):
        (s_node, s_port), (t_node, t_port) = source.split("."), target.split(".")
        document["edges"].append(
            {
                "id": f"t{number}",
                "source": {"node": s_node, "port": s_port},
                "target": {"node": t_node, "port": t_port},
            }
        )
    known = team.client("viewer").post(f"/api/graphs/{graph}/columns/", document, format="json")
    assert known.status_code == 200, known.content
    answers.validate(known.json())
    nodes = known.json()["nodes"]
    assert [c["name"] for c in nodes["apply"]["dataset"]] == ["target", "PC1", "PC2"]
    assert set(nodes["pca"]) == {"dataset", "variance", "weights"}  # its tables only
