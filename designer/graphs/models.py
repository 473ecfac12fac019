"""Graphs (an editable draft) and their immutable versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from designer.workspaces.models import Workspace


class Graph(models.Model):
    """A pipeline in a workspace; `draft` is the document being edited, `etag` guards saves."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="graphs")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # The slug of the shipped example it was started from ("" for any other pipeline): how
    # `load_examples` knows a workspace has an example, whatever either is called now.
    example = models.CharField(max_length=100, blank=True, default="")
    draft = models.JSONField()
    draft_revision = models.PositiveIntegerField(default=1)  # bumped on every save; the ETag
    # The draft as a shared Y document (graphs/shared_doc.py) once someone co-edits it: the
    # whole state as one update. `draft` is always its document (the source of truth for
    # versions, runs and the API); None until the graph is first opened in an editor.
    shared_state = models.BinaryField(null=True, editable=False)
    # Which rebuild of the shared state it is (decision 0036): a compaction rebuilds the state
    # from the draft (new Yjs item identities) and bumps it; a client holding an older one has
    # its changes carried over (graphs/carry.py) instead of merged as Yjs updates.
    shared_generation = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class GraphVersion(models.Model):
    """An immutable snapshot of a graph document."""

    graph = models.ForeignKey(Graph, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    message = models.CharField(max_length=500, blank=True, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    # the graph's draft_revision whose draft this version's document is (null: not known, e.g.
    # a version saved before it was kept, or an edited copy): an unchanged draft is found by it
    draft_revision = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["graph", "number"], name="one_number_per_graph")
        ]

    def __str__(self) -> str:
        return f"{self.graph} v{self.number}"


class RetiredSharedState(models.Model):
    """A graph's shared state as it was when a compaction replaced it, kept RETIRED_KEEP_DAYS so
    that a tab still holding that generation (offline, or left open) can have its edits carried
    over onto the current draft."""

    graph = models.ForeignKey(Graph, on_delete=models.CASCADE, related_name="retired_states")
    generation = models.PositiveIntegerField()
    state = models.BinaryField()
    retired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["graph", "generation"], name="one_retired_state_per_generation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.graph} generation {self.generation}"
