"""Fixtures for engine tests: the test-module registry, a store + cache, a warm runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from designer.engine.cache import FileCache
from designer.engine.compile import compile_document
from designer.engine.events import Event
from designer.engine.execute import execute
from designer.engine.plan import Plan
from designer.engine.registry import Registry
from designer.engine.results import RunResult
from designer.engine.runners.local import LocalRunner
from designer.engine.store import ArtifactStore
from tests.support.registry import registry as support_registry


@pytest.fixture(scope="session")
def reg() -> Registry:
    return support_registry()


@pytest.fixture(scope="module")
def runner() -> Iterator[LocalRunner]:
    with LocalRunner(2) as r:
        yield r


class Env:
    """A store, a cache and a way to run graph documents against them."""

    def __init__(self, root: Path, registry: Registry, runner: LocalRunner):
        self.root = root
        self.registry = registry
        self.runner = runner
        self.store = ArtifactStore(root / "artifacts")
        self.cache = FileCache(root)
        self.events: list[Event] = []

    def plan(self, doc: dict[str, Any], values: dict[str, Any] | None = None, **kw: Any) -> Plan:
        return compile_document(doc, self.registry, values or {}, **kw)

    def run(
        self,
        doc: dict[str, Any] | Plan,
        values: dict[str, Any] | None = None,
        *,
        run_from: str | None = None,
        run_only: str | None = None,
        **kw: Any,
    ) -> RunResult:
        plan = (
            doc
            if isinstance(doc, Plan)
            else self.plan(doc, values, run_from=run_from, run_only=run_only)
        )
        self.events = []
        kw.setdefault("cache", self.cache)
        kw.setdefault("scope", "test")
        return execute(
            plan,
            runner=self.runner,
            store=self.store,
            emit=self.events.append,
            datasets="test",
            **kw,
        )

    def reasons(self, result: RunResult) -> dict[str, str]:
        return {k: s.reason for k, s in result.steps.items()}

    def statuses(self, result: RunResult) -> dict[str, str]:
        return {k: s.status.value for k, s in result.steps.items()}


@pytest.fixture
def env(tmp_path: Path, reg: Registry, runner: LocalRunner) -> Iterator[Env]:
    e = Env(tmp_path, reg, runner)
    yield e
    e.cache.close()
