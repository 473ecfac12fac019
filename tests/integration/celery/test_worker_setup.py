"""What a Celery worker does before it forks its pool processes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from designer.runs import engine_setup, tasks


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_what_a_worker_loads_before_forking_is_out_of_the_collectors_reach(
    unfrozen: None,
) -> None:
    """A full collection in a pool process does not scan the modules the worker preloaded."""
    tasks.preload()
    assert gc.get_freeze_count() > 100_000
    import sklearn.datasets

    assert gc.is_tracked(sklearn.datasets.__dict__)
    assert not any(obj is sklearn.datasets.__dict__ for obj in gc.get_objects())


def test_a_worker_sizes_its_pool_processes_table_cache_by_their_number(unfrozen: None) -> None:
    """Each pool process keeps the big tables it reads from reused steps (decision 0106) within
    a share of the host's memory: a quarter of it split among the pool's processes."""
    from types import SimpleNamespace

    from designer.engine.held import LASTING_TABLES_BYTES, recent_tables
    from designer.engine.memory import host_memory

    bounds = recent_tables.limit, recent_tables.lasting_limit
    try:
        tasks.preload(sender=SimpleNamespace(concurrency=8))
        share = min(LASTING_TABLES_BYTES, host_memory() // 32)
        limit = engine_setup.worker_memory_limit()  # a worker's own bound caps it too
        assert recent_tables.lasting_limit == (min(share, limit // 4) if limit else share)
    finally:
        recent_tables.limit, recent_tables.lasting_limit = bounds
