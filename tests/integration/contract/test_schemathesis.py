"""Schemathesis fuzzes every operation of the live server against its own OpenAPI schema, and
the scoring process against its own document and the seeded real-time endpoint's.

All checks, signed in and signed out (`ignored_auth`), with the stateful phase following the
schema's links; fixed time budgets (CONTRACT_FUZZ_SECONDS, default 150, for the API;
CONTRACT_SCORING_FUZZ_SECONDS, default 30, for each scoring document) keep CI's run short.
Any failure fails the test, with Schemathesis's report (and a curl line per failure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.integration.contract.server import Seeded

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
BUDGET = os.environ.get("CONTRACT_FUZZ_SECONDS", "150")
SCORING_BUDGET = os.environ.get("CONTRACT_SCORING_FUZZ_SECONDS", "30")


def fuzz(seeded: Seeded, schema: str, config: str, budget: str, folder: Path) -> None:
    """Run Schemathesis (all checks, the contract hooks) on `schema`; fail with its report."""
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
            str(HERE / config),
            "run",
            schema,
            "--checks",
            "all",
            "--max-time",
            budget,
            # one thread: Hypothesis describes a strategy's filter by ast.parse of its source, and
            # two threads parsing at once can fail inside CPython 3.11 ("AST constructor recursion
            # depth mismatch", python/cpython#106905), a Runtime Error that fails the run
            "--workers",
            "1",
            "--seed",
            os.environ.get("CONTRACT_FUZZ_SEED", "16"),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=int(budget) + 300,
    )
    report = result.stdout[-20000:] + result.stderr[-5000:]
    assert result.returncode == 0, report


@pytest.mark.timeout(900)
def test_the_scoring_process_keeps_its_openapi_contract(seeded: Seeded, tmp_path: Path) -> None:
    scoring = seeded.ids["scoring_url"]
    own = requests.get(f"{scoring}/score/openapi.json", timeout=30)
    assert own.status_code == 200 and own.json()["paths"], own.text
    endpoint = requests.get(
        f"{seeded.url}/api/endpoints/{seeded.ids['realtime_endpoint']}/openapi/",
        headers={"Authorization": f"Bearer {seeded.token}"},
        timeout=30,
    )
    assert endpoint.status_code == 200, endpoint.text
    assert endpoint.json()["servers"] == [{"url": scoring}]
    version = tmp_path / "endpoint-version.json"
    version.write_text(json.dumps(endpoint.json()))
    for schema in (f"{scoring}/score/openapi.json", str(version)):
        fuzz(seeded, schema, "scoring.toml", SCORING_BUDGET, tmp_path)


@pytest.mark.timeout(900)  # the server's start and seed, then the fixed budget
def test_the_server_keeps_its_openapi_contract(seeded: Seeded, tmp_path: Path) -> None:
    fuzz(seeded, f"{seeded.url}/api/schema/", "schemathesis.toml", BUDGET, tmp_path)
