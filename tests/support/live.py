"""Servers for tests that attack the designer: a harness Daphne, or `scripts/run.sh` itself."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.realtime.harness import Database, Server
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def live_server(**env: str) -> Iterator[Server]:
    """Daphne on a loopback port with a migrated database of its own (env: extra settings)."""
    database = Database()
    server = Server(database, **env)
    try:
        yield server
    finally:
        server.stop()
        database.drop()


@dataclass
class Browser:
    """An HTTP client with a cookie jar that sends Django's CSRF token like the front end."""

    base: str
    cookies: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.cookies if c.name == name), "")

    def send(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One request; returns (status, body)."""
        request = urllib.request.Request(self.base + path, data=data, method=method)
        for name, value in {"X-CSRFToken": self.cookie("csrftoken"), **(headers or {})}.items():
            request.add_header(name, value)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        status, raw = self.send(method, path, data, {"Content-Type": "application/json"})
        return status, json.loads(raw) if raw else None

    def sign_in(self, username: str, password: str) -> int:
        """Sign in through the login form (CSRF cookie first); returns the final status."""
        self.send("GET", "/accounts/login/")
        form = f"username={username}&password={password}"
        form += f"&csrfmiddlewaretoken={self.cookie('csrftoken')}"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.send("POST", "/accounts/login/", form.encode(), headers)[0]


@contextlib.contextmanager
def make_run(data_dir: Path) -> Iterator[Browser]:
    """`scripts/run.sh` (what `make run` does) on a free port, its data in `data_dir`."""
    port = free_port()
    drop = {"DEBUG", "SECRET_KEY", "SECURE_COOKIES", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("DESIGNER_")}
    env.update(DESIGNER_DATA_DIR=str(data_dir), PORT=str(port))
    env.update(DESIGNER_SCORING_PORT=str(free_port()), DESIGNER_SCORING_WORKERS="1")
    log = data_dir.parent / f"make-run-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"make run did not serve:\n{log.read_text(errors='replace')}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.2)
        yield Browser(f"http://127.0.0.1:{port}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        process.wait(30)
