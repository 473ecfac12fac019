"""Keeps a scoring process running beside the web server: starts `python -m designer.serving
serve`, reports whether it answers its health check, restarts it when it exits (after a pause
that grows while it keeps failing), and stops it with the server."""

from __future__ import annotations

import atexit
import http.client
import logging
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

State = Literal["off", "starting", "ready", "restarting"]
log = logging.getLogger(__name__)
MAX_PAUSE = 30.0  # seconds between restarts at most


@dataclass
class ScoringSupervisor:
    """One scoring process on `host:port`, serving what the artifact store `store` holds
    (`bundles`: this host's scoring folder)."""

    store: str
    bundles: Path
    host: str
    port: int
    workers: int
    state: State = "off"
    restarts: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def command(self) -> list[str]:
        """The scoring process's command line (it exits by itself if this process dies)."""
        return [
            sys.executable,
            "-m",
            "designer.serving",
            "serve",
            "--store",
            self.store,
            "--bundles",
            str(self.bundles),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--exit-with-parent",
        ]

    def healthy(self) -> bool:
        """Whether the process answers GET /score/health with 200."""
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
            conn.request("GET", "/score/health")
            ok = conn.getresponse().status == 200
            conn.close()
        except OSError:
            return False
        return ok

    def run(self, stop: threading.Event) -> None:
        """Keep the process running until `stop` is set; then stop it."""
        atexit.register(self.terminate)
        pause = 1.0
        while not stop.is_set():
            self.state = "starting" if self.restarts == 0 else "restarting"
            started = time.monotonic()
            self._process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL)
            ready = False
            while self._process.poll() is None and not stop.is_set():
                if not ready and self.healthy():
                    ready, self.state = True, "ready"
                    log.info("scoring process ready on %s:%s", self.host, self.port)
                stop.wait(1.0 if ready else 0.2)
            if stop.is_set():
                break
            code = self._process.returncode
            pause = 1.0 if time.monotonic() - started > 60 else min(pause * 2, MAX_PAUSE)
            self.restarts += 1
            self.state = "restarting"
            log.error("scoring process exited with %s; restarting in %.0f s", code, pause)
            stop.wait(pause)
        self.terminate()

    def terminate(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        process, self._process = self._process, None
        self.state = "off"
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
