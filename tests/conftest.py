"""Shared test setup: artifacts and datasets go to a per-session temporary directory."""

import tempfile
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Point the artifact and dataset stores at a fresh temporary folder for this session."""
    from django.conf import settings

    data = Path(tempfile.mkdtemp(prefix="designer-test-data-"))
    settings.DESIGNER_ARTIFACT_ROOT = data / "artifacts"
    settings.DESIGNER_DATASET_ROOT = data / "datasets"
