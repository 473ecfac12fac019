"""The health check answers through the real URL map."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_answers_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "scoring": "off"}
