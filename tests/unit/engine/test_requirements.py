"""A module's Python requirements are checked where its step runs, and named when unmet."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from designer.engine.cache import FileCache
from designer.engine.compile import compile_document
from designer.engine.context import StepError
from designer.engine.execute import execute
from designer.engine.registry import Environment, Registry
from designer.engine.requirements import check, invalid, unmet
from designer.engine.runners.local import LocalRunner
from designer.engine.store import ArtifactStore
from tests.support.graphs import graph, node


def test_met_and_unmet_requirements() -> None:
    assert unmet("pandas>=1") is None
    assert unmet("pandas; python_version < '3'") is None  # not for this Python: nothing to meet
    assert unmet("surely-not-a-package-xyz") == "`surely-not-a-package-xyz` is not installed"
    too_new = unmet("pandas>=999")
    assert too_new is not None and too_new.startswith("`pandas>=999` is required, but pandas ")
    assert invalid("pandas>=1") is None and invalid("not a requirement!") is not None


def test_check_names_every_unmet_requirement() -> None:
    check(["pandas", "pyarrow>=1"])
    with pytest.raises(StepError) as err:
        check(["pandas", "surely-not-a-package-xyz", "numpy<1"])
    message = str(err.value)
    assert "`surely-not-a-package-xyz` is not installed" in message
    assert "`numpy<1` is required, but numpy " in message
    assert "give the module an image that has them" in message


def test_a_step_whose_requirements_are_unmet_fails_saying_which(
    tmp_path: Path, reg: Registry, runner: LocalRunner
) -> None:
    needs = Environment(requirements=("surely-not-a-package-xyz>=2",))
    registry = Registry(
        replace(spec, environment=needs) if spec.name == "test.add" else spec for spec in reg
    )
    doc = graph([node("a", "test.const@1", value=1), node("b", "test.add@1")], [("a.out", "b.in")])
    result = execute(
        compile_document(doc, registry),
        runner=runner,
        cache=FileCache(tmp_path),
        store=ArtifactStore(tmp_path / "artifacts"),
        retries=2,
    )
    assert result.steps["a"].status == "succeeded"
    failed = result.steps["b"]
    assert failed.status == "failed" and failed.attempts == 1  # not retried: it cannot get better
    assert "`surely-not-a-package-xyz>=2` is not installed" in str(failed.error)
