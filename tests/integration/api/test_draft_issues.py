"""A graph's draft is validated once per revision: readers of an unchanged draft get its issues
without validating it again, and never another draft's (decision 0111)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F

from designer.graphs import draft_issues
from designer.graphs.models import Graph
from designer.graphs.services import create_graph
from tests.integration.api.conftest import Team, simple_document
from tests.integration.api.test_graphs import create, put_draft


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The drafts validated for readers, in order."""
    seen: list[Any] = []
    validate = draft_issues.validation_issues

    def counted(document: Any) -> list[dict[str, Any]]:
        seen.append(document)
        return validate(document)

    monkeypatch.setattr(draft_issues, "validation_issues", counted)
    return seen


def with_unknown_module(node: str) -> dict[str, Any]:
    doc = simple_document(3)
    next(n for n in doc["nodes"] if n["id"] == node)["module"] = "no.such_module@1"
    return doc


def issue_nodes(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.json()
    return [issue["node"] for issue in answer.json()["issues"]]


def test_an_unchanged_draft_is_validated_once_for_all_its_readers(
    team: Team, validations: list[Any]
) -> None:
    editor, viewer = team.client("editor"), team.client("viewer")
    graph = create(editor, team.workspace.pk, with_unknown_module("n2"))
    url = f"/api/graphs/{graph['id']}/"
    assert issue_nodes(editor.get(url)) == issue_nodes(viewer.get(url)) == ["n2"]
    assert issue_nodes(viewer.post(f"{url}validate/", {}, format="json")) == ["n2"]  # the draft
    assert len(validations) == 1  # when it was created

    saved = put_draft(editor, graph["id"], with_unknown_module("n3"), graph["etag"])
    assert issue_nodes(saved) == ["n3"]
    assert issue_nodes(viewer.get(url)) == ["n3"]  # the saved draft's, as the save found them
    assert len(validations) == 1

    # another server process saves the draft (a co-editing room): a new revision, read afresh
    Graph.objects.filter(pk=graph["id"]).update(
        draft=simple_document(3), draft_revision=F("draft_revision") + 1
    )
    assert issue_nodes(viewer.get(url)) == []
    assert len(validations) == 2
    renamed = editor.patch(url, {"name": "renamed"}, format="json")  # the draft is unchanged
    assert issue_nodes(renamed) == [] and len(validations) == 2


def test_a_graph_made_under_a_reused_id_is_not_taken_for_the_one_before(team: Team) -> None:
    owner = team.users["owner"]
    first = create_graph(team.workspace, owner, "first", document=with_unknown_module("n2"))
    url = f"/api/graphs/{first.pk}/"
    assert issue_nodes(team.client("viewer").get(url)) == ["n2"]
    pk, revision = first.pk, first.draft_revision
    first.delete()
    second = Graph.objects.create(
        pk=pk, workspace=team.workspace, name="second", draft=simple_document(3), updated_by=owner
    )
    assert second.draft_revision == revision
    assert issue_nodes(team.client("viewer").get(url)) == []


def test_a_process_keeps_the_issues_of_its_latest_drafts_only(
    team: Team, validations: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(draft_issues, "KEPT_DRAFTS", 2)
    viewer = team.client("viewer")
    graphs = [
        create_graph(team.workspace, team.users["owner"], f"g{i}", document=simple_document(2))
        for i in range(3)
    ]
    for graph in graphs:  # each read once: the first is dropped when the third is kept
        assert issue_nodes(viewer.get(f"/api/graphs/{graph.pk}/")) == []
    assert issue_nodes(viewer.get(f"/api/graphs/{graphs[2].pk}/")) == []
    assert len(validations) == 3
    assert issue_nodes(viewer.get(f"/api/graphs/{graphs[0].pk}/")) == []
    assert len(validations) == 4
