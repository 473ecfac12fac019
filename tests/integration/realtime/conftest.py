"""Fixtures: one migrated database, a Daphne server per channel layer, teams and runs."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.realtime.harness import CeleryWorker, Database, Server
from tests.support import workers

STEPS = 10


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests in a fresh event loop (the WebSocket clients are asyncio)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(asyncio.wait_for(pyfuncitem.obj(**arguments), timeout=90))
    return True


@pytest.fixture(scope="session")
def rt_database() -> Iterator[Database]:
    """A migrated SQLite file (or PostgreSQL database with DATABASE_URL) shared by the servers."""
    database = Database()
    yield database
    database.drop()


@pytest.fixture(scope="session")
def server(rt_database: Database) -> Iterator[Server]:
    """Daphne with the in-memory channel layer (the embedded default)."""
    process = Server(rt_database)
    yield process
    process.stop()


REDIS_DB = 7  # a database index of our own: run ids of other suites' databases never collide


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis that make test starts (TEST_REDIS_URL), on a database index of our own."""
    url = workers.redis_url(REDIS_DB)
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: the Redis channel layer tests need a Redis server")
    return url


@pytest.fixture(scope="session")
def redis_server(rt_database: Database, redis_url: str) -> Iterator[Server]:
    """Daphne with the Redis channel layer (the distributed setup)."""
    process = Server(rt_database, redis_url=redis_url)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def celery_server(rt_database: Database, redis_url: str) -> Iterator[Server]:
    """Daphne that hands runs to Celery workers (DESIGNER_RUNNER=celery) on Redis."""
    process = Server(rt_database, redis_url=redis_url, DESIGNER_RUNNER="celery")
    yield process
    process.stop()


@pytest.fixture(scope="session")
def celery_worker(rt_database: Database, redis_url: str) -> Iterator[CeleryWorker]:
    """A real Celery worker on the same Redis and database."""
    worker = CeleryWorker(rt_database, redis_url)
    yield worker
    worker.stop()


@pytest.fixture
def team(server: Server) -> dict[str, Any]:
    """A workspace with an owner, an editor and a viewer, and an outsider."""
    return server.control(
        "team", members={"owner": "owner", "editor": "editor", "viewer": "viewer", "outsider": None}
    )


@pytest.fixture
def run(server: Server, team: dict[str, Any]) -> int:
    """A queued 10-step run in the team's workspace."""
    return server.control("create_run", workspace=team["workspace"], steps=STEPS)["run"]
