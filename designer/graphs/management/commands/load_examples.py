"""`manage.py load_examples`: a demo user and workspace with the example pipelines as graphs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from designer.graphs import services as graph_services
from designer.graphs.examples import examples
from designer.graphs.models import Graph
from designer.workspaces import services as workspace_services
from designer.workspaces.models import Workspace

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-designer"
DEMO_WORKSPACE = "Demo"


class Command(BaseCommand):
    """Creates (once) the demo login and loads the examples the demo workspace lacks (found by
    their slug, so a renamed example or graph is not loaded twice)."""

    help = "Create a demo user and workspace and load examples/*.json as graphs (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=DEMO_USER).first()
        if user is None:
            user = get_user_model().objects.create_user(
                DEMO_USER, "demo@example.com", DEMO_PASSWORD
            )
        workspace = Workspace.objects.filter(memberships__user=user, name=DEMO_WORKSPACE).first()
        if workspace is None:
            workspace = workspace_services.create_workspace(user, DEMO_WORKSPACE)
        present = set(Graph.objects.filter(workspace=workspace).values_list("example", flat=True))
        missing = [e for slug, e in examples().items() if slug not in present]
        for example in missing:
            graph_services.create_from_example(workspace, user, example, example.name)
        self.stdout.write(
            f"Loaded {len(missing)} example graphs into workspace '{DEMO_WORKSPACE}'. "
            f"Demo login: {DEMO_USER} / {DEMO_PASSWORD}"
        )
