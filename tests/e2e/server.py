"""A live Daphne server on a free loopback port, with a migrated SQLite file and seeded users."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "e2e-password-1"

_SEED = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from designer.workspaces.models import Membership, Role
from designer.workspaces.services import create_workspace
User = get_user_model()
owner = User.objects.create_user("alice", "alice@example.com", sys.argv[1])
other = User.objects.create_user("bob", "bob@example.com", sys.argv[1])
viewer = User.objects.create_user("carol", "carol@example.com", sys.argv[1])
ws = create_workspace(owner, "Research")
Membership.objects.create(workspace=ws, user=other, role=Role.EDITOR)
Membership.objects.create(workspace=ws, user=viewer, role=Role.VIEWER)
print(json.dumps({"workspace": ws.pk}))
"""


@dataclass
class LiveServer:
    """Daphne serving the app from a temporary data directory; `start()` then `stop()`."""

    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="designer-e2e-")))
    port: int = field(default_factory=free_port)
    workspace: int = 0
    process: subprocess.Popen[bytes] | None = None
    scoring: bool = False  # start the embedded scoring process (real-time endpoints) too
    scoring_port: int = field(default_factory=free_port)
    email_port: int = 0  # an SMTP server on loopback the server mails run notices to (0: none)
    settings: dict[str, str] = field(default_factory=dict)  # more environment for the server

    @property
    def scoring_url(self) -> str:
        """The scoring process's base URL."""
        return f"http://127.0.0.1:{self.scoring_port}"

    @property
    def url(self) -> str:
        """The server's base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment for the server and its management commands."""
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(
            DJANGO_SETTINGS_MODULE="designer.settings",
            DESIGNER_DATA_DIR=str(self.data_dir),
            SECRET_KEY="e2e-only-secret",
            SECURE_COOKIES="0",
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DESIGNER_RUNNER="local",
            LOG_LEVEL="WARNING",
            DESIGNER_SCORING_PROCESS="embedded" if self.scoring else "external",
            DESIGNER_SCORING_PORT=str(self.scoring_port),
            DESIGNER_SCORING_WORKERS="2",
            DESIGNER_SCORING_FLUSH_SECONDS="0.5",
            DESIGNER_PUBLIC_URL=self.url,
        )
        if self.email_port:
            env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(self.email_port))
        env.update(self.settings)
        return env

    def start(self) -> LiveServer:
        """Migrate, seed alice (owner), bob (editor) and carol (viewer) in workspace "Research",
        start Daphne (and its scoring process when asked) and wait until they answer."""
        env = self.env()
        py = sys.executable
        subprocess.run(
            [py, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        seeded = subprocess.run(
            [py, "-c", _SEED, PASSWORD], cwd=ROOT, env=env, check=True, capture_output=True
        )
        self.workspace = json.loads(seeded.stdout.decode().strip().splitlines()[-1])["workspace"]
        return self._serve()

    def restart(self) -> LiveServer:
        """Stop Daphne as a crash or a deploy would (its runs left unfinished) and start it again
        on the same port and data directory."""
        self._end_process()
        return self._serve()

    def _serve(self) -> LiveServer:
        env = self.env()
        log = (self.data_dir / "server.log").open("ab")
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "designer.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited; see {self.data_dir / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                    health = json.loads(r.read())
                    if health["scoring"] in ("ready", "external"):
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server (or its scoring process) was not ready within 120 s")

    def stop(self) -> None:
        """Stop Daphne (and the workers it started) by its pid, then remove the data directory."""
        self._end_process()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def _end_process(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
