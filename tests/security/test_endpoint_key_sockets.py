"""An endpoint key follows its calls' runs on the run socket, and learns no more there than
through REST: not the graph's code, not what its steps print, not their intermediate tables.

Against a real Daphne: a key's call of an endpoint whose script prints a secret and fails in a
function the caller must not see; the key's run socket (its snapshot, and every stored event
replayed with ?resume_from=0) says which step failed with the first line of its error, as the
call's status does, and no step's log lines or outputs; a member's socket still sees it all.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from websockets.sync.client import connect

from designer.realtime.protocol import SUBPROTOCOL
from tests.e2e.server import LiveServer
from tests.integration.endpoints.conftest import scoring_document
from tests.integration.endpoints.test_live_server import Session, bearer

SECRET_SCRIPT = """\
def secret_scoring_rule(df):
    print("PRINTED-" + "SECRET", flush=True)
    return df["column_the_caller_never_sees"]


def azureml_main(df1, df2=None):
    return secret_scoring_rule(df1)
"""
LEAKS = ("secret_scoring_rule", "PRINTED-SECRET", "Traceback")


def script_document() -> dict[str, Any]:
    """The scoring graph with its filter replaced by the secret script."""
    document = scoring_document()
    [step] = [n for n in document["nodes"] if n["id"] == "filter"]
    step.update(module="script.python@1", params={"code": SECRET_SCRIPT})
    for edge in document["edges"]:
        if edge["target"]["node"] == "filter":
            edge["target"]["port"] = "dataset1"
        if edge["source"]["node"] == "filter":
            edge["source"]["port"] = "result1"
    document["parameters"] = {}
    return document


def messages(url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every message of a run socket until the run is final (the snapshot's, or run.finished)."""
    origin = url.replace("ws://", "http://").split("/ws/")[0]
    seen = []
    with connect(url, additional_headers=headers, subprotocols=[SUBPROTOCOL], origin=origin) as s:
        while True:
            message = json.loads(s.recv(timeout=60))
            seen.append(message)
            assert message["type"] != "error", message
            if message["type"] == "run.finished" or (
                message["type"] == "run.snapshot"
                and message["data"]["run"]["status"] in ("succeeded", "failed", "canceled")
            ):
                return seen


def test_a_keys_run_socket_shows_no_code_no_log_and_no_step_output(
    live_designer: LiveServer,
) -> None:
    alice = Session(live_designer)
    ws = live_designer.workspace
    graph = alice.call(
        "POST", f"/api/workspaces/{ws}/graphs/", {"name": "s", "document": script_document()}, 201
    )
    endpoint = alice.call(
        "POST", f"/api/workspaces/{ws}/endpoints/", {"name": "secret", "graph": graph["id"]}, 201
    )
    key = alice.call(
        "POST",
        f"/api/workspaces/{ws}/endpoint-keys/",
        {"name": "customer", "endpoint": endpoint["id"]},
        201,
    )["key"]
    answer = requests.post(endpoint["invoke_url"], json={}, headers=bearer(key), timeout=30)
    assert answer.status_code == 202, answer.text
    call = answer.json()
    status = requests.get(call["status_url"], headers=bearer(key), timeout=30).json()
    while status["status"] not in ("succeeded", "failed", "canceled"):
        status = requests.get(call["status_url"], headers=bearer(key), timeout=30).json()
    assert status["status"] == "failed" and "KeyError" in status["error"]

    snapshot = messages(call["websocket_url"], bearer(key))
    replayed = messages(call["websocket_url"] + "?resume_from=0", bearer(key))
    for seen in (snapshot, replayed):
        text = json.dumps(seen)
        assert not [leak for leak in LEAKS if leak in text], text
        assert not [m for m in seen if m["type"] in ("step.log", "step.output")]
    [state] = [m for m in snapshot if m["type"] == "run.snapshot"]
    steps = {s["key"]: s for s in state["data"]["steps"]}
    assert all(s["outputs"] == {} for s in steps.values())
    # the failed step says why in the words the call's status uses
    assert f"step filter (script.python@1) failed: {steps['filter']['error']}" == status["error"]
    failed = [
        m["data"]["error"]
        for m in replayed
        if m["type"] == "step.status" and m["data"]["status"] == "failed"
    ]
    assert failed == [steps["filter"]["error"]]

    # a member of the workspace still follows everything
    cookie = {"Cookie": f"sessionid={alice.http.cookies['sessionid']}"}
    member = json.dumps(messages(call["websocket_url"] + "?resume_from=0", cookie))
    assert "secret_scoring_rule" in member and "PRINTED-SECRET" in member
