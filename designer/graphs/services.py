"""Writes for graphs and versions: drafts guarded by ETags, immutable versions, restore."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from designer.api_errors import ApiError
from designer.graphs.analysis import canonical_document, empty_document
from designer.graphs.models import Graph, GraphVersion
from designer.workspaces.models import Workspace


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


def delete_graph(graph: Graph) -> None:
    """Delete a graph; refused while runs still point at its versions."""
    if graph.versions.filter(runs__isnull=False).exists():
        raise ApiError(
            409,
            "graph_has_runs",
            f"Graph {graph.pk} has runs; delete is refused to keep their history.",
        )
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
        graph.draft = draft
        graph.draft_revision += 1
        graph.updated_by = user
        graph.save(update_fields=["draft", "draft_revision", "updated_by", "updated_at"])
    return graph


def latest_version(graph: Graph) -> GraphVersion | None:
    """The newest version of a graph, or None."""
    return graph.versions.order_by("-number").first()


def commit_version(
    graph_id: int, user: Any, message: str, *, only_if_changed: bool
) -> GraphVersion:
    """Snapshot the draft as a new version (or return the newest when unchanged and allowed)."""
    with transaction.atomic():
        graph = Graph.objects.select_for_update().get(pk=graph_id)
        parent = latest_version(graph)
        if parent is not None and parent.document == graph.draft:
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
        )


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
        graph.draft = version.document
        graph.draft_revision += 1
        graph.updated_by = user
        graph.save(update_fields=["draft", "draft_revision", "updated_by", "updated_at"])
    return graph


def duplicate_graph(graph: Graph, user: Any, name: str | None = None) -> Graph:
    """Copy a graph's draft into a new graph in the same workspace (without its history)."""
    return Graph.objects.create(
        workspace_id=graph.workspace_id,
        name=name or f"{graph.name} (copy)",
        description=graph.description,
        draft=graph.draft,
        updated_by=user,
    )
