"""Test-only commands run inside the server (or a producer) process: fixtures and a producer.

The producer feeds engine events to designer.runs.services.record_events, the path the run
coordinator and the Celery workers use: state saved, RunEvents appended under the Run row lock,
published after commit.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction

from designer.engine.events import Event, EventType
from designer.graphs.models import Graph, GraphVersion
from designer.runs import eventlog, services
from designer.runs.models import Run, StepRun
from designer.workspaces.models import ApiToken, Membership, Workspace
from designer.workspaces.tokens import new_token


def _user(name: str) -> dict[str, Any]:
    user = get_user_model().objects.create_user(f"{name}-{uuid.uuid4().hex[:8]}", password=None)
    raw, prefix, digest = new_token()
    ApiToken.objects.create(user=user, name="tests", prefix=prefix, token_hash=digest)
    return {"id": user.pk, "token": raw, "session": sign_in(user.pk)["session"]}


def sign_in(user: int) -> dict[str, Any]:
    """A new signed-in session of the user (as a sign-in in another browser makes)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = get_user_model().objects.get(pk=user).get_session_auth_hash()
    session.create()
    return {"session": session.session_key}


def change_password(user: int, password: str) -> dict[str, Any]:
    """Set a user's password, as `manage.py changepassword` and the admin do."""
    row = get_user_model().objects.get(pk=user)
    row.set_password(password)
    row.save()
    return {"changed": True}


def deactivate(user: int) -> dict[str, Any]:
    """Deactivate a user's account, as the admin does (the row saved with is_active off)."""
    row = get_user_model().objects.get(pk=user)
    row.is_active = False
    row.save()
    return {"active": False}


def team(members: dict[str, str | None]) -> dict[str, Any]:
    """A workspace and users; a role of None makes an outsider."""
    workspace = Workspace.objects.create(name=f"team-{uuid.uuid4().hex[:6]}")
    users = {}
    for name, role in members.items():
        users[name] = _user(name)
        if role:
            Membership.objects.create(workspace=workspace, user_id=users[name]["id"], role=role)
    return {"workspace": workspace.pk, "users": users}


def create_run(workspace: int, steps: int) -> dict[str, Any]:
    """A queued run of a linear graph of `steps` nodes, its steps pending, with no plan. Its
    events come from outside any server process (`produce`), so its runner is neither local (a
    server that starts meanwhile would fail it as a run it lost in a restart) nor Celery (a
    worker's reconciler would fail it as a run whose plan cannot be read)."""
    nodes = [
        {
            "id": f"n{i}",
            "module": "transform.normalize@1",
            "params": {},
            "position": {"x": 0, "y": 100 * i},
        }
        for i in range(1, steps + 1)
    ]
    document = {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": [], "comments": []}
    graph = Graph.objects.create(workspace_id=workspace, name="watched", draft=document)
    version = GraphVersion.objects.create(graph=graph, number=1, document=document)
    run = Run.objects.create(workspace_id=workspace, graph_version=version, runner="scripted")
    StepRun.objects.bulk_create(
        StepRun(run=run, key=node["id"], module=node["module"]) for node in nodes
    )
    return {"run": run.pk, "graph": graph.pk}


def produce(run: int, events: list[list[Any]], pause: float = 0.0) -> dict[str, Any]:
    """Record engine events one batch each; returns the seq after each and when it committed.

    The commit time is taken by an on_commit callback registered before the service's own
    (which publishes), so it marks the saved state change, before anything is sent.
    """
    seqs, saved_at = [], []
    for kind, step, data in events:
        with transaction.atomic():
            transaction.on_commit(lambda: saved_at.append(time.time()))
            services.record_events(run, [Event(EventType(kind), step, data)])
        seqs.append(Run.objects.values_list("seq", flat=True).get(pk=run))
        if pause:
            time.sleep(pause)
    return {"seqs": seqs, "saved_at": saved_at}


def produce_unpublished(run: int, events: list[list[Any]]) -> dict[str, Any]:
    """Record engine events but drop their publish, as if it were lost on the way."""
    with transaction.atomic():
        registered = len(connection.run_on_commit)
        services.record_events(run, [Event(EventType(k), step, data) for k, step, data in events])
        del connection.run_on_commit[registered:]
    return {"seq": Run.objects.values_list("seq", flat=True).get(pk=run)}


def append_raw(run: int, step: str, status: str, messages: list[list[Any]]) -> dict[str, Any]:
    """Save a step status and append raw protocol messages in one transaction (may fail)."""
    with transaction.atomic():
        locked = eventlog.lock_run(run)
        StepRun.objects.filter(run_id=run, key=step).update(status=status)
        eventlog.append(locked, [(kind, data) for kind, data in messages])
    return {"seq": locked.seq}


def remove_member(workspace: int, user: int) -> dict[str, Any]:
    """Remove a member through the workspaces service (which closes their sockets)."""
    from designer.workspaces.services import remove_member as remove

    remove(None, Membership.objects.get(workspace_id=workspace, user_id=user))
    return {"removed": True}


def create_graph(workspace: int, document: dict[str, Any]) -> dict[str, Any]:
    """A graph with this draft, through the graphs service."""
    from designer.graphs.services import create_graph as create

    return {"graph": create(Workspace.objects.get(pk=workspace), None, "shared", "", document).pk}


def graph_draft(graph: int) -> dict[str, Any]:
    """A graph's saved draft, its revision, whether its shared state exists (its size and
    generation) and which retired generations are kept."""
    row = Graph.objects.get(pk=graph)
    return {
        "draft": row.draft,
        "revision": row.draft_revision,
        "shared": row.shared_state is not None,
        "state_bytes": len(row.shared_state) if row.shared_state is not None else 0,
        "generation": row.shared_generation,
        "retired": sorted(row.retired_states.values_list("generation", flat=True)),
        "updated_by": row.updated_by_id,
    }


def grow_shared_state(graph: int, node: str, sessions: int, edits: int) -> dict[str, Any]:
    """A long editing history: `sessions` editors (a Yjs client each, as browser tabs are) one
    after another move and relabel a node `edits` times, one transaction each, saved as the
    graph's rooms save. The state grows with the history; the draft does not."""
    from designer.graphs.services import open_shared_state, save_shared_state
    from designer.graphs.shared_doc import doc_from_state, roots

    for session in range(sessions):
        stored = open_shared_state(graph)
        doc = doc_from_state(stored.state)
        before = doc.get_state()
        entry = roots(doc)["nodes"][node]
        for i in range(edits):
            with doc.transaction():
                entry["position"] = {"x": i, "y": session}
                entry["label"] = f"step {i}"
        changes = doc.get_update(before)
        save_shared_state(graph, changes, doc.get_state(), None, stored.generation)
    return graph_draft(graph)


def room_idle(graph: int) -> dict[str, Any]:
    """Whether no room of the graph is open or closing in this server (a closing room saves,
    then decides on compaction)."""
    from designer.realtime.rooms import _rooms

    busy = any(graph in r.rooms or graph in r.closing for r in list(_rooms.values()))
    return {"idle": not busy}


def compact_elsewhere(graph: int, generation: int) -> dict[str, Any]:
    """Compact the graph's stored state as another server process would, whatever this one's
    room holds; the new state as base64."""
    from designer.graphs.services import compact_shared_state, open_shared_state

    assert compact_shared_state(graph, generation) is not None
    return {"state": base64.b64encode(open_shared_state(graph).state).decode()}


def forget_retired(graph: int) -> dict[str, Any]:
    """Delete the graph's retired shared states, as the 30-day pruning does."""
    from designer.graphs.models import RetiredSharedState

    RetiredSharedState.objects.filter(graph_id=graph).delete()
    return graph_draft(graph)


def publish_change(
    graph: int, update: str, generation: int, saved: str | None = None
) -> dict[str, Any]:
    """Publish a change of the graph's shared document on its layer group, as a room in another
    server process does (`update`: a Yjs update as base64); with `saved`, that room's state
    beyond the stored one (base64), first merge that into the stored state, as its save does."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from designer.graphs.services import save_shared_state
    from designer.realtime.broadcast import graph_group

    if saved is not None:
        save_shared_state(graph, base64.b64decode(saved), b"\x00", None, generation)

    message = {
        "type": "collab.changes",
        "update": base64.b64decode(update),
        "awareness": None,
        "origin": "another-process",
        "generation": generation,
    }
    async_to_sync(get_channel_layer().group_send)(graph_group(graph), message)
    return {"published": True}


def change_role(workspace: int, user: int, role: str) -> dict[str, Any]:
    """Change a member's role through the workspaces service."""
    from designer.workspaces.services import change_role as change

    change(None, Membership.objects.get(workspace_id=workspace, user_id=user), role)
    return {"role": role}


COMMANDS = {
    "create_graph": create_graph,
    "graph_draft": graph_draft,
    "grow_shared_state": grow_shared_state,
    "room_idle": room_idle,
    "compact_elsewhere": compact_elsewhere,
    "forget_retired": forget_retired,
    "change_role": change_role,
    "publish_change": publish_change,
    "team": team,
    "create_run": create_run,
    "produce": produce,
    "produce_unpublished": produce_unpublished,
    "append_raw": append_raw,
    "remove_member": remove_member,
    "sign_in": sign_in,
    "change_password": change_password,
    "deactivate": deactivate,
}
