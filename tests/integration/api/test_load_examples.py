"""`manage.py load_examples` creates the demo login and every example graph, once."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from designer.graphs.models import Graph

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
