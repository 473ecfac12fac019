"""An endpoint key cannot read the files other callers sent.

A file sent with a call is kept as a version of the workspace dataset
`endpoint.<endpoint>.<input>`, and a call may name a registered dataset as an input. So a
second customer's key, naming that dataset, got the first customer's rows scored back: its own
call's output. A key reads only the calls it made; what other callers sent is refused exactly
like a dataset that does not exist, while the key that sent a file may still name it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

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
SECRET_ROWS = b"a,b\n41,alice-salary\n42,bob-salary\n"


@pytest.fixture
def published(transactional_db: None) -> Iterator[Published]:
    """An endpoint of a team (its input `rows`), and a key for it: the first customer's."""
    team = make_team()
    editor = team.client("editor")
    graph = create_graph(editor, team.workspace.pk, scoring_document())
    # a name of its own: the session's artifact store keeps other tests' datasets
    endpoint = publish(editor, team.workspace.pk, graph, name="private-inputs")
    yield Published(team, graph, endpoint, new_key(editor, team.workspace.pk, endpoint["id"]))
    settle_runs(team.workspace.pk)


def test_a_key_cannot_name_the_file_another_caller_sent(published: Published) -> None:
    first = key_client(published.key)
    sent = first.post(
        f"/api/endpoints/{published.id}/invoke/",
        {
            "parameters": json.dumps({"where": "a > 0"}),
            "rows": SimpleUploadedFile("rows.csv", SECRET_ROWS, "text/csv"),
        },
        format="multipart",
    )
    assert sent.status_code == 202, sent.json()
    done = wait_call(first, sent.json()["id"])
    dataset, digest = done["inputs"]["rows"]["dataset"], done["inputs"]["rows"]["version"]

    editor = published.team.client("editor")
    workspace = published.team.workspace.pk
    for scope in (published.id, None):  # a key for the same endpoint, and a workspace-wide one
        second = key_client(new_key(editor, workspace, scope))
        # told exactly what a made-up name is told
        assert_refused_as_missing(second, published.id, dataset, digest, "salary")

    # the key that sent it still names it, by name or by version
    for version in (None, digest):
        again = call_naming(first, published.id, dataset, version)
        assert again.status_code == 202, again.json()
        assert wait_call(first, again.json()["id"])["outputs"][0]["rows"] == 2
    # and members still read it as any dataset of theirs
    assert call_naming(editor, published.id, dataset).status_code == 202
