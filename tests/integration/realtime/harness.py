"""Runs a real Daphne server on a loopback port with a migrated database, and speaks to it.

Used by the realtime integration tests and by bench/ws.py. The test process itself never opens
the database: it drives the server through HTTP (a control endpoint that only the test ASGI app
mounts, see testapp.py), WebSockets, and producer subprocesses.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse, urlunparse

from websockets.asyncio.client import ClientConnection, connect

from designer.realtime.protocol import SUBPROTOCOL, server_message_adapter
from tests.support import workers
from tests.support.processes import celery_worker_command, free_port, stop_process_group

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable
APP = "tests.integration.realtime.testapp:application"
LAYER_OVERRIDE_ENV = "DESIGNER_CHANNEL_BACKEND"  # read by layer_override.py


class Database:
    """A fresh migrated database: a SQLite file, or a PostgreSQL one on `admin_url` (default:
    DATABASE_URL's server)."""

    def __init__(self, admin_url: str | None = None) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="designer-rt-"))
        self.admin_url = os.environ.get("DATABASE_URL", "") if admin_url is None else admin_url
        self.env: dict[str, str] = {"DESIGNER_DATA_DIR": str(self.workdir)}
        self.pg_name = ""
        if self.admin_url:
            self.pg_name = f"designer_rt_{uuid.uuid4().hex[:10]}"
            self._pg_execute(f'CREATE DATABASE "{self.pg_name}"')
            parsed = urlparse(self.admin_url)
            self.env["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{self.pg_name}"))
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
            cwd=ROOT,
            env=self.process_env(),
            check=True,
        )

    def host_env(self, folder: Path) -> dict[str, str]:
        """The environment of a process on "another host": this database, its own data folder."""
        url = self.env.get("DATABASE_URL") or f"sqlite:///{self.workdir / 'db.sqlite3'}"
        folder.mkdir(parents=True, exist_ok=True)
        return {"DATABASE_URL": url, "DESIGNER_DATA_DIR": str(folder)}

    def _pg_execute(self, sql: str) -> None:
        import psycopg

        parsed = urlparse(self.admin_url)
        with psycopg.connect(
            urlunparse(parsed._replace(path="/postgres")), autocommit=True
        ) as conn:
            conn.execute(sql)

    def process_env(self, **extra: str) -> dict[str, str]:
        """The environment of a server or producer process that uses this database."""
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(
            DJANGO_SETTINGS_MODULE="designer.settings",
            SECRET_KEY="test-only-secret",
            SECURE_COOKIES="0",
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        env.update(self.env)
        env.update(extra)
        return env

    def drop(self) -> None:
        """Remove the database and its folder."""
        if self.pg_name:
            self._pg_execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        shutil.rmtree(self.workdir, ignore_errors=True)


class Server:
    """A Daphne subprocess on 127.0.0.1 serving `app` (default: the realtime test app)."""

    def __init__(
        self,
        database: Database,
        redis_url: str = "",
        backend: str = "",
        app: str = APP,
        code: Path = ROOT,
        **env: str,
    ) -> None:
        self.database = database
        self.app = app
        self.code = code  # the source tree it runs (a benchmark's baseline runs another's)
        self.redis_url = redis_url
        self.port = free_port()
        self.log_path = database.workdir / f"daphne-{self.port}.log"
        layer = layer_env(redis_url, backend)
        self.env = database.process_env(**layer, **env, PYTHONPATH=str(code))
        self._start()

    def _start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), self.app],
                cwd=self.code,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def restart(self) -> None:
        """Stop the server and start it again on the same port (its sockets drop)."""
        self.stop()
        self._start()

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"daphne did not listen within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        """What the server printed."""
        return self.log_path.read_text(errors="replace")

    def healed_lost_publishes(self, run: int) -> bool:
        """Whether the server had to send events of `run` that never reached it live."""
        return f"realtime: run.{run} events up to" in self.log()

    @property
    def origin(self) -> str:
        """An Origin header the server accepts."""
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, path: str, **query: Any) -> str:
        """A ws:// URL on this server."""
        suffix = f"?{urlencode(query)}" if query else ""
        return f"ws://127.0.0.1:{self.port}{path}{suffix}"

    def http(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str = "",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One HTTP request; returns (status, decoded JSON or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=60) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw) if raw else None
            except ValueError:
                return exc.code, raw.decode(errors="replace")

    def control(self, command: str, **arguments: Any) -> Any:
        """Run a control command inside the server process (see control.py)."""
        status, result = self.http("POST", f"/__control__/{command}", arguments)
        if status != 200:
            raise RuntimeError(f"control {command} failed ({status}): {result}")
        return result

    def stop(self) -> None:
        """Stop the server."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def layer_env(redis_url: str, backend: str = "") -> dict[str, str]:
    """Environment selecting the channel layer: Redis when a URL is given; a backend override."""
    env = {"REDIS_URL": redis_url} if redis_url else {}
    if backend:
        env[LAYER_OVERRIDE_ENV] = backend
    return env


def produce_in_subprocess(
    database: Database,
    redis_url: str,
    run: int,
    events: list,
    pause: float = 0.0,
    backend: str = "",
) -> Any:
    """Produce engine events from a separate process; they reach sockets through Redis."""
    result = subprocess.run(
        [PYTHON, "-m", "tests.integration.realtime.producer", str(run)],
        cwd=ROOT,
        env=database.process_env(**layer_env(redis_url, backend)),
        input=json.dumps({"events": events, "pause": pause}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


async def open_socket(
    server: Server,
    path: str,
    user: dict[str, Any] | None = None,
    *,
    via: str = "subprotocol",
    origin: str | None = None,
    **query: Any,
) -> ClientConnection:
    """Open a WebSocket as `user` (token by subprotocol, header or query; or session cookie)."""
    headers: dict[str, str] = {}
    subprotocols = [SUBPROTOCOL]
    if user is not None:
        if via == "subprotocol":
            subprotocols.append(f"token.{user['token']}")
        elif via == "header":
            headers["Authorization"] = f"Bearer {user['token']}"
        elif via == "query":
            query["token"] = user["token"]
        elif via == "session":
            headers["Cookie"] = f"sessionid={user['session']}"
        else:
            raise ValueError(via)
    return await connect(
        server.ws_url(path, **query),
        origin=origin or server.origin,  # type: ignore[arg-type]
        subprotocols=subprotocols,  # type: ignore[arg-type]
        additional_headers=headers,
        proxy=None,
        compression=None,
        open_timeout=20,
        max_queue=None,
    )


async def receive(socket: ClientConnection, timeout: float = 30) -> dict[str, Any]:
    """The next message, checked against its protocol model (a mismatch fails the test).

    The timeout is only a bound for a test that fails: a Celery step under a loaded machine
    can be more than 10 s between two events."""
    import asyncio

    text = await asyncio.wait_for(socket.recv(), timeout)
    message = json.loads(text)
    server_message_adapter.validate_python(message)
    return message


async def receive_until_finished(socket: ClientConnection, timeout: float = 30) -> list[dict]:
    """Every message up to and including run.finished."""
    messages = []
    while True:
        message = await receive(socket, timeout)
        messages.append(message)
        if message["type"] == "run.finished":
            return messages


class CeleryWorker:
    """A real `celery -A designer.celery worker` on Redis, sharing the server's database."""

    def __init__(
        self,
        database: Database,
        redis_url: str,
        name: str = "realtime",
        *,
        quiet: bool = True,
        concurrency: int = 2,
        **env: str,
    ) -> None:
        self.log_path = database.workdir / f"celery-{name}.log"
        self.process = subprocess.Popen(
            celery_worker_command(f"{name}-{os.getpid()}", self.log_path, concurrency, quiet=quiet),
            cwd=ROOT,
            env=database.process_env(
                **{"REDIS_URL": redis_url, "DESIGNER_RUNNER": "celery", **env}
            ),
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while "ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{self.log()}")
            time.sleep(0.2)

    def log(self) -> str:
        """What the worker logged."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Warm shutdown (TERM), then kill if it hangs."""
        stop_process_group(self.process)


@contextlib.contextmanager
def two_servers(redis_db: int, **env: str) -> Iterator[tuple[Server, Server]]:
    """Two Daphne processes on one database and one Redis (make run-distributed), on a Redis
    database index of their own (no other suite's groups), with `env` in their environment."""
    url = workers.redis_url(redis_db)
    assert url, "TEST_REDIS_URL is not set: make test starts the Redis these servers share"
    database = Database()
    pair = (
        Server(database, redis_url=url, **env),
        Server(database, redis_url=url, **env),
    )
    try:
        yield pair
    finally:
        for server in pair:
            server.stop()
        database.drop()
