"""Test processes side by side (pytest-xdist's `-n`, as `make test` runs them): a test file's
tests stay in one process, each process but the first has a Redis of its own, and a test that
looks at the whole host runs while no other test does."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from tests.support.processes import RedisServer
from tests.support.tempdirs import session_dir

FAULTS = Path(__file__).resolve().parents[1] / "faults"
LOCKS = "DESIGNER_TEST_LOCKS"  # the folder of the run's locks, named by the first process


def redis_url(db: int | None = None) -> str:
    """The Redis of this test process (TEST_REDIS_URL, set by `make test` or `own_redis`), on
    database index `db` if given (a suite's own: no other suite's keys), or "" when there is
    none."""
    url = os.environ.get("TEST_REDIS_URL", "")
    return urlunparse(urlparse(url)._replace(path=f"/{db}")) if url and db is not None else url


def own_redis() -> RedisServer | None:
    """In an xdist worker after the first, a Redis of its own, named by TEST_REDIS_URL for the
    rest of the session and every process its tests start: two workers' databases number runs
    and users alike, so their Celery queues, channel groups and rate-limit counters must not
    meet. None in the first worker and outside xdist (they use the one `make test` started)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if worker == "gw0" or not redis_url():
        return None
    server = RedisServer(session_dir("designer-redis-"))
    os.environ["TEST_REDIS_URL"] = server.url
    return server


def group_by_file(items: list[pytest.Item]) -> None:
    """Give each test the xdist group of its file (one group for the fault suite, which shares
    one deployment): with `--dist loadgroup` a file's module fixtures start once, in one
    process."""
    for item in items:
        group = "faults" if item.path.parent == FAULTS else item.nodeid.partition("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


def make_locks() -> None:
    """In the process that starts the others (or runs every test itself), make the folder of
    the locks `turn` takes: the processes it starts inherit its name."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        os.environ[LOCKS] = str(session_dir("designer-test-locks-"))


@contextlib.contextmanager
def turn(alone: bool) -> Iterator[None]:
    """Hold the run's test lock while a test runs: shared by the tests side by side, exclusive
    for a test marked `alone` (it looks at the host's processes or /tmp, where another test's
    sandboxes would show). A test waiting to be alone holds the turnstile, so none starts
    meanwhile and it is not starved."""
    folder = os.environ.get(LOCKS)
    if "PYTEST_XDIST_WORKER" not in os.environ or not folder:
        yield
        return
    with open(Path(folder) / "turnstile", "a") as gate, open(Path(folder) / "tests", "a") as lock:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        yield
