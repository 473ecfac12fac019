"""The endpoints app's background loops: schedules (scheduler.py), the scoring monitor
(monitoring.py) and the embedded scoring process (serving/supervisor.py). The embedded server
runs them on daemon threads; `manage.py run_scheduler` runs the first two in a process of its
own (distributed mode), where the scoring processes are started separately."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from designer.endpoints import deployment, monitoring, scheduler
from designer.serving.supervisor import ScoringSupervisor, State

_started = threading.Lock()
_threads: dict[str, threading.Thread] = {}
_scoring: ScoringSupervisor | None = None


def start_once(name: str, loop: Callable[[threading.Event], None]) -> threading.Thread:
    """Run `loop(stop)` on a daemon thread of this process, once per name."""
    with _started:
        if name not in _threads:
            _threads[name] = threading.Thread(
                target=loop, args=(threading.Event(),), name=name, daemon=True
            )
            _threads[name].start()
        return _threads[name]


def start_embedded() -> None:
    """Start the scheduler and the scoring monitor beside the server (once)."""
    start_once("scheduler", scheduler.run)
    start_once("scoring-monitor", monitoring.run)


def start_scoring_process() -> None:
    """Start and supervise the scoring process beside the server (once)."""
    global _scoring
    with _started:
        if _scoring is None:
            _scoring = ScoringSupervisor(
                str(deployment.store().root),
                Path(settings.DESIGNER_SCORING_BUNDLES).resolve(),
                settings.DESIGNER_SCORING_HOST,
                settings.DESIGNER_SCORING_PORT,
                settings.DESIGNER_SCORING_WORKERS,
            )
    start_once("scoring-process", _scoring.run)


def scoring_state() -> State | None:
    """The embedded scoring process's state, or None when this server does not run one."""
    return None if _scoring is None else _scoring.state
