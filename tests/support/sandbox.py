"""Helpers of the security tests: scripts that report what they see, and what a step leaves."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
from rest_framework.test import APIClient

from designer.sandbox.slots import UID_BASE
from tests.integration.api.test_runs import make_graph

DF = pd.DataFrame({"a": [1, 2, 3]})
REPOSITORY = Path(__file__).resolve().parents[2]


def script(body: str) -> str:
    """A script whose azureml_main runs `body` (which fills `facts`) and returns the facts."""
    return (
        "import os, socket, subprocess, sys, time\nimport pandas as pd\n\n\n"
        "def azureml_main(dataframe1, dataframe2=None):\n"
        "    facts = {}\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
        + "    values = [repr(v) for v in facts.values()]\n"
        + "    return pd.DataFrame({'key': list(facts), 'value': values})\n"
    )


def facts(result: dict[str, pd.DataFrame]) -> dict[str, str]:
    """The facts a `script` returned, as {key: repr(value)}."""
    table = result["result1"]
    return dict(zip(table["key"], table["value"], strict=True))


def reader(paths: list[str]) -> str:
    """Script body: try to read each path; facts[path] = the first bytes or the error's name."""
    return f"""
for path in {paths!r}:
    try:
        if os.path.isdir(path):
            facts[path] = sorted(os.listdir(path))
        else:
            with open(path, 'rb') as f:
                facts[path] = f.read(64)
    except OSError as exc:
        facts[path] = type(exc).__name__
"""


def sandbox_processes(uid: int | None = None) -> list[int]:
    """Processes on the host that run as a sandbox uid (or as `uid`) and may have run user code.

    Standby sandboxes (fresh ones started for a next step) are left out: their harness has not
    set its limits yet, which it does before it reads any input, so its address space is still
    unlimited; every process of a step that ran is limited.
    """
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            owner = entry.stat().st_uid
            limits = Path(entry.path, "limits").read_text()
        except OSError:
            continue
        if not (owner == uid if uid is not None else owner >= UID_BASE):
            continue
        address_space = next(line for line in limits.splitlines() if "address space" in line)
        if "unlimited" not in address_space:
            found.append(int(entry.name))
    return found


def sandbox_files() -> set[str]:
    """Entries of the host's /tmp, /var/tmp and /dev/shm that a sandbox uid owns or that a
    script sandbox made (the old one's folders were named designer-script-*).

    Compare with a snapshot taken before: other processes on a shared host may leave some.
    """
    left = set()
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        for entry in os.scandir(folder):
            try:
                owner = entry.stat(follow_symlinks=False).st_uid
            except OSError:
                continue
            if owner >= UID_BASE or entry.name.startswith("designer-script-"):
                left.add(entry.path)
    return left


def assert_denied(value: Any) -> None:
    """A read that the sandbox must have refused: the path is absent or unreadable there."""
    assert value in {"'FileNotFoundError'", "'PermissionError'"}, value


def iris_into(module: str, port: str, params: dict[str, Any]) -> dict[str, Any]:
    """A graph: the iris sample dataset into one step of `module`."""
    return {
        "schema_version": 1,
        "parameters": {},
        "nodes": [
            {"id": "iris", "module": "data.sample_dataset@1", "params": {"name": "iris"}},
            {"id": "user", "module": module, "params": params},
        ],
        "edges": [
            {
                "id": "e1",
                "source": {"node": "iris", "port": "dataset"},
                "target": {"node": "user", "port": port},
            }
        ],
        "comments": [],
    }


def start(client: APIClient, workspace: int, document: dict[str, Any]) -> int:
    graph = make_graph(client, workspace, document)
    response = client.post(f"/api/graphs/{graph}/runs/", {}, format="json")
    assert response.status_code == 201, response.json()
    return int(response.json()["id"])


def table(client: APIClient, run_id: int, port: str = "result1") -> dict[str, str]:
    """The key/value rows a `script` step returned."""
    body = client.get(f"/api/runs/{run_id}/steps/user/outputs/{port}/preview/?limit=100").json()
    rows = body["table"]["rows"]
    return (
        {row["key"]: row["value"] for row in rows}
        if rows and isinstance(rows[0], dict)
        else {key: value for key, value in rows}
    )
