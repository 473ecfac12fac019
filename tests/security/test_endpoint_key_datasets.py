"""An endpoint key reads only the registered datasets its endpoint grants keys.

A call may name a registered dataset of the workspace as an input, and an endpoint whose output
passes its input through (a scoring pipeline appending a score column) hands the dataset's rows
back as the call's output. So any key holder read every registered dataset of the workspace —
`salaries` — by naming it. Now an endpoint lists the datasets calls by key may name
(`key_datasets`, none by default); any other is refused as a dataset that does not exist, by
name and by digest, while members still name every dataset and editors alone change the list.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.integration.api.conftest import fast_passwords, make_team  # noqa: F401
from tests.integration.endpoints.conftest import (
    Published,
    assert_refused_as_missing,
    call_naming,
    create_graph,
    key_client,
    new_key,
    publish,
    scoring_document,
    settle_runs,
    wait_call,
)

pytestmark = pytest.mark.django_db(transaction=True)
# names of their own: the session's artifact store keeps other tests' datasets
SALARIES, CUSTOMERS = "kd-salaries", "kd-customers"


@pytest.fixture
def published(transactional_db: None) -> Iterator[Published]:
    """A team's endpoint (input `rows`) and a key for it; the team registered two datasets."""
    team = make_team()
    editor = team.client("editor")
    for name, csv in ((SALARIES, b"a,b\n41,alice-salary\n"), (CUSTOMERS, b"a,b\n1,acme\n")):
        uploaded = editor.post(
            f"/api/workspaces/{team.workspace.pk}/datasets/",
            {"name": name, "file": SimpleUploadedFile(f"{name}.csv", csv, "text/csv")},
            format="multipart",
        )
        assert uploaded.status_code == 201, uploaded.json()
    graph = create_graph(editor, team.workspace.pk, scoring_document())
    endpoint = publish(editor, team.workspace.pk, graph, name="key-datasets")
    yield Published(team, graph, endpoint, new_key(editor, team.workspace.pk, endpoint["id"]))
    settle_runs(team.workspace.pk)


def digest_of(published: Published, name: str) -> str:
    datasets = published.team.client("viewer").get(
        f"/api/workspaces/{published.team.workspace.pk}/datasets/"
    )
    return str(next(d for d in datasets.json()["results"] if d["name"] == name)["latest"]["digest"])


def refused_as_missing(caller: APIClient, published: Published, name: str) -> None:
    assert_refused_as_missing(caller, published.id, name, digest_of(published, name), "salary")


def test_a_key_reads_only_the_datasets_its_endpoint_grants(published: Published) -> None:
    editor = published.team.client("editor")
    workspace = published.team.workspace.pk
    keys = [key_client(published.key), key_client(new_key(editor, workspace, None))]
    assert published.endpoint["key_datasets"] == []  # a new endpoint grants none
    for key in keys:
        refused_as_missing(key, published, SALARIES)
        refused_as_missing(key, published, CUSTOMERS)

    granted = editor.patch(f"/api/endpoints/{published.id}/", {"key_datasets": [CUSTOMERS]}, "json")
    assert granted.status_code == 200, granted.json()
    assert granted.json()["key_datasets"] == [CUSTOMERS]

    for key in keys:  # the endpoint's own key and a workspace-wide one
        for version in (None, digest_of(published, CUSTOMERS)):
            allowed = call_naming(key, published.id, CUSTOMERS, version)
            assert allowed.status_code == 202, allowed.json()
            done = wait_call(key, allowed.json()["id"])
            assert done["status"] == "succeeded" and done["outputs"][0]["rows"] == 1
        refused_as_missing(key, published, SALARIES)
    # members are not limited by the list
    member = call_naming(editor, published.id, SALARIES)
    assert member.status_code == 202, member.json()
    assert wait_call(editor, member.json()["id"])["outputs"][0]["rows"] == 1


def test_only_an_editor_changes_what_keys_may_read(published: Published) -> None:
    url = f"/api/endpoints/{published.id}/"
    for who in ("viewer", "outsider", "anonymous"):
        refused = published.team.client(who).patch(url, {"key_datasets": [SALARIES]}, "json")
        assert refused.status_code in (401, 403, 404), (who, refused.json())
    assert (
        key_client(published.key).patch(url, {"key_datasets": [SALARIES]}, "json").status_code
        == 401
    )
    assert published.team.client("viewer").get(url).json()["key_datasets"] == []
    refused_as_missing(key_client(published.key), published, SALARIES)

    changed = published.team.client("editor").patch(url, {"key_datasets": [SALARIES]}, "json")
    assert changed.status_code == 200, changed.json()
    assert call_naming(key_client(published.key), published.id, SALARIES).status_code == 202
