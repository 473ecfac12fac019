"""A run's draft check (graphs/services.commit_version): the graph and its newest version as the
ORM reads them, and no savepoint of its own inside the run's transaction (decision 0042)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from designer.api_errors import ApiError
from designer.graphs.models import Graph, GraphVersion
from designer.graphs.services import _locked_with_newest, commit_version, create_graph
from designer.workspaces import services
from tests.integration.api.conftest import simple_document

pytestmark = pytest.mark.django_db(transaction=True)


def new_graph() -> tuple[Graph, object]:
    user = get_user_model().objects.create_user("ada")
    workspace = services.create_workspace(user, "team")
    return create_graph(workspace, user, "g", document=simple_document(2)), user


def test_the_graph_and_its_newest_version_read_as_the_orm_reads_them() -> None:
    graph, user = new_graph()
    with transaction.atomic():
        read, newest = _locked_with_newest(graph.pk)
    assert newest is None
    assert (read.pk, read.workspace_id, read.name, read.draft_revision) == (
        graph.pk,
        graph.workspace_id,
        graph.name,
        graph.draft_revision,
    )
    for nodes in (3, 4, 5):
        Graph.objects.filter(pk=graph.pk).update(draft=simple_document(nodes), draft_revision=nodes)
        commit_version(graph.pk, user, f"{nodes} nodes", only_if_changed=False)
    with transaction.atomic():
        read, newest = _locked_with_newest(graph.pk)
    expected = GraphVersion.objects.filter(graph=graph).order_by("-number").first()
    assert newest is not None and expected is not None
    fields = [f.attname for f in GraphVersion._meta.concrete_fields if f.name != "document"]
    assert {f: getattr(newest, f) for f in fields} == {f: getattr(expected, f) for f in fields}
    assert newest.number == 3 and newest.graph is read and read.draft_revision == 5
    assert newest.document == expected.document  # deferred, read when touched


def test_in_a_runs_transaction_it_makes_no_savepoint_and_is_rolled_back_with_it() -> None:
    graph, user = new_graph()
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        version = commit_version(graph.pk, user, "for a run", only_if_changed=True)
        assert version.number == 1  # a changed draft: a new version, in this transaction
        raise RuntimeError("the run failed after its draft check")
    assert not [q["sql"] for q in queries if "SAVEPOINT" in q["sql"].upper()]
    assert not GraphVersion.objects.filter(graph=graph).exists()  # nothing half-written
    first = commit_version(graph.pk, user, "v1", only_if_changed=True)
    assert commit_version(graph.pk, user, "again", only_if_changed=True) == first


def test_an_explicit_commits_409_leaves_the_callers_transaction_usable() -> None:
    graph, user = new_graph()
    first = commit_version(graph.pk, user, "v1", only_if_changed=False)
    with transaction.atomic():
        with pytest.raises(ApiError) as refused:
            commit_version(graph.pk, user, "again", only_if_changed=False)
        assert refused.value.status_code == 409
        assert GraphVersion.objects.filter(graph=graph).count() == 1  # the transaction goes on
    assert list(GraphVersion.objects.filter(graph=graph)) == [first]
