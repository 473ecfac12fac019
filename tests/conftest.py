"""Shared test setup: a per-session data folder, a live server of the designer for a test, and
in `make test` no skipped test."""

import os
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from tests.e2e.server import LiveServer
from tests.support.flush import retry_deadlocked_flushes
from tests.support.processes import RedisServer
from tests.support.tempdirs import remove_session_dirs, session_dir
from tests.support.workers import group_by_file, make_locks, own_redis, turn

# `make test` (scripts/test.sh) sets this: every service must be there, so a skip is a failure
REQUIRE_ALL = os.environ.get("DESIGNER_TEST_REQUIRE_ALL") == "1"
REDIS = pytest.StashKey[RedisServer | None]()  # this process's own Redis (tests/support/workers.py)


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--fault-count N`: how many times the fault tests inject each fault (CI: once)."""
    parser.addoption(
        "--fault-count",
        type=int,
        default=1,
        help="times each fault test injects its fault (tests/faults; default 1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Point the artifact store (datasets and logs included) and the scoring folder (bundles,
    endpoint keys' rate file) at a fresh temporary folder, the data folder of the processes the
    tests start too (every test database numbers its endpoints and keys from 1); flush a
    transactional test's tables again when a process it started still wrote to them; give an
    xdist worker after the first a Redis of its own; make the folder of the run's test locks."""
    from django.conf import settings

    retry_deadlocked_flushes()

    data = session_dir("designer-test-data-")
    settings.DESIGNER_ARTIFACT_ROOT = data / "artifacts"
    settings.DESIGNER_SCORING_BUNDLES = data / "scoring"
    os.environ["DESIGNER_DATA_DIR"] = str(data)
    # Tests write quickly, and reuse user ids in one cache: writes are not rate limited here
    # (tests/security/test_limits_writes.py holds the default rate)
    settings.DESIGNER_API_WRITE_RATE = None
    # An S3 client without credentials asks the cloud's metadata service for some: in tests
    # (and every process they start) that lookup goes to loopback, never to 169.254.169.254.
    os.environ.setdefault("AWS_METADATA_ENDPOINT", "http://127.0.0.1:9")
    config.stash[REDIS] = own_redis()
    make_locks()


@pytest.fixture(scope="session")
def django_db_modify_db_settings_xdist_suffix(request: pytest.FixtureRequest) -> None:
    """pytest-django's suffix (_gw0, _gw1…) on PostgreSQL test database names, not on a SQLite
    file's: that is in a folder of this process's own already (tests/integration/api/database.py),
    where the processes its tests start open it by its plain name."""
    from django.conf import settings

    worker = getattr(request.config, "workerinput", {}).get("workerid")
    database = settings.DATABASES["default"]
    if worker and database["ENGINE"] != "django.db.backends.sqlite3":
        test = database.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{worker}"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group tests by file for xdist; leave out tests about PostgreSQL alone (marked `postgres`)
    when the database is SQLite: they are not missing a service, and `make test` runs them in
    its PostgreSQL pass."""
    from django.db import connection

    group_by_file(items)

    if connection.vendor == "postgresql":
        return
    left_out = [item for item in items if item.get_closest_marker("postgres")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


@pytest.fixture(autouse=True)
def no_mail_unless_asked() -> Generator[None, None, None]:
    """No mail is sent unless a test asks for a mail server (the `inbox` fixtures): with
    pytest-django's in-memory mail every finished run would wake the run notices' thread, whose
    queries could meet the database's flush at a test's end (a deadlock on PostgreSQL). Set on
    Django's settings themselves: some tests have a parameter named `settings`."""
    from django.conf import settings

    before = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    yield
    settings.EMAIL_BACKEND = before


@pytest.fixture(autouse=True)
def take_turn(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests run side by side, but one marked `alone` runs by itself (tests/support/workers.py)."""
    with turn(request.node.get_closest_marker("alone") is not None):
        yield


@pytest.fixture
def live_settings() -> dict[str, str]:
    """Environment variables `live_designer` starts its server with (a module overrides this
    fixture to set some)."""
    return {}


@pytest.fixture
def live_designer(live_settings: dict[str, str]) -> Iterator[LiveServer]:
    """The designer served by Daphne on a loopback port, with a database and data folder of its
    own and the seeded users (tests/e2e/server.py), for one test; not pytest-django's
    `live_server`, a thread of the test process."""
    server = LiveServer(settings=live_settings).start()
    yield server
    server.stop()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop this process's own Redis, if any; remove the session's temporary folders."""
    redis = config.stash.get(REDIS, None)
    if redis is not None:
        redis.stop()
    remove_session_dirs()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """In `make test`, report a skipped test as failed, naming what was missing."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in `make test`, where every service must run: {reason}"
