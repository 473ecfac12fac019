"""Writes for graphs and versions: drafts guarded by ETags, the co-edited shared state, versions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone

from designer.activity.log import record
from designer.activity.models import Action, TargetKind
from designer.api_errors import ApiError
from designer.engine.hashing import same_json
from designer.engine.schema import Graph as EngineGraph
from designer.engine.schema import graph_to_dict
from designer.graphs.analysis import canonical_document, empty_document
from designer.graphs.carry import carry
from designer.graphs.examples import Example
from designer.graphs.models import Graph, GraphVersion, RetiredSharedState
from designer.graphs.shared_doc import (
    doc_from_state,
    document_of_state,
    lenient_document,
    state_after,
    upgrade_text,
    write_document,
)
from designer.realtime.broadcast import publish_shared_update
from designer.workspaces import rows
from designer.workspaces.models import Workspace

logger = logging.getLogger(__name__)
COMPACT_MIN_BYTES = 64 * 1024  # a stored shared state smaller than this is never rebuilt
COMPACT_RATIO = 8  # ... nor one less than this many times the size of its rebuild
RETIRED_KEEP_DAYS = 30  # how long a compacted generation's state is kept for returning tabs


def etag(graph: Graph) -> str:
    """The strong ETag of a graph's draft (changes on every save)."""
    return f'"g{graph.pk}-r{graph.draft_revision}"'


def _matches(if_match: str, current: str) -> bool:
    candidates = [c.strip() for c in if_match.split(",")]
    return any(c == "*" or c.removeprefix("W/") == current for c in candidates)


def create_graph(
    workspace: Workspace,
    user: Any,
    name: str,
    description: str = "",
    document: Any = None,
    example: str = "",
) -> Graph:
    """Create a graph whose draft is `document` (canonicalised) or an empty pipeline (`example`:
    the slug of the shipped example it holds)."""
    draft = canonical_document(document) if document is not None else empty_document()
    return Graph.objects.create(
        workspace=workspace,
        name=name,
        description=description,
        draft=draft,
        example=example,
        updated_by=user,
    )


def create_from_example(workspace: Workspace, user: Any, example: Example, name: str) -> Graph:
    """A graph holding a shipped example, its first version committed (as the example)."""
    with transaction.atomic():
        graph = create_graph(
            workspace, user, name, example.description, example.document, example.slug
        )
        commit_version(graph.pk, user, f"From the example “{example.name}”", only_if_changed=False)
    return graph


def update_graph(graph: Graph, user: Any, **fields: str) -> Graph:
    """Rename a graph or change its description."""
    for key, value in fields.items():
        setattr(graph, key, value)
    graph.updated_by = user
    graph.save(update_fields=[*fields, "updated_by", "updated_at"])
    return graph


def delete_graph(graph: Graph, actor: Any, with_runs: bool = False) -> None:
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
        record(
            graph.workspace_id,
            actor,
            Action.GRAPH_DELETED,
            TargetKind.GRAPH,
            graph.pk,
            graph.name,
            runs=runs,
        )
        graph.delete()


def save_draft(graph_id: int, user: Any, document: EngineGraph, if_match: str | None) -> Graph:
    """Replace the draft with a parsed document if `if_match` names the current ETag (428
    without it, 412 when stale)."""
    draft = graph_to_dict(document)
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
        publish_shared_update(graph.pk, update, graph.shared_generation)
    graph.save(update_fields=fields)


@dataclass(frozen=True)
class SharedState:
    """A graph's stored shared state and its generation (decision 0036)."""

    state: bytes
    generation: int


def open_shared_state(graph_id: int) -> SharedState:
    """The graph's shared Y state; made from its draft (and saved) when first asked for.

    A state saved before texts were shared (plain strings where a Y.Text belongs) is upgraded
    here, under the row lock, so only one writer ever makes a field's Y.Text (upgrade_text).
    """
    row = Graph.objects.filter(pk=graph_id).values_list("shared_state", "shared_generation").first()
    if row is not None and row[0] is not None and not upgrade_text(doc_from_state(bytes(row[0]))):
        return SharedState(bytes(row[0]), row[1])
    with transaction.atomic():
        graph = Graph.objects.select_for_update().get(pk=graph_id)
        if graph.shared_state is None:  # nobody made it between the read and the lock
            doc = doc_from_state(None)
            write_document(doc, graph.draft)
        elif not upgrade_text(doc := doc_from_state(bytes(graph.shared_state))):
            # upgraded between the read and the lock
            return SharedState(bytes(graph.shared_state), graph.shared_generation)
        graph.shared_state = doc.get_update()
        graph.save(update_fields=["shared_state"])
        return SharedState(bytes(graph.shared_state), graph.shared_generation)


def missing_shared_state(graph_id: int, state_vector: bytes, generation: int) -> SharedState | None:
    """What the stored shared state has beyond `state_vector`, a state of `generation` (None if
    the graph is gone). When the stored state is of another generation, its whole state."""
    row = Graph.objects.filter(pk=graph_id).values_list("shared_state", "shared_generation").first()
    if row is None or row[0] is None:
        return None
    doc = doc_from_state(bytes(row[0]))
    return SharedState(doc.get_update(state_vector if row[1] == generation else b"\x00"), row[1])


@dataclass(frozen=True)
class SharedSave:
    """What saving a co-editing room's changes gave: what the stored state has beyond the room's
    (to merge back), the stored state's vector now, the draft's revision (bumped only when the
    document changed) and the stored state's generation. When that is not the room's, the room's
    changes were carried over (a compaction happened meanwhile) and `missing` is the whole
    stored state: the room must load it instead of merging it."""

    missing: bytes
    state_vector: bytes
    revision: int
    generation: int


def save_shared_state(
    graph_id: int, changes: bytes, state_vector: bytes, user_id: int | None, generation: int = 1
) -> SharedSave:
    """Merge a room's changes into the stored state and save its document as the draft.

    `changes` is the room's state beyond what it last saw stored; `state_vector`, the room's;
    `generation`, the generation of the room's state. Merging (never overwriting) makes the
    stored state the union of what every server process saved; the room merges `missing` back,
    so edits one process missed reach it this way too. A room of an older generation (another
    process compacted the state) has its changes carried over onto the draft (carry.py).
    """
    with transaction.atomic():
        graph = Graph.objects.select_for_update().get(pk=graph_id)
        if generation != graph.shared_generation:
            return _carry_stale_save(graph, changes, user_id, generation)
        doc = doc_from_state(bytes(graph.shared_state) if graph.shared_state is not None else None)
        doc.apply_update(changes)
        _save_shared_doc(graph, doc, user_id)
        return SharedSave(
            doc.get_update(state_vector), doc.get_state(), graph.draft_revision, generation
        )


def _save_shared_doc(graph: Graph, doc: Any, user_id: int | None) -> None:
    """Store a locked graph's shared document and its document as the draft (if it changed)."""
    draft, issues = lenient_document(doc)
    if issues:  # the room checks every edit, so this is a bug: keep the rest, say what
        logger.error(
            "graph %s: shared state entries left out of the draft: %s",
            graph.pk,
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


def _carry_stale_save(
    graph: Graph, changes: bytes, user_id: int | None, generation: int
) -> SharedSave:
    """Save the changes of a room whose state is of an earlier generation: its document's
    changes since the compaction are carried onto the draft; it gets the whole current state."""
    retired = retired_state(graph.pk, generation)
    if retired is None:
        logger.error(
            "graph %s: a room's changes on generation %s are too old to carry over (current %s)",
            graph.pk,
            generation,
            graph.shared_generation,
        )
    else:
        base = document_of_state(retired)
        theirs = document_of_state(retired, changes)
        if not same_json(base, theirs):
            doc = doc_from_state(bytes(graph.shared_state))
            write_document(doc, carry(base, theirs, graph.draft))
            _save_shared_doc(graph, doc, user_id)
    state = bytes(graph.shared_state)
    return SharedSave(
        state, doc_from_state(state).get_state(), graph.draft_revision, graph.shared_generation
    )


def retired_state(graph_id: int, generation: int) -> bytes | None:
    """The shared state a compaction retired at `generation`, if it is still kept."""
    state = (
        RetiredSharedState.objects.filter(graph_id=graph_id, generation=generation)
        .values_list("state", flat=True)
        .first()
    )
    return bytes(state) if state is not None else None


@dataclass(frozen=True)
class Compaction:
    """A compaction done: the state's size before and after, and the new generation."""

    before: int
    after: int
    generation: int


def compact_shared_state(graph_id: int, generation: int) -> Compaction | None:
    """Rebuild the stored shared state from the draft when it outgrew it (decision 0036).

    Called when a room of `generation` closed. Under the row lock, and only if the stored state
    is still of that generation, at least COMPACT_MIN_BYTES, and COMPACT_RATIO times its
    rebuild's size: the old state is kept RETIRED_KEEP_DAYS (a returning tab's edits are carried
    over from it) and the generation bumped. The draft and its revision do not change.
    """
    with transaction.atomic():
        graph = Graph.objects.select_for_update().get(pk=graph_id)
        if graph.shared_state is None or graph.shared_generation != generation:
            return None
        before = len(graph.shared_state)
        if before < COMPACT_MIN_BYTES:
            return None
        doc = doc_from_state(None)
        write_document(doc, graph.draft)
        state = doc.get_update()
        if before < COMPACT_RATIO * len(state) or not same_json(
            lenient_document(doc)[0], graph.draft
        ):
            return None
        RetiredSharedState.objects.filter(
            retired_at__lt=timezone.now() - timedelta(days=RETIRED_KEEP_DAYS)
        ).delete()
        RetiredSharedState.objects.create(
            graph=graph, generation=generation, state=bytes(graph.shared_state)
        )
        graph.shared_state = state
        graph.shared_generation = generation + 1
        graph.save(update_fields=["shared_state", "shared_generation"])
    logger.info(
        "graph %s: shared state compacted to generation %s (%s → %s bytes)",
        graph_id,
        generation + 1,
        before,
        len(state),
    )
    return Compaction(before, len(state), generation + 1)


def latest_version(graph: Graph) -> GraphVersion | None:
    """The newest version of a graph, or None."""
    return graph.versions.order_by("-number").first()


def commit_version(
    graph_id: int, user: Any, message: str, *, only_if_changed: bool
) -> GraphVersion:
    """Snapshot the draft as a new version (or return the newest when unchanged and allowed).

    A version remembers the draft revision it was committed from, so an unchanged draft is known
    without reading either document (they are compared only when the revisions differ).
    A run's draft check (`only_if_changed`) makes no savepoint inside the run's transaction: an
    error here leaves that transaction to be rolled back whole, as those callers let it
    propagate. An explicit commit keeps its savepoint: its 409 (nothing to commit) is an answer
    that a caller's transaction may go on after.
    """
    with transaction.atomic(savepoint=not only_if_changed):
        graph, parent = _locked_with_newest(graph_id)
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


GRAPH_FIELDS = ["id", "workspace", "name", "draft_revision"]
VERSION_FIELDS = [
    "id", "graph", "number", "message", "author", "parent", "created_at", "draft_revision"
]  # fmt: skip


@cache
def _graph_and_newest_sql(alias: str) -> tuple[str, str | None]:
    """The statements reading a graph (locked) and its newest version: one statement on SQLite,
    two where rows are locked one by one (the second reads after the lock is held)."""
    newest = (
        f"SELECT {rows.columns(GraphVersion, VERSION_FIELDS)} FROM {rows.table(GraphVersion)}"
        f" WHERE {rows.column(GraphVersion, 'graph')} = %s"
        f" ORDER BY {rows.column(GraphVersion, 'number')} DESC LIMIT 1"
    )
    if not connections[alias].features.has_select_for_update:
        # SQLite: the transaction holds the database's write lock (BEGIN IMMEDIATE), and a
        # statement reads one snapshot, so the graph and its newest version in one read
        version_id = rows.column(GraphVersion, "id")
        joined = (
            f"SELECT {rows.columns(Graph, GRAPH_FIELDS, 'g')},"
            f" {rows.columns(GraphVersion, VERSION_FIELDS, 'v')} FROM {rows.table(Graph)} g"
            f" LEFT JOIN {rows.table(GraphVersion)} v ON v.{version_id} = ("
            f"SELECT {version_id} FROM {rows.table(GraphVersion)}"
            f" WHERE {rows.column(GraphVersion, 'graph')} = g.{rows.column(Graph, 'id')}"
            f" ORDER BY {rows.column(GraphVersion, 'number')} DESC LIMIT 1)"
            f" WHERE g.{rows.column(Graph, 'id')} = %s"
        )
        return joined, None
    # PostgreSQL: the newest version must be read after the graph's lock is granted (a statement
    # that waited for the lock would still see the versions of its own snapshot)
    graph_sql = (
        f"SELECT {rows.columns(Graph, GRAPH_FIELDS)} FROM {rows.table(Graph)}"
        f" WHERE {rows.column(Graph, 'id')} = %s FOR UPDATE"
    )
    return graph_sql, newest


def _locked_with_newest(graph_id: int) -> tuple[Graph, GraphVersion | None]:
    """The graph locked for this transaction and its newest version, read by plain statements
    (no ORM query to compile: this is every run's path); their documents (and the graph's
    other fields) are read only if touched."""
    graph_sql, version_sql = _graph_and_newest_sql(Graph.objects.db)
    with connections[Graph.objects.db].cursor() as cursor:
        cursor.execute(graph_sql, [graph_id])
        row = cursor.fetchone()
        if row is None:
            raise Graph.DoesNotExist(f"Graph {graph_id} does not exist.")
        if version_sql is None:
            row, newest = row[: len(GRAPH_FIELDS)], row[len(GRAPH_FIELDS) :]
            if newest[0] is None:
                newest = None
        else:
            cursor.execute(version_sql, [graph_id])
            newest = cursor.fetchone()
    graph = rows.load(Graph, GRAPH_FIELDS, row)
    if newest is None:
        return graph, None
    version = rows.load(GraphVersion, VERSION_FIELDS, newest)
    version.graph = graph
    return graph, version


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
