"""An API token cannot mint tokens: nothing it made can outlive its revocation."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from designer.workspaces.models import ApiToken
from tests.integration.api.conftest import fast_passwords  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_token_cannot_mint_tokens_and_revocation_leaves_nothing_signed_in() -> None:
    erin = get_user_model().objects.create_user("erin", "erin@example.com", "pw-123456789")
    session = APIClient()
    session.force_login(erin)
    minted = session.post("/api/tokens/", {"name": "ci"}, format="json")
    assert minted.status_code == 201
    parent = minted.json()

    child = bearer(parent["token"]).post("/api/tokens/", {"name": "child"}, format="json")
    assert child.status_code == 403
    assert "signed-in session" in child.json()["detail"]
    assert ApiToken.objects.filter(user=erin).count() == 1

    assert session.delete(f"/api/tokens/{parent['id']}/").status_code == 204
    assert bearer(parent["token"]).get("/api/me/").status_code == 401
    live = ApiToken.objects.filter(user=erin, revoked_at__isnull=True)
    assert not live.exists()  # no token of erin's signs in any more
