"""Attacks on the server by a user who owns one workspace: user code must stay in its sandbox.

These tests need bubblewrap (`make test` installs it) and never skip: a host where the
sandbox cannot start fails them.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from designer.sandbox.slots import UID_BASE
from tests.unit.modules.harness import ModuleRunner

DF = pd.DataFrame({"a": [1, 2, 3]})
REPOSITORY = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    """Runs through the API execute on background threads: a file-backed SQLite database."""
    from tests.integration.api.database import use_file_sqlite

    use_file_sqlite()


@pytest.fixture(autouse=True, scope="session")
def bubblewrap() -> None:
    """Fail (never skip) when the sandbox's tool is missing."""
    assert shutil.which("bwrap"), "bubblewrap is not installed: scripts/system-packages.sh"


@pytest.fixture
def run(tmp_path: Path) -> ModuleRunner:
    """Run a module by ref with params and inputs, as a worker would."""
    return ModuleRunner(tmp_path)


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


def sandbox_files(folder: str = "/tmp") -> set[str]:
    """Files under `folder` (one level) that a sandbox uid owns or a script sandbox left.

    Compare with a snapshot taken before: other processes on a shared host may leave some.
    """
    left = set()
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
