"""A real Celery worker on the Redis that `make test` starts, sharing the test's database."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from designer.celery import app
from tests.integration.api.conftest import fast_passwords  # noqa: F401  (autouse here too)
from tests.integration.api.database import use_file_sqlite
from tests.support.processes import celery_worker_command, stop_process_group
from tests.support.smtp import Inbox, smtp_server
from tests.support.workers import redis_url

ROOT = Path(__file__).resolve().parents[3]
HEARTBEAT_SECONDS = 0.5  # the worker's: a killed one is noticed within ~1.5 s
WORKER_MEMORY_MB = 1024


def pytest_configure(config: pytest.Config) -> None:
    """Use a file-backed SQLite test database the worker process can open too."""
    use_file_sqlite()


def _database_env() -> dict[str, str]:
    data = connection.settings_dict
    if data["ENGINE"].endswith("sqlite3"):
        return {"DESIGNER_DATA_DIR": str(Path(data["NAME"]).parent)}
    url = (
        f"postgres://{data['USER']}:{data['PASSWORD']}@{data['HOST']}:{data['PORT']}/{data['NAME']}"
    )
    return {"DATABASE_URL": url}


@pytest.fixture(scope="session")
def worker_inbox() -> Iterator[Inbox]:
    """The SMTP server the worker mails run notices to (aiosmtpd on loopback)."""
    with smtp_server() as inbox:
        yield inbox


def _worker_env(inbox: Inbox) -> dict[str, str]:
    """The environment of the tests' Celery workers (on the test database and Redis)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        _database_env(),
        REDIS_URL=redis_url(),
        DESIGNER_RUNNER="celery",
        DESIGNER_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        # a pool process's bound (decision 0074), small for a quick test of it: far above what
        # the other tests' steps hold
        DESIGNER_WORKER_MAX_MEMORY_MB=str(WORKER_MEMORY_MB),
        DESIGNER_ARTIFACT_ROOT=str(settings.DESIGNER_ARTIFACT_ROOT),
        # as the server's: the container tests' custom module folder, mounted into its image
        DESIGNER_MODULE_PATHS=str(ROOT / "tests" / "fixtures" / "container_modules"),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(inbox.port),
        DESIGNER_PUBLIC_URL="https://designer.example.com",
    )
    return env


def _start_worker(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A `celery worker` of two processes, once it answers a ping."""
    worker = subprocess.Popen(
        celery_worker_command(name, log), cwd=ROOT, env=env, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while not any(
        node.startswith(f"{name}@") for reply in app.control.ping(timeout=0.5) for node in reply
    ):
        if worker.poll() is not None or time.monotonic() > deadline:
            stop_process_group(worker)
            raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()}")
    return worker


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any, worker_inbox: Inbox
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `celery -A designer.celery worker` on TEST_REDIS_URL for the session."""
    if not redis_url():
        pytest.skip("TEST_REDIS_URL is not set: the Celery tests need the Redis `make test` starts")
    with django_db_blocker.unblock():
        env = _worker_env(worker_inbox)
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    app.conf.CELERY_BROKER_URL = redis_url()  # the namespaced key: celery 5.6 reads that one
    app.control.purge()
    worker = _start_worker(f"test-{os.getpid()}", env, log)
    try:
        yield worker
    finally:
        stop_process_group(worker)


@pytest.fixture
def second_worker(
    celery_worker: subprocess.Popen[bytes], worker_inbox: Inbox, tmp_path: Path
) -> Iterator[None]:
    """Another worker of two processes on the same queue for one test: a cluster of four."""
    worker = _start_worker(f"second-{os.getpid()}", _worker_env(worker_inbox), tmp_path / "w.log")
    try:
        yield
    finally:
        stop_process_group(worker)


@pytest.fixture
def celery_runner(celery_worker: subprocess.Popen[bytes], settings: Any) -> None:
    """Route runs started in this test to the Celery workers (heartbeats on their Redis)."""
    settings.DESIGNER_RUNNER = "celery"
    settings.REDIS_URL = redis_url()
