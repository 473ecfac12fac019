"""Attacks on the server by a user who owns one workspace: user code must stay in its sandbox.

These tests need bubblewrap (`make test` installs it) and never skip: a host where the
sandbox cannot start fails them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.api.conftest import team_tx  # noqa: F401  (the security tests' too)
from tests.unit.modules.harness import ModuleRunner


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
