"""A custom module that names a container image runs in that image, started through the API.

Needs the Docker engine and the test step image `make test` starts and builds; skips otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from designer.graphs.analysis import module_registry
from designer.runs import engine_setup
from designer.runs.models import Run
from tests.integration.api.conftest import make_team
from tests.integration.api.test_runs import make_graph, steps, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.docker]
MODULES = Path(__file__).resolve().parents[2] / "fixtures" / "container_modules"
IMAGE = "designer-step:test"


def docker_engine() -> Any:
    """A client of the Docker engine that has the test image, or skip saying what is missing."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
    except Exception as exc:
        pytest.skip(f"no Docker engine answers ({exc})")
    try:
        client.images.get(IMAGE)
    except Exception:
        pytest.skip(f"the test image {IMAGE} is not built (scripts/step_image.py)")
    return client


@pytest.fixture
def container_modules(settings: Any) -> Any:
    """The custom modules under tests/fixtures/container_modules in the palette."""
    client = docker_engine()
    settings.DESIGNER_MODULE_PATHS = [str(MODULES)]
    module_registry.cache_clear()
    yield client
    module_registry.cache_clear()


def facts_document() -> dict[str, Any]:
    """Iris (local) → container facts (in the image) → select columns (local)."""
    return {
        "schema_version": 1,
        "nodes": [
            {"id": "iris", "module": "data.sample_dataset@1", "params": {"name": "iris"}},
            {"id": "facts", "module": "custom.container_facts@1", "params": {}},
            {
                "id": "keep",
                "module": "transform.select_columns@1",
                "params": {"pattern": "^(in_container|interfaces|marker)$", "mode": "include"},
            },
        ],
        "edges": [
            {
                "id": "e1",
                "source": {"node": "iris", "port": "dataset"},
                "target": {"node": "facts", "port": "dataset"},
            },
            {
                "id": "e2",
                "source": {"node": "facts", "port": "dataset"},
                "target": {"node": "keep", "port": "dataset"},
            },
        ],
    }


def run_facts(client: APIClient, workspace: int) -> dict[str, Any]:
    """Run the facts graph and check that only its container step ran in the image."""
    graph = make_graph(client, workspace, facts_document())
    started = client.post(f"/api/graphs/{graph}/runs/", {"bypass_cache": True}, format="json")
    assert started.status_code == 201, started.json()
    run = wait_for(client, started.json()["id"], timeout=120)
    assert run["status"] == "succeeded", steps(run)
    preview = client.get(f"/api/runs/{run['id']}/steps/keep/outputs/dataset/preview/").json()
    table = preview["table"]
    assert table["total_rows"] == 150
    assert table["rows"][0] == [True, "lo", "only in the step image"], table["columns"]
    log = client.get(f"/api/runs/{run['id']}/steps/facts/log/")
    assert "container facts for 150 rows" in log.content.decode()
    facts = next(s for s in Run.objects.get(pk=run["id"]).plan["steps"] if s["key"] == "facts")
    assert facts["environment"]["image_id"].startswith("sha256:")  # pinned when the run began
    return run


@pytest.mark.alone
def test_a_container_step_runs_in_its_image_on_the_local_runner(container_modules: Any) -> None:
    team = make_team()
    run = run_facts(team.client("editor"), team.workspace.pk)
    assert run["runner"] == "local"
    assert container_modules.containers.list(all=True, filters={"label": "designer.step"}) == []


def test_custom_module_folders_are_mounted_read_only(settings: Any, tmp_path: Path) -> None:
    docker_engine()
    settings.DESIGNER_MODULE_PATHS = [str(tmp_path)]
    runner = engine_setup.container_runner(1)
    try:
        assert runner.read_only == (str(tmp_path.resolve()),)
    finally:
        runner.close()
