"""`manage.py scoring_sync`: make the scoring deployment folder match the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from designer.endpoints import deployment


class Command(BaseCommand):
    """Builds missing bundles (all with --rebuild), removes stale ones, publishes the routes."""

    help = (
        "Deploy every real-time endpoint version whose bundle is missing from "
        "DESIGNER_SCORING_BUNDLES (all of them with --rebuild, e.g. after an upgrade), remove "
        "bundles of deleted versions, and publish the routing table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="build every bundle again")

    def handle(self, *args: Any, **options: Any) -> None:
        report = deployment.sync(rebuild=options["rebuild"])
        self.stdout.write(
            f"scoring: {len(report.deployed)} deployed, {len(report.removed)} removed, "
            f"{len(report.failed)} failed ({deployment.folder()})"
        )
        for version, problem in sorted(report.failed.items()):
            self.stderr.write(f"endpoint version {version}: {problem}")
