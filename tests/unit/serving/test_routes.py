"""The routing table: a split sends exactly its share of uniformly spread draws, the table
survives its record form (published compare-and-set in the artifact store), and only live keys
of the endpoint's workspace and scope may call."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from designer.engine.store import ArtifactError, ArtifactStore
from designer.serving.routes import (
    RECORDS,
    EndpointRoute,
    KeyRoute,
    Routes,
    RouteTable,
    key_hash,
    publish,
)

CANARY = EndpointRoute(7, 1, True, {1: 70, 2: 71}, default=1, split=(2, 10.0))


def test_a_split_takes_exactly_its_share_of_the_draws() -> None:
    draws = [i / 10_000 for i in range(10_000)]  # the unit interval, evenly
    assert Counter(CANARY.choose(d) for d in draws) == {1: 9_000, 2: 1_000}
    plain = EndpointRoute(7, 1, True, {1: 70}, default=1, split=None)
    assert {plain.choose(d) for d in draws} == {1}


def test_the_table_is_read_back_as_written_and_keys_are_checked(tmp_path: Path) -> None:
    raw = "dse_secret"
    key = KeyRoute(3, 1, 7, 60, raw[:8])
    table = RouteTable({7: CANARY}, {key_hash(raw): key}, {70: "a" * 64, 71: "b" * 64})
    store = ArtifactStore(tmp_path)
    assert publish(store, lambda: table) is True
    assert publish(store, lambda: table) is False  # unchanged: no new record
    read = Routes(store).current()
    assert read == table
    assert read.key(raw) == key and read.key("dse_other") is None and read.key("dsn_x") is None
    assert key.allows(CANARY)
    assert not KeyRoute(4, 2, None, 60, "x").allows(CANARY)  # another workspace
    assert not KeyRoute(5, 1, 8, 60, "x").allows(CANARY)  # another endpoint
    assert KeyRoute(6, 1, None, 60, "x").allows(CANARY)  # every endpoint of the workspace


def test_a_publisher_that_loses_the_race_reads_the_database_again(tmp_path: Path) -> None:
    """Two web hosts publish at once: the one whose record creation fails reads the current
    record and the table again, so the newest table wins and no sequence is written twice."""
    store = ArtifactStore(tmp_path)
    older = RouteTable({7: CANARY}, {})
    newer = RouteTable({}, {})
    reads: list[RouteTable] = []

    def read() -> RouteTable:
        reads.append(newer)
        if len(reads) == 1:  # another host publishes between this one's reads
            assert publish(store, lambda: older) is True
        return newer

    routes = Routes(store)
    assert routes.current() == RouteTable({}, {})  # nothing published yet
    assert publish(store, read) is True
    assert len(reads) == 2
    assert [r.key for r in store.records(RECORDS)] == [
        f"{RECORDS}000000000001.json",
        f"{RECORDS}000000000002.json",
    ]
    assert routes.current() == newer


class Unreachable(ArtifactStore):
    """A store whose records cannot be read (a bucket during an outage)."""

    def record(self, key: str) -> bytes | None:
        raise ArtifactError("connection refused")


def test_a_process_keeps_serving_its_table_while_the_store_is_unreachable(
    tmp_path: Path,
) -> None:
    table = RouteTable({7: CANARY}, {}, {70: "a" * 64, 71: "b" * 64})
    publish(ArtifactStore(tmp_path), lambda: table)
    routes = Routes(ArtifactStore(tmp_path))
    assert routes.current() == table
    routes.store = Unreachable(tmp_path)
    assert routes.current() == table
