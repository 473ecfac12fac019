"""`python manage.py watch_run RUN_ID`: print a run's live event stream in the terminal."""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from designer.realtime.watch import run_watch


class Command(BaseCommand):
    """Watch a run over its WebSocket; exits 0 when it succeeds, 1 when not, 2 when refused."""

    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("run_id", type=int)
        parser.add_argument(
            "--url",
            default=os.environ.get("DESIGNER_URL", "http://127.0.0.1:8000"),
            help="the server (default $DESIGNER_URL or http://127.0.0.1:8000)",
        )
        parser.add_argument(
            "--token",
            default=os.environ.get("DESIGNER_TOKEN", ""),
            help="a personal API token (default $DESIGNER_TOKEN)",
        )
        parser.add_argument("--resume-from", type=int, default=None, help="skip to after event N")
        parser.add_argument("--json", action="store_true", help="print raw protocol messages")

    def handle(self, *args: Any, **options: Any) -> None:
        def emit(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        code = run_watch(
            server=options["url"],
            run_id=options["run_id"],
            token=options["token"],
            emit=emit,
            as_json=options["json"],
            resume_from=options["resume_from"],
        )
        sys.exit(code)
