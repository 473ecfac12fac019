"""A workspace's activity log: only its owners read it, nobody else learns it exists, and it
never holds a key's secret.

Editors and viewers are refused (403, as for any action above their role); members of other
workspaces get the same 404 as for a workspace that does not exist, whatever filter they add;
a demoted owner is refused at the next request. Keys are logged by name and scope only.
"""

from __future__ import annotations

import json

import pytest

from designer.activity.models import ActivityEntry
from designer.endpoints.models import EndpointKey
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.endpoints.conftest import create_graph, publish, scoring_document

pytestmark = pytest.mark.django_db
FILTERS = ("", "?action=member_role_changed", "?action=nonsense", "?user=1", "?limit=1")


@pytest.fixture
def team(db: None) -> Team:
    team = make_team()
    owner = team.client("owner")
    owner.patch(f"/api/workspaces/{team.workspace.pk}/", {"name": "Secret plans"}, "json")
    viewer = team.users["viewer"].pk
    owner.patch(
        f"/api/workspaces/{team.workspace.pk}/members/{viewer}/", {"role": "editor"}, "json"
    )
    return team


def test_members_below_owner_are_refused_whatever_they_ask(team: Team) -> None:
    path = f"/api/workspaces/{team.workspace.pk}/activity/"
    for who in ("editor", "viewer"):
        for query in FILTERS:
            answer = team.client(who).get(path + query)
            assert answer.status_code == 403, (who, query)
            assert "Secret plans" not in answer.content.decode()


def test_a_member_of_another_workspace_cannot_tell_the_log_exists(team: Team) -> None:
    outsider = team.client("outsider")
    missing = team.workspace.pk + 1000
    for query in FILTERS:
        real = outsider.get(f"/api/workspaces/{team.workspace.pk}/activity/{query}")
        made_up = outsider.get(f"/api/workspaces/{missing}/activity/{query}")
        assert real.status_code == made_up.status_code == 404, query
        assert real.json()["detail"].replace(str(team.workspace.pk), "N") == made_up.json()[
            "detail"
        ].replace(str(missing), "N")
    own = outsider.get(f"/api/workspaces/{team.foreign.pk}/activity/").json()
    assert own["count"] == 0  # the team's entries are not in the outsider's own log


def test_a_demoted_owner_loses_the_log_at_the_next_request(team: Team) -> None:
    owner = team.client("owner")
    base = f"/api/workspaces/{team.workspace.pk}"
    assert owner.get(f"{base}/activity/").status_code == 200
    editor = team.users["editor"].pk
    assert owner.patch(f"{base}/members/{editor}/", {"role": "owner"}, "json").status_code == 200
    me = team.users["owner"].pk
    assert owner.patch(f"{base}/members/{me}/", {"role": "editor"}, "json").status_code == 200
    assert owner.get(f"{base}/activity/").status_code == 403
    newest = team.client("editor").get(f"{base}/activity/").json()["results"][0]
    assert (newest["actor_name"], newest["target_name"], newest["details"]["to"]) == (
        "owner",
        "owner",
        "editor",
    )


def test_entries_never_hold_key_secrets(team: Team) -> None:
    editor, workspace = team.client("editor"), team.workspace.pk
    graph = create_graph(editor, workspace, scoring_document())
    endpoint = publish(editor, workspace, graph, name="churn")
    raws = []
    for scope in (endpoint["id"], None):
        body = {"name": "prod", "endpoint": scope}
        created = editor.post(f"/api/workspaces/{workspace}/endpoint-keys/", body, "json").json()
        raws.append(created["key"])
        assert editor.delete(f"/api/endpoint-keys/{created['id']}/").status_code == 204
    secrets = [*raws]
    for key in EndpointKey.objects.filter(workspace_id=workspace):
        secrets += [key.prefix, key.key_hash]
    stored = json.dumps(
        list(ActivityEntry.objects.filter(workspace_id=workspace).values()), default=str
    )
    served = team.client("owner").get(f"/api/workspaces/{workspace}/activity/").content.decode()
    assert served.count("key_created") == served.count("key_revoked") == 2
    for text in (stored, served):
        for secret in secrets:
            assert secret not in text
