"""`manage.py import_dataset_folder [FOLDER]`: copy registered datasets kept in a folder (before
they moved to the artifact store) into the store, each workspace's versions in their order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from designer.runs import dataset_services, engine_setup


class Command(BaseCommand):
    """Import `<folder>/<workspace id>/<name>/versions.json` and its Parquet files."""

    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "folder",
            nargs="?",
            default=str(settings.DATA_DIR / "datasets"),
            help="the old dataset folder (default: $DESIGNER_DATA_DIR/datasets)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        imported = 0
        for index in sorted(Path(options["folder"]).glob("*/*/versions.json")):
            workspace, name = index.parent.parent.name, index.parent.name
            if not workspace.isdigit():
                continue
            store = engine_setup.dataset_store(int(workspace))
            for entry in json.loads(index.read_text()):
                parquet = index.parent / f"{entry['version']}.parquet"
                writer = entry.get("written_by")
                store.write(name, parquet, entry.get("description", ""), writer=writer)
                imported += 1
            dataset_services.sync_from_store(int(workspace))
        self.stdout.write(f"imported {imported} dataset versions")
