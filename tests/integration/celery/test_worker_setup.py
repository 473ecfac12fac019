"""What a Celery worker does before it forks its pool processes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from designer.runs import tasks


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
