"""Fixtures for the API tests: users in every role with token-authenticated clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from drf_spectacular.generators import SchemaGenerator
from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient

from designer.workspaces import services
from designer.workspaces.models import Membership, Role, Workspace
from tests.integration.api.database import use_file_sqlite
from tests.support.smtp import Inbox, smtp_server

PUBLIC = "https://designer.example.com"  # DESIGNER_PUBLIC_URL while `inbox` is in use


def pytest_configure(config: pytest.Config) -> None:
    """Use a file-backed SQLite test database (runs write from other threads)."""
    use_file_sqlite()


@dataclass
class Team:
    """A workspace with an owner, an editor, a viewer; an outsider owning another workspace."""

    workspace: Workspace
    foreign: Workspace
    users: dict[str, Any]
    clients: dict[str, APIClient]

    def client(self, who: str) -> APIClient:
        """The client acting as `who` (owner, editor, viewer, outsider, anonymous)."""
        return self.clients[who]


def token_client(user: Any) -> APIClient:
    """An API client that authenticates with a fresh personal token of `user`."""
    _, raw = services.create_token(user, "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def make_team() -> Team:
    """Create the users, the team workspace and the outsider's own workspace."""
    User = get_user_model()
    users = {
        who: User.objects.create_user(who, f"{who}@example.com", "pw-123456789")
        for who in ("owner", "editor", "viewer", "outsider")
    }
    workspace = services.create_workspace(users["owner"], "Team")
    Membership.objects.create(workspace=workspace, user=users["editor"], role=Role.EDITOR)
    Membership.objects.create(workspace=workspace, user=users["viewer"], role=Role.VIEWER)
    foreign = services.create_workspace(users["outsider"], "Elsewhere")
    clients = {who: token_client(user) for who, user in users.items()}
    clients["anonymous"] = APIClient()
    return Team(workspace, foreign, users, clients)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Cheap password hashing: the tests are about the API, not key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextmanager
def sending_mail(settings: Any, kind: type[Inbox] = Inbox) -> Iterator[Inbox]:
    """The server sends mail, to a real SMTP server (an Inbox of `kind`) on loopback; links
    start with PUBLIC."""
    with smtp_server(kind) as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        settings.DEFAULT_FROM_EMAIL = "designer@example.com"
        settings.DESIGNER_PUBLIC_URL = PUBLIC
        yield inbox


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    """The server's mail goes to a real SMTP server on loopback; links start with PUBLIC."""
    with sending_mail(settings) as inbox:
        yield inbox


@pytest.fixture
def team(db: None) -> Team:
    """A fresh team for one test."""
    return make_team()


@pytest.fixture
def team_tx(transactional_db: None) -> Team:
    """A fresh team in a database that background threads (a run's) and other processes see."""
    return make_team()


def simple_document(nodes: int = 2) -> dict[str, Any]:
    """A valid chain: a sample dataset followed by select-columns steps."""
    doc_nodes = [
        {
            "id": "n1",
            "module": "data.sample_dataset@1",
            "params": {"name": "iris"},
            "position": {"x": 0, "y": 0},
        },
    ]
    edges = []
    for i in range(2, nodes + 1):
        doc_nodes.append(
            {
                "id": f"n{i}",
                "module": "transform.select_columns@1",
                "params": {"columns": [], "mode": "exclude"},
                "position": {"x": 0, "y": 100 * i},
            }
        )
        edges.append(
            {
                "id": f"e{i}",
                "source": {"node": f"n{i - 1}", "port": "dataset"},
                "target": {"node": f"n{i}", "port": "dataset"},
            }
        )
    return {
        "schema_version": 1,
        "parameters": {},
        "nodes": doc_nodes,
        "edges": edges,
        "comments": [],
    }


@cache
def _served_schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(public=True)  # type: ignore[no-any-return]


def schema_validator(path: str, method: str, status: str = "") -> OAS30Validator:
    """The schema's JSON request body (no status) or answer of one operation, as a validator."""
    spec = _served_schema()
    operation = spec["paths"][path][method]
    part = operation["responses"][status] if status else operation["requestBody"]
    return OAS30Validator({**part["content"]["application/json"]["schema"], **spec})
