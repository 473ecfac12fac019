"""Golden compiler tests: each fixture graph compiles to exactly its <case>.plan.json.

Refresh after an intended change with `make golden` (python -m tests.unit.engine.golden --refresh).
"""

from __future__ import annotations

import json

import pytest

from tests.unit.engine import golden


@pytest.mark.parametrize("case", golden.cases())
def test_golden(case: str) -> None:
    try:
        golden.registry_of(case)
    except ImportError as exc:  # the module library is not importable in this checkout
        pytest.skip(f"registry for {case} unavailable: {exc}")
    path = golden.expected_path(case)
    assert path.exists(), f"{path.name} is missing: run `make golden`"
    expected = json.loads(path.read_text())
    assert golden.compile_case(case) == expected, f"{case} changed: review, then `make golden`"


def test_there_are_valid_and_invalid_cases() -> None:
    kinds = {next(iter(json.loads(golden.expected_path(c).read_text()))) for c in golden.cases()}
    assert kinds == {"plan", "issues"}
