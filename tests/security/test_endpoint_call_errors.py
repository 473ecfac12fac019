"""A key holder learns why a call failed, not the graph's code: a key cannot read graphs."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import make_team
from tests.integration.endpoints.conftest import (
    create_graph,
    key_client,
    new_key,
    publish,
    scoring_document,
    settle_runs,
    wait_call,
)

pytestmark = pytest.mark.django_db(transaction=True)
SECRET_SCRIPT = """\
def secret_scoring_rule(df):
    return df["column_the_caller_never_sees"]


def azureml_main(df1, df2=None):
    return secret_scoring_rule(df1)
"""


def test_a_failed_call_names_the_step_and_its_error_but_not_the_scripts_code() -> None:
    team = make_team()
    editor = team.client("editor")
    document = scoring_document()
    [step] = [n for n in document["nodes"] if n["id"] == "filter"]
    step.update(module="script.python@1", params={"code": SECRET_SCRIPT})
    for edge in document["edges"]:
        if edge["target"]["node"] == "filter":
            edge["target"]["port"] = "dataset1"
        if edge["source"]["node"] == "filter":
            edge["source"]["port"] = "result1"
    document["parameters"] = {}
    endpoint = publish(editor, team.workspace.pk, create_graph(editor, team.workspace.pk, document))
    caller = key_client(new_key(editor, team.workspace.pk, endpoint["id"]))
    call = caller.post(f"/api/endpoints/{endpoint['id']}/invoke/", {}, "json").json()
    done = wait_call(caller, call["id"])
    settle_runs(team.workspace.pk)

    assert done["status"] == "failed"
    assert done["error"] == (
        "step filter (script.python@1) failed: code: line 2: KeyError: "
        "'column_the_caller_never_sees'"
    )
    assert "secret_scoring_rule" not in done["error"]  # the traceback stays with the run
    assert caller.get(f"/api/runs/{done['run']}/").status_code == 401
    run = editor.get(f"/api/runs/{done['run']}/").json()  # members read the whole of it
    [failed] = [s for s in run["steps"] if s["key"] == "filter"]
    assert "secret_scoring_rule" in failed["error"]
