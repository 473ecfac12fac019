"""Fixtures for module tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.modules.harness import ModuleRunner


@pytest.fixture
def run(tmp_path: Path) -> ModuleRunner:
    """Run a module by ref with params and inputs, as a worker would."""
    return ModuleRunner(tmp_path)
