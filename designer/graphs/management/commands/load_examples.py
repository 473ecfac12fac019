"""`manage.py load_examples`: a demo user and workspace with the example pipelines as graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from designer.graphs import services as graph_services
from designer.graphs.examples import read_example
from designer.graphs.models import Graph
from designer.workspaces import services as workspace_services
from designer.workspaces.models import Workspace

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-designer"
DEMO_WORKSPACE = "Demo"


class Command(BaseCommand):
    """Creates (once) the demo login and loads examples/*.json that are not loaded yet."""

    help = "Create a demo user and workspace and load examples/*.json as graphs (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--folder", default=str(Path(settings.BASE_DIR) / "examples"))

    @transaction.atomic
    def handle(self, *args: Any, folder: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=DEMO_USER).first()
        if user is None:
            user = get_user_model().objects.create_user(
                DEMO_USER, "demo@example.com", DEMO_PASSWORD
            )
        workspace = Workspace.objects.filter(memberships__user=user, name=DEMO_WORKSPACE).first()
        if workspace is None:
            workspace = workspace_services.create_workspace(user, DEMO_WORKSPACE)
        loaded = 0
        for path in sorted(Path(folder).glob("*.json")):
            example = read_example(path)
            if Graph.objects.filter(workspace=workspace, name=example.name).exists():
                continue
            graph_services.create_from_example(workspace, user, example, example.name)
            loaded += 1
        self.stdout.write(
            f"Loaded {loaded} example graphs into workspace '{DEMO_WORKSPACE}'. "
            f"Demo login: {DEMO_USER} / {DEMO_PASSWORD}"
        )
