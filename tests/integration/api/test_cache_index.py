"""The result cache index in the database (what Celery workers on every host share)."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import CacheEntry, Previous, decide, record_reuse, record_success
from designer.engine.compile import compile_document
from designer.engine.store import ArtifactStore
from designer.runs.cache_index import DatabaseCache
from designer.workspaces.models import Workspace
from tests.support.graphs import graph, node
from tests.support.registry import registry

pytestmark = pytest.mark.django_db


def _workspace(name: str) -> int:
    return int(Workspace.objects.create(name=name).pk)


def test_entries_and_history_round_trip_and_are_replaced() -> None:
    cache = DatabaseCache(_workspace("team"))
    record = OutputRecord("a" * 64, "json", 11, {"value": 1})
    assert cache.get("f" * 64) is None and cache.previous("graph:1", "n1") is None
    cache.put(CacheEntry("f" * 64, "r1", "n1", {"out": record}, 5.0))
    cache.put(CacheEntry("f" * 64, "r2", "n1", {"out": record}, 6.0))  # a second worker's
    assert cache.get("f" * 64) == CacheEntry("f" * 64, "r2", "n1", {"out": record}, 6.0)
    cache.remember("graph:1", "n1", Previous("f" * 64, {"params": "{}"}, "r1"))
    cache.remember("graph:1", "n1", Previous("e" * 64, {"params": "{}"}, "r2"))
    assert cache.previous("graph:1", "n1") == Previous("e" * 64, {"params": "{}"}, "r2")
    assert cache.previous("graph:2", "n1") is None
    assert DatabaseCache(_workspace("other")).get("f" * 64) is None  # entries are per workspace


def test_pruning_drops_entries_whose_outputs_are_gone() -> None:
    cache = DatabaseCache(_workspace("team"))
    kept, gone = OutputRecord("a" * 64, "json", 1, {}), OutputRecord("b" * 64, "json", 1, {})
    cache.put(CacheEntry("1" * 64, "r1", "n1", {"out": kept}, 1.0))
    cache.put(CacheEntry("2" * 64, "r1", "n2", {"out": kept, "more": gone}, 1.0))
    assert DatabaseCache.prune_all(lambda digest: digest == "a" * 64) == 1
    assert cache.get("1" * 64) is not None and cache.get("2" * 64) is None


def test_decisions_reuse_and_explain_through_the_database(tmp_path: Path) -> None:
    reg = registry()
    store = ArtifactStore(tmp_path)
    workspace = _workspace("team")
    cache = DatabaseCache(workspace)
    step = compile_document(graph([node("a", "test.const@1", value=1)]), reg).step("a")
    first = decide(step, {}, cache, store, scope="graph:7")
    assert (first.action, first.reason) == ("run", "ran: no earlier result")
    digest = store.put(b'{"value":1}')
    record_success(cache, first, {"out": OutputRecord(digest, "json", 11, {})}, "r1", "graph:7")
    again = decide(step, {}, DatabaseCache(workspace), store, scope="graph:7")  # elsewhere
    assert (again.action, again.reason) == (
        "reuse",
        f"reused: key {first.fingerprint[:12]} from run r1",
    )
    record_reuse(cache, again, "r2", "graph:7")
    changed = compile_document(graph([node("a", "test.const@1", value=2)]), reg).step("a")
    assert decide(changed, {}, cache, store, scope="graph:7").reason == (
        "ran: param `value` changed 1 → 2"
    )
