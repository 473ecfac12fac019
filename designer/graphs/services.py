"""Writes for graphs and versions: drafts guarded by ETags, the co-edited shared state, versions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max

from designer.api_errors import ApiError
from designer.engine.hashing import same_json
from designer.graphs.analysis import canonical_document, empty_document
from designer.graphs.models import Graph, GraphVersion
from designer.graphs.shared_doc import (
    doc_from_state,
    lenient_document,
    state_after,
    upgrade_text,
    write_document,
)
from designer.realtime.broadcast import publish_shared_update
from designer.workspaces.models import Workspace

logger = logging.getLogger(__name__)


def etag(graph: Graph) -> str:
    """The strong ETag of a graph's draft (changes on every save)."""
    return f'"g{graph.pk}-r{graph.draft_revision}"'


def _matches(if_match: str, current: str) -> bool:
    candidates = [c.strip() for c in if_match.split(",")]
    return any(c == "*" or c.removeprefix("W/") == current for c in candidates)


def create_graph(
    workspace: Workspace, user: Any, name: str, description: str = "", document: Any = None
) -> Graph:
    """Create a graph whose draft is `document` (canonicalised) or an empty pipeline."""
    draft = canonical_document(document) if document is not None else empty_document()
    return Graph.objects.create(
        workspace=workspace, name=name, description=description, draft=draft, updated_by=user
    )


def update_graph(graph: Graph, user: Any, **fields: str) -> Graph:
    """Rename a graph or change its description."""
    for key, value in fields.items():
        setattr(graph, key, value)
    graph.updated_by = user
    graph.save(update_fields=[*fields, "updated_by", "updated_at"])
    return graph


def delete_graph(graph: Graph, with_runs: bool = False) -> None:
    """Delete a graph; one with runs only when asked to delete them too (`with_runs`).

    The runs go through the versions' reverse relation (the runs app depends on this one, not
    the other way); their log files and artifacts are collected by `manage.py gc_artifacts`.
    """
    runs = sum(v.runs.count() for v in graph.versions.all())
    if runs and not with_runs:
        raise ApiError(
            409,
            "graph_has_runs",
            f"Graph {graph.pk} has {runs} runs; delete it with ?with_runs=1 to remove them too.",
            runs=runs,
        )
    with transaction.atomic():
        for version in graph.versions.all():
            version.runs.all().delete()
        graph.delete()


def save_draft(graph_id: int, user: Any, document: Any, if_match: str | None) -> Graph:
    """Replace the draft if `if_match` names the current ETag (428 without it, 412 when stale)."""
    draft = canonical_document(document)
    if not if_match:
        raise ApiError(
            428,
            "precondition_required",
            "Saving a draft needs an If-Match header with the ETag you last read.",
        )
    with transaction.atomic():
        graph = Graph.objects.select_for_update().get(pk=graph_id)
        current = etag(graph)
        if not _matches(if_match, current):
            raise ApiError(
                412,
                "stale_draft",
                f"The draft changed since you read it (yours: {if_match}, current: {current}); "
                "merge with the current draft and save again.",
                draft=graph.draft,
                etag=current,
                draft_revision=graph.draft_revision,
            )
        _set_draft(graph, user, draft)
    return graph


def _set_draft(graph: Graph, user: Any, draft: dict[str, Any]) -> None:
    """Replace a locked graph's draft. When it is co-edited, its shared state changes to match
    (only what differs) and the change goes live to its open editors once committed."""
    graph.draft = draft
    graph.draft_revision += 1
    graph.updated_by = user
    fields = ["draft", "draft_revision", "updated_by", "updated_at"]
    if graph.shared_state is not None:
        state, update = state_after(
            bytes(graph.shared_state), lambda doc: write_document(doc, draft)
        )
        graph.shared_state = state
        fields.append("shared_state")
        publish_shared_update(graph.pk, update)
    graph.save(update_fields=fields)


def open_shared_state(graph_id: int) -> bytes:
    """The graph's shared Y state; made from its draft (and saved) when first asked for.

    A state saved before texts were shared (plain strings where a Y.Text belongs) is upgraded
    here, under the row lock, so only one writer ever makes a field's Y.Text (upgrade_text).
    """
    stored = Graph.objects.filter(pk=graph_id).values_list("shared_state", flat=True).first()
    if stored is not None and not upgrade_text(doc_from_state(bytes(stored))):
        return bytes(stored)
    with transaction.atomic():
        graph = Graph.objects.select_for_update().get(pk=graph_id)
        if graph.shared_state is None:  # nobody made it between the read and the lock
            doc = doc_from_state(None)
            write_document(doc, graph.draft)
        elif not upgrade_text(doc := doc_from_state(bytes(graph.shared_state))):
            return bytes(graph.shared_state)  # upgraded between the read and the lock
        graph.shared_state = doc.get_update()
        graph.save(update_fields=["shared_state"])
        return bytes(graph.shared_state)


def missing_shared_state(graph_id: int, state_vector: bytes) -> bytes | None:
    """What the stored shared state has beyond `state_vector` (None if the graph is gone)."""
    stored = Graph.objects.filter(pk=graph_id).values_list("shared_state", flat=True).first()
    return doc_from_state(bytes(stored)).get_update(state_vector) if stored is not None else None


@dataclass(frozen=True)
class SharedSave:
    """What saving a co-editing room's changes gave: what the stored state has beyond the room's
    (to merge back), the stored state's vector now, and the draft's revision (bumped only when the
    document changed)."""

    missing: bytes
    state_vector: bytes
    revision: int


def save_shared_state(
    graph_id: int, changes: bytes, state_vector: bytes, user_id: int | None
) -> SharedSave:
    """Merge a room's changes into the stored state and save its document as the draft.

    `changes` is the room's state beyond what it last saw stored; `state_vector`, the room's.
    Merging (never overwriting) makes the stored state the union of what every server process
    saved; the room merges `missing` back, so edits one process missed reach it this way too.
    """
    with transaction.atomic():
        graph = Graph.objects.select_for_update().get(pk=graph_id)
        doc = doc_from_state(bytes(graph.shared_state) if graph.shared_state is not None else None)
        doc.apply_update(changes)
        draft, issues = lenient_document(doc)
        if issues:  # the room checks every edit, so this is a bug: keep the rest, say what
            logger.error(
                "graph %s: shared state entries left out of the draft: %s",
                graph_id,
                "; ".join(i.message for i in issues),
            )
        graph.shared_state = doc.get_update()
        fields = ["shared_state"]
        if not same_json(draft, graph.draft):
            graph.draft = draft
            graph.draft_revision += 1
            graph.updated_by_id = user_id
            fields += ["draft", "draft_revision", "updated_by", "updated_at"]
        graph.save(update_fields=fields)
        return SharedSave(doc.get_update(state_vector), doc.get_state(), graph.draft_revision)


def latest_version(graph: Graph) -> GraphVersion | None:
    """The newest version of a graph, or None."""
    return graph.versions.order_by("-number").first()


def commit_version(
    graph_id: int, user: Any, message: str, *, only_if_changed: bool
) -> GraphVersion:
    """Snapshot the draft as a new version (or return the newest when unchanged and allowed).

    A version remembers the draft revision it was committed from, so an unchanged draft is known
    without reading either document (they are compared only when the revisions differ).
    """
    with transaction.atomic():
        graph = Graph.objects.select_for_update().defer("draft", "shared_state").get(pk=graph_id)
        parent = graph.versions.defer("document").order_by("-number").first()
        if parent is not None and _is_draft(parent, graph):
            if only_if_changed:
                return parent
            raise ApiError(
                409,
                "unchanged",
                f"The draft is identical to version {parent.number}; there is nothing to commit.",
                version=parent.number,
            )
        number = (graph.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        return GraphVersion.objects.create(
            graph=graph,
            number=number,
            document=graph.draft,
            message=message,
            author=user,
            parent=parent,
            draft_revision=graph.draft_revision,
        )


def _is_draft(version: GraphVersion, graph: Graph) -> bool:
    """Whether a version's document is a locked graph's draft (by revision, else by content;
    a version found equal remembers the revision)."""
    if version.draft_revision == graph.draft_revision:
        return True
    if not same_json(version.document, graph.draft):
        return False
    GraphVersion.objects.filter(pk=version.pk).update(draft_revision=graph.draft_revision)
    version.draft_revision = graph.draft_revision
    return True


def commit_document(
    graph_id: int, user: Any, document: dict[str, Any], *, parent: GraphVersion, message: str
) -> GraphVersion:
    """Save an edited copy of a version as a new version (the draft is left as it is)."""
    with transaction.atomic():
        graph = Graph.objects.select_for_update().get(pk=graph_id)
        number = (graph.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        return GraphVersion.objects.create(
            graph=graph,
            number=number,
            document=canonical_document(document),
            message=message,
            author=user,
            parent=parent,
        )


def restore_version(graph_id: int, user: Any, number: int) -> Graph:
    """Make a version's document the draft again (history is kept; the ETag changes)."""
    with transaction.atomic():
        graph = Graph.objects.select_for_update().get(pk=graph_id)
        version = graph.versions.filter(number=number).first()
        if version is None:
            raise ApiError(404, "not_found", f"Graph {graph_id} has no version {number}.")
        _set_draft(graph, user, version.document)
    return graph


def _copy_name(name: str) -> str:
    """`name (copy)`, the original shortened so that it fits the name's column."""
    suffix = " (copy)"
    return name[: Graph._meta.get_field("name").max_length - len(suffix)] + suffix


def duplicate_graph(graph: Graph, user: Any, name: str | None = None) -> Graph:
    """Copy a graph's draft into a new graph in the same workspace (without its history)."""
    return Graph.objects.create(
        workspace_id=graph.workspace_id,
        name=name or _copy_name(graph.name),
        description=graph.description,
        draft=graph.draft,
        updated_by=user,
    )
