"""`manage.py load_examples` creates the demo login and every example graph, once."""

from __future__ import annotations

import importlib
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from designer.graphs.models import Graph, GraphVersion

pytestmark = pytest.mark.django_db
EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "examples").glob("*.json"))


def test_load_examples_is_idempotent_and_prints_the_login() -> None:
    out = StringIO()
    call_command("load_examples", stdout=out)
    assert "demo / demo-designer" in out.getvalue()
    sign_in = RequestFactory().post("/accounts/login/")
    assert authenticate(sign_in, username="demo", password="demo-designer") is not None
    assert Graph.objects.count() == len(EXAMPLES) > 0
    assert all(g.versions.count() == 1 for g in Graph.objects.all())
    call_command("load_examples", stdout=StringIO())
    assert Graph.objects.count() == len(EXAMPLES)


def test_a_renamed_example_graph_is_not_loaded_again() -> None:
    call_command("load_examples", stdout=StringIO())
    loans = Graph.objects.get(name="SQL and Python: loan approval")
    Graph.objects.filter(pk=loans.pk).update(name="Our loans")
    out = StringIO()
    call_command("load_examples", stdout=out)
    assert "Loaded 0 example graphs" in out.getvalue()
    assert Graph.objects.count() == len(EXAMPLES)


def test_examples_loaded_under_their_old_names_are_not_loaded_again_once_renamed() -> None:
    """A demo workspace loaded before the examples had names of their own (the slug with
    spaces): the migration reads which example each graph holds from its first version."""
    migration = importlib.import_module("designer.graphs.migrations.0005_graph_example")
    call_command("load_examples", stdout=StringIO())
    for graph in Graph.objects.all():  # as they were loaded before
        old = graph.example.replace("_", " ").capitalize()
        Graph.objects.filter(pk=graph.pk).update(name=old, example="")
        GraphVersion.objects.filter(graph=graph).update(message=f"From the example “{old}”")
    assert Graph.objects.filter(name="Sql python loans").exists()

    migration.graphs_name_their_examples(apps, None)
    call_command("load_examples", stdout=StringIO())

    assert Graph.objects.count() == len(EXAMPLES)
    assert sorted(Graph.objects.values_list("example", flat=True)) == [p.stem for p in EXAMPLES]
