"""A step whose module names a container image runs in that image on a real Celery worker."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.conftest import make_team
from tests.integration.api.test_container_steps import container_modules, run_facts

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.celery,
    pytest.mark.redis,
    pytest.mark.docker,
]
__all__ = ["container_modules"]  # the fixture, imported for this module's tests


@pytest.mark.alone
def test_a_container_step_runs_in_its_image_on_a_celery_worker(
    container_modules: Any, celery_runner: None
) -> None:
    team = make_team()
    run = run_facts(team.client("editor"), team.workspace.pk)
    assert run["runner"] == "celery"
    assert container_modules.containers.list(all=True, filters={"label": "designer.step"}) == []
