"""Schemathesis fuzzes every operation of the live server against its own OpenAPI schema.

All checks, signed in and signed out (`ignored_auth`), with the stateful phase following the
schema's links; a fixed time budget (CONTRACT_FUZZ_SECONDS, default 150) keeps CI's run short.
Any failure fails the test, with Schemathesis's report (and a curl line per failure).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.contract.server import Seeded

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
BUDGET = os.environ.get("CONTRACT_FUZZ_SECONDS", "150")


@pytest.mark.timeout(900)  # the server's start and seed, then the fixed budget
def test_the_server_keeps_its_openapi_contract(seeded: Seeded, tmp_path: Path) -> None:
    env = {
        **os.environ,
        **seeded.env(),
        "NO_COLOR": "1",
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.integration.contract.hooks",
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{seeded.url}/api/schema/",
            "--checks",
            "all",
            "--max-time",
            BUDGET,
            "--workers",
            "2",
            "--seed",
            os.environ.get("CONTRACT_FUZZ_SEED", "16"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=int(BUDGET) + 300,
    )
    report = result.stdout[-20000:] + result.stderr[-5000:]
    assert result.returncode == 0, report
