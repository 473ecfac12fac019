"""Every log line of every step is kept, whatever valid node id the step has.

Node ids once shared a log file when they differed only in characters a file name cannot hold
(`x/y` and `x_y`), and a 300-character id lost its lines while the run succeeded. Now ids are
safe names of at most 64 characters, each step's log file is its own, and a step key from before
the rule still gets a file of its own.
"""

from __future__ import annotations

import pytest

from designer.runs.logs import legacy_path
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_runs import make_graph, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
LINES = 300
IDS = ["x_y", "x-y", "X_y", "L" + "o" * 62 + "g"]


def printing(node: str) -> str:
    return (
        "def azureml_main(df1, df2=None):\n"
        f"    for i in range({LINES}):\n"
        f"        print('{node}', i)\n"
        "    return df1\n"
    )


def printing_document(ids: list[str]) -> dict:
    """A sample dataset feeding one printing script per id."""
    nodes = [{"id": "data", "module": "data.sample_dataset@1", "params": {"name": "iris"}}]
    edges = []
    for node in ids:
        nodes.append({"id": node, "module": "script.python@1", "params": {"code": printing(node)}})
        edges.append(
            {
                "id": f"to-{node}"[:64],
                "source": {"node": "data", "port": "dataset"},
                "target": {"node": node, "port": "dataset1"},
            }
        )
    return {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": edges}


def test_steps_with_similar_and_long_ids_keep_every_line(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    for clashing in (["x/y", "x_y"], ["x" * 300]):  # the ids that lost lines: refused, named
        refused = editor.post(
            f"/api/workspaces/{team_tx.workspace.pk}/graphs/",
            {"name": "odd", "document": printing_document(clashing)},
            format="json",
        )
        assert refused.status_code == 400
        assert {i["node"] for i in refused.json()["issues"]} == {clashing[0]}
    graph = make_graph(editor, team_tx.workspace.pk, printing_document(IDS))
    run = wait_for(
        editor, editor.post(f"/api/graphs/{graph}/runs/", {}, format="json").json()["id"]
    )
    assert run["status"] == "succeeded", run
    for node in IDS:
        text = editor.get(f"/api/runs/{run['id']}/steps/{node}/log/").json()["text"]
        printed = [line for line in text.splitlines() if line.startswith(("[stdout] ", node))]
        assert [line.removeprefix("[stdout] ") for line in printed] == [
            f"{node} {i}" for i in range(LINES)
        ], node


def test_keys_from_before_the_id_rule_never_share_a_log_file() -> None:
    keys = ["x/y", "x_y", "x?y", "x" * 300, "../../etc/passwd", "ünï"]
    paths = [legacy_path(1, key, 1) for key in keys]
    assert len(set(paths)) == len(keys)
    assert all(len(p.name) < 100 and p.parent.name == "1" for p in paths)
