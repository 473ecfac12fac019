"""`manage.py run_scheduler`: fire endpoint schedules and collect the scoring processes'
figures from a process of its own."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from designer.endpoints import background, monitoring, scheduler, services


class Command(BaseCommand):
    """Runs the schedule loop until SIGTERM or SIGINT (any number may run at once)."""

    help = (
        "Fire endpoint schedules and collect real-time endpoints' figures (distributed mode; "
        "set DESIGNER_SCHEDULER=external on the servers). Several may run: each fire happens "
        "once, and collecting twice changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def finish(signum: int, frame: Any) -> None:
            stop.set()
            services.schedules_changed.set()

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        self.stdout.write("scheduler running; SIGTERM stops it")
        background.start_once("scoring-monitor", monitoring.run)
        scheduler.run(stop)
