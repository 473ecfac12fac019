"""`manage.py gc_artifacts [--keep N] [--dry-run]`: delete runs past the retention setting, then
every artifact, cache entry and log no remaining run uses (designer.runs.retention)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from designer.runs.retention import collect


class Command(BaseCommand):
    """Collect what no run references any more."""

    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep",
            type=int,
            default=settings.DESIGNER_KEEP_RUNS,
            help="runs to keep per graph, newest first (pinned and unfinished runs always stay)",
        )
        parser.add_argument("--dry-run", action="store_true", help="only say what would go")

    def handle(self, *args: Any, **options: Any) -> None:
        done = collect(max(0, options["keep"]), dry_run=options["dry_run"])
        verb = "would remove" if options["dry_run"] else "removed"
        self.stdout.write(
            f"{verb} {done.runs} runs, {done.objects} artifacts ({done.bytes:,} bytes), "
            f"{done.cache_entries} cache entries, {done.log_folders} log folders"
        )
