"""Shared test setup: a per-session data folder, a live server of the designer for a test, and
in `make test` no skipped test."""

import os
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from tests.e2e.server import LiveServer
from tests.support.flush import retry_deadlocked_flushes
from tests.support.tempdirs import remove_session_dirs, session_dir

# `make test` (scripts/test.sh) sets this: every service must be there, so a skip is a failure
REQUIRE_ALL = os.environ.get("DESIGNER_TEST_REQUIRE_ALL") == "1"


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--fault-count N`: how many times the fault tests inject each fault (CI: once)."""
    parser.addoption(
        "--fault-count",
        type=int,
        default=1,
        help="times each fault test injects its fault (tests/faults; default 1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Point the artifact store (datasets and logs included) at a fresh temporary folder; flush
    a transactional test's tables again when a process it started still wrote to them."""
    from django.conf import settings

    retry_deadlocked_flushes()

    data = session_dir("designer-test-data-")
    settings.DESIGNER_ARTIFACT_ROOT = data / "artifacts"
    # Tests write quickly, and reuse user ids in one cache: writes are not rate limited here
    # (tests/security/test_limits_writes.py holds the default rate)
    settings.DESIGNER_API_WRITE_RATE = None
    # An S3 client without credentials asks the cloud's metadata service for some: in tests
    # (and every process they start) that lookup goes to loopback, never to 169.254.169.254.
    os.environ.setdefault("AWS_METADATA_ENDPOINT", "http://127.0.0.1:9")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out tests about PostgreSQL alone (marked `postgres`) when the database is SQLite:
    they are not missing a service, and `make test` runs them in its PostgreSQL pass."""
    from django.db import connection

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
    """Remove the session's temporary folders."""
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
