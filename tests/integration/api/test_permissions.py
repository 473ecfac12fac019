"""Every API route, every kind of caller, objects of a foreign workspace: no leaks, no gaps.

Each route's view must declare a policy for every method it implements. Callers: the owner,
an editor and a viewer of the objects' workspace, a member of another workspace (another
workspace's token), a user in no workspace, an anonymous client, and endpoint keys: one for
the workspace's endpoint (which made the workspace's invocation), one for another endpoint,
a workspace-wide one and a revoked one. Expected: anonymous 401; non-members 404 exactly as
for a missing object (naming nothing of it); members below the policy's role 403; members at
or above it anything but 401/403/404/5xx. Keys: 401 on every route that does not take keys
(and always when revoked); on the call routes, a key may call the endpoints in its scope and
read only the invocations it made; anything else is the same 404 as for a missing object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from designer.accounts.models import Invitation
from designer.endpoints import services as endpoint_services
from designer.graphs import services as graph_services
from designer.graphs.analysis import plan_for_run
from designer.runs import dataset_services
from designer.runs import services as run_services
from designer.workspaces import services as ws_services
from designer.workspaces.models import ROLE_RANK, Membership, Role, Workspace
from designer.workspaces.permissions import SESSION, USER
from designer.workspaces.tokens import hash_token
from tests.integration.api.conftest import simple_document, token_client
from tests.integration.endpoints.conftest import key_client, scoring_document

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC = {"api-schema", "api-docs"}  # the OpenAPI document and Swagger UI are public by design
SECRET = "Secret-7f3a"
KEY = -2  # the rank given to endpoint keys: they hold no role


class Rollback(Exception):
    """Raised to undo an allowed request's writes, so every request sees the same world."""


@dataclass
class World:
    """One workspace's objects, named so a leak of their names is visible."""

    workspace: Workspace
    owner: Any
    ids: dict[str, Any]
    keys: dict[str, str]  # kind of endpoint key → raw key


def api_routes() -> list[tuple[str, str, type]]:
    """(name, route, view class) of every URL pattern under /api/."""
    found: list[tuple[str, str, type]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and (prefix + str(p.pattern)).startswith("api/"):
                found.append((p.name or "", prefix + str(p.pattern), p.callback.cls))

    walk(get_resolver().url_patterns, "")
    return found


def build_world(name: str) -> World:
    """A workspace with its owner, a graph with a version, a run with a step, a dataset."""
    owner = get_user_model().objects.create_user(f"{name}-owner")
    workspace = ws_services.create_workspace(owner, f"{SECRET} {name}")
    graph = graph_services.create_graph(workspace, owner, f"{SECRET} graph", "", simple_document(2))
    version = graph_services.commit_version(graph.pk, owner, SECRET, only_if_changed=False)
    plan = plan_for_run(graph.draft, {})
    run = run_services.create_run(graph, version, owner, plan, False, None, None)
    run.steps.filter(key="n1").update(
        outputs={"dataset": {"digest": "0" * 64, "kind": "parquet", "size": 1, "summary": {}}}
    )
    file = SimpleUploadedFile("d.csv", b"a\n1\n")
    dataset_version, _ = dataset_services.upload(workspace, owner, f"{name}-data", file)
    token, _ = ws_services.create_token(owner, SECRET)
    scoring = graph_services.create_graph(
        workspace, owner, f"{SECRET} scoring", "", scoring_document()
    )
    endpoint = endpoint_services.publish(workspace, owner, graph=scoring, name=f"{name}-scores")
    other = endpoint_services.publish(workspace, owner, graph=scoring, name=f"{name}-other")
    keys = {
        "endpoint-key": endpoint_services.create_key(workspace, owner, SECRET, endpoint, 1000),
        "other-endpoint-key": endpoint_services.create_key(workspace, owner, SECRET, other, 1000),
        "workspace-key": endpoint_services.create_key(workspace, owner, SECRET, None, 1000),
        "revoked-key": endpoint_services.create_key(workspace, owner, SECRET, endpoint, 1000),
    }
    endpoint_services.revoke_key(keys["revoked-key"][0], owner)
    call, _ = endpoint_services.invoke(
        endpoint,
        endpoint_services.Caller(key=keys["endpoint-key"][0]),
        parameters={"where": "a > 0"},
    )
    schedule = endpoint_services.create_schedule(
        endpoint, owner, cron="0 6 * * *", parameters={"where": "a > 0"}
    )
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=f"{name}@invited.example",
        role="viewer",
        invited_by=owner,
        token_hash=hash_token(f"{name}-invitation"),
        expires_at=timezone.now() + timedelta(days=1),
    )
    return World(
        workspace,
        owner,
        {
            "workspaces": workspace.pk,
            "graphs": graph.pk,
            "runs": run.pk,
            "other": run.pk,
            "datasets": dataset_version.dataset_id,
            "tokens": token.pk,
            "user_id": owner.pk,
            "number": 1,
            "key": "n1",
            "port": "dataset",
            "digest": dataset_version.digest,
            "endpoints": endpoint.pk,
            "invocations": call.pk,
            "endpoint-keys": keys["endpoint-key"][0].pk,
            "schedules": schedule.pk,
            "invitation_id": invitation.pk,
            "name": "kept",
        },
        {who: raw for who, (_, raw) in keys.items()},
    )


def fill(route: str, world: World) -> str:
    """The concrete URL of a route for one world's objects."""
    url = "/" + route
    kind = route.split("/")[1]
    values = {"pk": world.ids.get(kind), **world.ids}
    for name, value in values.items():
        for converter in ("id", "str"):
            url = url.replace(f"<{converter}:{name}>", str(value))
    assert "<" not in url, f"no test value for a parameter of {route}"
    return url


@pytest.fixture
def callers() -> tuple[World, World, dict[str, tuple[APIClient, int]]]:
    """Two worlds, and for each caller: a client and their role rank in the first world."""
    home, foreign = build_world("home"), build_world("foreign")
    User = get_user_model()
    clients: dict[str, tuple[APIClient, int]] = {"owner": (token_client(home.owner), 3)}
    for role in (Role.EDITOR, Role.VIEWER):
        user = User.objects.create_user(f"home-{role}")
        Membership.objects.create(workspace=home.workspace, user=user, role=role)
        clients[str(role)] = (token_client(user), ROLE_RANK[role])
    clients["other-workspace"] = (token_client(foreign.owner), 0)
    clients["no-workspace"] = (token_client(User.objects.create_user("loner")), 0)
    clients["anonymous"] = (APIClient(), -1)
    for who, raw in home.keys.items():
        clients[who] = (key_client(raw), KEY)
    return home, foreign, clients


def call(client: APIClient, method: str, url: str) -> Any:
    """Make one request and undo whatever it wrote."""
    response = None
    try:
        with transaction.atomic():
            response = getattr(client, method)(url, {}, format="json")
            raise Rollback
    except Rollback:
        pass
    return response


def test_every_route_declares_a_policy_for_every_method() -> None:
    missing = []
    for name, route, view in api_routes():
        if name in PUBLIC:
            continue
        policy = getattr(view, "policy", None)
        implemented = [m.upper() for m in METHODS if hasattr(view, m)]
        if not policy:
            missing.append(f"{route}: no policy")
        missing += [f"{route}: {m} has no policy" for m in implemented if m not in policy]
    assert not missing, missing
    assert len(api_routes()) >= 35


def test_no_route_leaks_across_workspaces_or_roles(
    callers: tuple[World, World, dict[str, tuple[APIClient, int]]],
) -> None:
    home, _, clients = callers
    problems: list[str] = []
    for name, route, view in api_routes():
        if name in PUBLIC:
            continue
        url = fill(route, home)
        for method in [m for m in METHODS if hasattr(view, m)]:
            required = view.policy[method.upper()]
            for who, (client, rank) in clients.items():
                response = call(client, method, url)
                got = response.status_code
                where = f"{method.upper()} {url} as {who}"
                if got >= 500:
                    problems.append(f"{where}: {got}")
                elif rank == KEY:
                    expected = key_expectation(who, route, view)
                    refused = got in (401, 403, 404)
                    if (expected == "allowed" and refused) or (
                        expected != "allowed" and got != expected
                    ):
                        problems.append(f"{where}: expected {expected}, got {got}")
                elif rank < 0:
                    if got != 401:
                        problems.append(f"{where}: expected 401, got {got}")
                elif required == SESSION:  # every caller here signs in with a token
                    if got != 403:
                        problems.append(f"{where}: expected 403 (session only), got {got}")
                elif required == USER:
                    owns = who == "owner" or not route.startswith("api/tokens/<")
                    if owns and got in (401, 403, 404):
                        problems.append(f"{where}: refused ({got})")
                    if not owns and got != 404:
                        problems.append(f"{where}: expected 404, got {got}")
                elif rank == 0:
                    body = response.content.decode(errors="replace")
                    if got != 404 or SECRET in body:
                        problems.append(f"{where}: expected a bare 404, got {got} {body[:120]}")
                elif rank < ROLE_RANK[Role(required)]:
                    if got != 403:
                        problems.append(f"{where}: expected 403, got {got}")
                elif got in (401, 403, 404):
                    problems.append(f"{where}: refused ({got}) {response.content[:120]!r}")
    assert not problems, "\n".join(problems)


def key_expectation(who: str, route: str, view: type) -> int | str:
    """What an endpoint key gets on a route: 401, 404 or "allowed"."""
    if who == "revoked-key" or not getattr(view, "key_access", False):
        return 401
    if route.startswith("api/invocations/"):  # the world's invocation was made by endpoint-key
        return "allowed" if who == "endpoint-key" else 404
    return "allowed" if who in ("endpoint-key", "workspace-key") else 404


def test_foreign_objects_look_exactly_like_missing_ones(
    callers: tuple[World, World, dict[str, tuple[APIClient, int]]],
) -> None:
    home, _, clients = callers
    client = clients["other-workspace"][0]
    for kind in ("graphs", "runs", "datasets", "workspaces"):
        foreign = client.get(f"/api/{kind}/{home.ids[kind]}/").json()
        missing = client.get(f"/api/{kind}/999999/").json()
        assert foreign["code"] == missing["code"] == "not_found"
        assert foreign["detail"].replace(str(home.ids[kind]), "N") == missing["detail"].replace(
            "999999", "N"
        )


BAD_BODIES = [
    ("application/json", "{not json"),
    ("application/json", "[1, 2, 3]"),
    ("application/json", '"text"'),
    ("application/json", "null"),
    ("application/json", '{"name": {"deep": [1, {"x": null}]}, "unknown": 1, "version": "v"}'),
    ("application/json", '{"parameters": 5, "params": [], "role": 7, "message": {}}'),
    ("text/plain", "hello"),
]


def test_bad_bodies_never_give_a_server_error(
    callers: tuple[World, World, dict[str, tuple[APIClient, int]]],
) -> None:
    home, _, clients = callers
    owner = clients["owner"][0]
    problems = []
    for name, route, view in api_routes():
        if name in PUBLIC:
            continue
        url = fill(route, home)
        for method in [m for m in ("post", "put", "patch") if hasattr(view, m)]:
            for content_type, body in BAD_BODIES:
                response = None
                try:
                    with transaction.atomic():
                        response = owner.generic(
                            method.upper(), url, body, content_type=content_type, HTTP_IF_MATCH="*"
                        )
                        raise Rollback
                except Rollback:
                    pass
                assert response is not None
                where = f"{method.upper()} {url} {body[:30]!r}"
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code}")
                elif response.status_code >= 400 and not response.json().get("detail"):
                    problems.append(f"{where}: {response.status_code} without a detail")
    assert not problems, "\n".join(problems)
