"""The workspace activity log through the HTTP API: each action's entry, filters, who reads it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from designer.activity.log import NotInTransaction, record
from designer.activity.models import Action, ActivityEntry, AppendOnly, TargetKind
from designer.runs import engine_setup
from tests.integration.api.conftest import Team, make_team, schema_validator, simple_document
from tests.integration.endpoints.conftest import create_graph, publish, scoring_document

pytestmark = pytest.mark.django_db


def activity(team: Team, query: str = "", who: str = "owner") -> list[dict[str, Any]]:
    """The team workspace's activity entries, newest first, as `who` reads them."""
    response = team.client(who).get(f"/api/workspaces/{team.workspace.pk}/activity/{query}")
    assert response.status_code == 200, response.json()
    schema_validator("/api/workspaces/{id}/activity/", "get", "200").validate(response.json())
    return list(response.json()["results"])


def entry(
    found: dict[str, Any], action: str, actor: str, kind: str, name: str, **details: Any
) -> None:
    """Check one entry's action, actor, target kind and name, and the details given."""
    assert (found["action"], found["actor_name"], found["target_kind"], found["target_name"]) == (
        action,
        actor,
        kind,
        name,
    )
    for key, value in details.items():
        assert found["details"][key] == value, (key, found["details"])


def test_member_changes_and_a_rename_are_recorded_newest_first(team: Team) -> None:
    User = get_user_model()
    bob = User.objects.create_user("bob", "bob@example.com", "pw-123456789")
    owner, base = team.client("owner"), f"/api/workspaces/{team.workspace.pk}"
    assert (
        owner.post(
            f"{base}/members/", {"user": "bob@example.com", "role": "viewer"}, "json"
        ).status_code
        == 201
    )
    assert owner.patch(f"{base}/members/{bob.pk}/", {"role": "editor"}, "json").status_code == 200
    assert owner.patch(f"{base}/members/{bob.pk}/", {"role": "editor"}, "json").status_code == 200
    assert owner.delete(f"{base}/members/{bob.pk}/").status_code == 204
    assert owner.patch(f"{base}/", {"name": "Churn team"}, "json").status_code == 200

    renamed, removed, changed, added = activity(team)  # the unchanged role is no action
    entry(renamed, "workspace_renamed", "owner", "workspace", "Churn team", to="Churn team")
    assert renamed["details"]["from"] == "Team"
    assert renamed["target_id"] == team.workspace.pk
    entry(removed, "member_removed", "owner", "member", "bob", role="editor")
    entry(changed, "member_role_changed", "owner", "member", "bob", to="editor")
    assert changed["details"]["from"] == "viewer"
    entry(added, "member_added", "owner", "member", "bob", role="viewer")
    assert {e["target_id"] for e in (removed, changed, added)} == {bob.pk}
    assert {e["actor"] for e in (renamed, removed, changed, added)} == {team.users["owner"].pk}


def test_endpoint_key_and_schedule_changes_are_recorded_without_key_material(team: Team) -> None:
    editor, workspace = team.client("editor"), team.workspace.pk
    graph = create_graph(editor, workspace, scoring_document())
    endpoint = publish(editor, workspace, graph, name="churn")
    created = editor.post(
        f"/api/workspaces/{workspace}/endpoint-keys/",
        {"name": "prod", "endpoint": endpoint["id"], "rate_per_minute": 60},
        "json",
    ).json()
    assert editor.delete(f"/api/endpoint-keys/{created['id']}/").status_code == 204
    base = f"/api/endpoints/{endpoint['id']}"
    schedule = editor.post(
        f"{base}/schedules/", {"cron": "0 6 * * *", "parameters": {"where": "a > 0"}}, "json"
    ).json()
    change = {"cron": "0 7 * * *", "parameters": {"where": "a > 1"}}
    assert editor.patch(f"/api/schedules/{schedule['id']}/", change, "json").status_code == 200
    assert editor.delete(f"/api/schedules/{schedule['id']}/").status_code == 204
    change = {"enabled": False, "description": "Scores churn nightly"}
    assert editor.patch(f"{base}/", change, "json").status_code == 200
    assert editor.post(f"{base}/versions/", {}, "json").status_code == 201
    assert editor.delete(f"{base}/").status_code == 204

    log = activity(team)
    assert [e["action"] for e in log] == [
        "endpoint_deleted",
        "endpoint_version_published",
        "endpoint_changed",
        "schedule_deleted",
        "schedule_changed",
        "schedule_created",
        "key_revoked",
        "key_created",
        "endpoint_published",
    ]
    assert {e["actor_name"] for e in log} == {"editor"}
    deleted, version, disabled, unscheduled, rescheduled, scheduled, revoked, key, published = log
    entry(published, "endpoint_published", "editor", "endpoint", "churn", version=1, graph=graph)
    entry(key, "key_created", "editor", "key", "prod", endpoint_name="churn", rate_per_minute=60)
    entry(revoked, "key_revoked", "editor", "key", "prod", endpoint=endpoint["id"])
    entry(scheduled, "schedule_created", "editor", "schedule", "0 6 * * * (UTC)", cron="0 6 * * *")
    entry(
        rescheduled,
        "schedule_changed",
        "editor",
        "schedule",
        "0 7 * * * (UTC)",
        changes={"cron": {"from": "0 6 * * *", "to": "0 7 * * *"}, "parameters": {}},
    )
    entry(unscheduled, "schedule_deleted", "editor", "schedule", "0 7 * * * (UTC)")
    entry(
        disabled,
        "endpoint_changed",
        "editor",
        "endpoint",
        "churn",
        changes={"enabled": {"from": True, "to": False}, "description": {}},
    )
    entry(version, "endpoint_version_published", "editor", "endpoint", "churn", version=2)
    entry(deleted, "endpoint_deleted", "editor", "endpoint", "churn", endpoint_kind="pipeline")
    text = str(log)
    assert created["key"] not in text and created["prefix"] not in text
    assert "a > 1" not in text and "nightly" not in text  # named as changed, not copied


@pytest.fixture
def data_team(team: Team) -> Iterator[Team]:
    """The team, its dataset files removed afterwards (the rolled-back test never commits the
    deletion, and the next test's workspace may get the same id)."""
    yield team
    engine_setup.dataset_store(team.workspace.pk).delete_all()


def test_deleted_pipelines_and_datasets_are_recorded_by_their_names(data_team: Team) -> None:
    team = data_team
    editor, workspace = team.client("editor"), team.workspace.pk
    graph = create_graph(editor, workspace, simple_document())
    ids = {}
    for name in ("old-data", "kept-data"):
        file = SimpleUploadedFile("d.csv", b"a\n1\n")
        answer = editor.post(
            f"/api/workspaces/{workspace}/datasets/", {"name": name, "file": file}, "multipart"
        )
        ids[name] = answer.json()["dataset"]["id"]
    assert editor.delete(f"/api/datasets/{ids['old-data']}/").status_code == 204
    assert editor.delete(f"/api/datasets/{ids['kept-data']}/?archive=1").status_code == 204
    assert editor.delete(f"/api/datasets/{ids['kept-data']}/?archive=1").status_code == 204
    assert editor.delete(f"/api/graphs/{graph}/").status_code == 204

    deleted_graph, archived, deleted_data = activity(team)  # archiving twice is one action
    entry(deleted_graph, "graph_deleted", "editor", "graph", "scoring", runs=0)
    assert deleted_graph["target_id"] == graph
    entry(archived, "dataset_archived", "editor", "dataset", "kept-data", versions=1)
    entry(deleted_data, "dataset_deleted", "editor", "dataset", "old-data", versions=1)


def test_a_refused_action_leaves_no_entry(team: Team) -> None:
    owner, editor, base = (
        team.client("owner"),
        team.client("editor"),
        f"/api/workspaces/{team.workspace.pk}",
    )
    me = team.users["owner"].pk
    assert owner.patch(f"{base}/members/{me}/", {"role": "viewer"}, "json").status_code == 409
    assert owner.delete(f"{base}/members/{me}/").status_code == 409
    assert (
        owner.post(f"{base}/members/", {"user": "editor", "role": "viewer"}, "json").status_code
        == 409
    )
    assert editor.patch(f"{base}/members/{me}/", {"role": "viewer"}, "json").status_code == 403
    graph = create_graph(editor, team.workspace.pk, scoring_document())
    endpoint = publish(editor, team.workspace.pk, graph, name="churn")
    taken = editor.post(f"{base}/endpoints/", {"name": "churn", "graph": graph}, "json")
    assert taken.status_code == 409
    bad_cron = {"cron": "every day", "parameters": {"where": "a > 0"}}
    schedules = f"/api/endpoints/{endpoint['id']}/schedules/"
    assert editor.post(schedules, bad_cron, "json").status_code == 400
    # its entry is written before the graph's delete finds the endpoint still using it: rolled back
    in_use = editor.delete(f"/api/graphs/{graph}/")
    assert in_use.status_code == 409 and in_use.json()["code"] == "in_use"
    assert [e["action"] for e in activity(team)] == ["endpoint_published"]


@pytest.mark.django_db(transaction=True)
def test_an_entry_is_written_only_inside_a_transaction_and_never_changed() -> None:
    team = make_team()
    owner = team.users["owner"]
    with pytest.raises(NotInTransaction):
        record(team.workspace.pk, owner, Action.WORKSPACE_RENAMED, TargetKind.WORKSPACE, 1, "x")
    with transaction.atomic():
        written = record(
            team.workspace.pk, owner, Action.WORKSPACE_RENAMED, TargetKind.WORKSPACE, 1, "x"
        )
    written.target_name = "rewritten"
    with pytest.raises(AppendOnly):
        written.save()
    with pytest.raises(AppendOnly):
        written.delete()
    assert ActivityEntry.objects.get(pk=written.pk).target_name == "x"


def test_filters_by_action_and_user_and_pages(team: Team) -> None:
    owner, base = team.client("owner"), f"/api/workspaces/{team.workspace.pk}"
    editor, viewer = team.users["editor"], team.users["viewer"]
    owner.patch(f"{base}/members/{viewer.pk}/", {"role": "editor"}, "json")
    owner.patch(f"{base}/", {"name": "Renamed"}, "json")
    team.client("editor").delete(
        f"/api/graphs/{create_graph(team.client('editor'), team.workspace.pk, simple_document())}/"
    )

    assert [e["action"] for e in activity(team, "?action=member_role_changed")] == [
        "member_role_changed"
    ]
    assert [e["action"] for e in activity(team, f"?user={editor.pk}")] == ["graph_deleted"]
    assert activity(team, f"?user={viewer.pk}") == []
    page = owner.get(f"{base}/activity/?limit=1").json()
    assert page["count"] == 3 and [e["action"] for e in page["results"]] == ["graph_deleted"]
    bad = owner.get(f"{base}/activity/?action=everything")
    assert bad.status_code == 400 and "everything" in bad.json()["detail"]


def test_only_owners_read_the_log(team: Team) -> None:
    team.client("owner").patch(f"/api/workspaces/{team.workspace.pk}/", {"name": "R"}, "json")
    path = f"/api/workspaces/{team.workspace.pk}/activity/"
    answers = {
        who: team.client(who).get(path) for who in ("editor", "viewer", "outsider", "anonymous")
    }
    assert {who: a.status_code for who, a in answers.items()} == {
        "editor": 403,
        "viewer": 403,
        "outsider": 404,
        "anonymous": 401,
    }
    assert "R" not in answers["outsider"].json()["detail"]
    assert len(activity(team)) == 1


def test_deleting_a_workspace_deletes_its_log(team: Team) -> None:
    owner, workspace = team.client("owner"), team.workspace.pk
    owner.patch(f"/api/workspaces/{workspace}/", {"name": "Doomed"}, "json")
    assert ActivityEntry.objects.filter(workspace_id=workspace).count() == 1
    assert owner.delete(f"/api/workspaces/{workspace}/").status_code == 204
    assert not ActivityEntry.objects.filter(workspace_id=workspace).exists()
    assert owner.get(f"/api/workspaces/{workspace}/activity/").status_code == 404


def test_an_anonymous_actor_reads_as_no_one(team: Team) -> None:
    with transaction.atomic():
        record(team.workspace.pk, None, Action.GRAPH_DELETED, TargetKind.GRAPH, 9, "gone")
    (found,) = activity(team)
    assert found["actor"] is None and found["actor_name"] == ""
