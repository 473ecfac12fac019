"""The documented typed client: generated from docs/openapi.yaml, it runs a graph end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.contract.server import Seeded

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


@pytest.mark.timeout(900)  # the server's start and seed, then the fixed budget
def test_a_client_generated_from_the_schema_runs_a_graph(seeded: Seeded, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(ROOT / "docs" / "openapi.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "designer_client"),
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    example = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "examples" / "python_client.py")],
        env={
            **env,
            "PYTHONPATH": str(tmp_path),
            "DESIGNER_URL": seeded.url,
            "DESIGNER_TOKEN": seeded.token,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert example.returncode == 0, example.stderr[-5000:]
    assert example.stdout.strip().endswith("kept rows [[1, 'x'], [3, 'z']]"), example.stdout
