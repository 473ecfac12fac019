"""The OpenAPI schema generates without warnings and validates; Swagger UI and the browsable API."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from tests.integration.api.conftest import Team

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_and_validates(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert "/api/graphs/{id}/draft/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


ROOT = Path(__file__).resolve().parents[3]


def test_committed_schema_and_front_end_types_are_current(tmp_path: Path) -> None:
    if not (ROOT / "frontend" / "node_modules" / ".bin" / "openapi-typescript").exists():
        pytest.fail("frontend/node_modules is missing: run `make frontend` (scripts/frontend.sh)")
    types, schema = tmp_path / "schema.gen.ts", tmp_path / "openapi.yaml"
    subprocess.run(
        ["bash", "scripts/rest_types.sh", str(types), str(schema)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    for made, committed in (
        (schema, "docs/openapi.yaml"),
        (types, "frontend/src/api/schema.gen.ts"),
    ):
        assert made.read_text() == (ROOT / committed).read_text(), (
            f"{committed} is stale: run `make types`"
        )


def test_swagger_and_browsable_api_render(team: Team) -> None:
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', docs.content.decode())
    assert len(assets) >= 3 and all(a.startswith(settings.STATIC_URL) for a in assets), assets
    for asset in assets:  # Swagger UI comes from the server's own static files, not a CDN
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), asset
    browser = Client()
    browser.force_login(team.users["viewer"])
    page = browser.get(f"/api/workspaces/{team.workspace.pk}/graphs/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"<html" in page.content.lower()


def test_session_writes_need_csrf(team: Team) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(team.users["owner"])
    refused = browser.post("/api/workspaces/", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]


def test_admin_lists_every_backend_model(team: Team) -> None:
    from django.apps import apps
    from django.contrib import admin

    staff = Client()
    team.users["owner"].is_staff = team.users["owner"].is_superuser = True
    team.users["owner"].save()
    staff.force_login(team.users["owner"])
    for label in ("workspaces", "graphs", "runs"):
        for model in apps.get_app_config(label).get_models():
            assert admin.site.is_registered(model), model
            url = f"/admin/{label}/{model._meta.model_name}/"
            assert staff.get(url).status_code == 200, url
