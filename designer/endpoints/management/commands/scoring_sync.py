"""`manage.py scoring_sync`: make the real-time deployment in the artifact store match the
database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from designer.endpoints import deployment


class Command(BaseCommand):
    """Builds missing bundles (all with --rebuild), publishes the routes."""

    help = (
        "Deploy every real-time endpoint version whose bundle is missing from the artifact "
        "store (all of them with --rebuild, e.g. after an upgrade), and publish the routing "
        "table (bundles of deleted versions go with gc_artifacts)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="build every bundle again")

    def handle(self, *args: Any, **options: Any) -> None:
        report = deployment.sync(rebuild=options["rebuild"])
        self.stdout.write(
            f"scoring: {len(report.deployed)} deployed, {len(report.failed)} failed "
            f"({deployment.store().root})"
        )
        for version, problem in sorted(report.failed.items()):
            self.stderr.write(f"endpoint version {version}: {problem}")
