"""The server's scoring process supervisor: the process it starts answers its health check; when
the process dies it is started again and answers again; stopping the supervisor stops it."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from designer.serving.supervisor import ScoringSupervisor
from tests.support.processes import free_port


def wait_for(condition: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_killed_scoring_process_is_started_again(tmp_path: Path) -> None:
    store, folder = str(tmp_path / "store"), tmp_path / "scoring"
    supervisor = ScoringSupervisor(store, folder, "127.0.0.1", free_port(), workers=1)
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: supervisor.state == "ready")
        first = supervisor._process
        assert first is not None and supervisor.healthy()
        os.kill(first.pid, signal.SIGKILL)
        wait_for(lambda: supervisor.restarts == 1 and supervisor.state == "ready")
        second = supervisor._process
        assert second is not None and second.pid != first.pid and supervisor.healthy()
    finally:
        stop.set()
        thread.join(30)
    assert supervisor.state == "off" and not supervisor.healthy()
    assert second.poll() is not None
