"""The fault suite's deployment (one for the session) and how many times to inject a fault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.cluster import Cluster

pytestmark = [pytest.mark.redis, pytest.mark.celery]
TIMEOUT_PER_FAULT = 300  # seconds a test may take per injection of its fault


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A fault test's time limit grows with `--fault-count` (the suite's default is one
    injection's)."""
    count = int(config.getoption("--fault-count"))
    for item in items:
        if item.path.parent == Path(__file__).parent:
            item.add_marker(pytest.mark.timeout(TIMEOUT_PER_FAULT * count))


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """PostgreSQL, Redis and a Daphne server of the suite's own (workers: each test's)."""
    made = Cluster(Path(tmp_path_factory.mktemp("faults")))
    yield made
    made.close()


@pytest.fixture
def fault_count(request: pytest.FixtureRequest) -> int:
    """How many times to inject the fault (`--fault-count`, default 1)."""
    return int(request.config.getoption("--fault-count"))


@pytest.fixture(autouse=True)
def stop_workers(cluster: Cluster) -> Iterator[None]:
    """Each test starts the workers it needs; they stop when it ends."""
    yield
    cluster.stop_workers()
