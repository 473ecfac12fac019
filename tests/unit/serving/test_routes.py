"""The routing table: a split sends exactly its share of uniformly spread draws, the table
survives its file form, and only live keys of the endpoint's workspace and scope may call."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from designer.serving.routes import (
    EndpointRoute,
    KeyRoute,
    Routes,
    RouteTable,
    key_hash,
    write_routes,
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
    table = RouteTable({7: CANARY}, {key_hash(raw): key})
    assert write_routes(tmp_path, table) is True
    assert write_routes(tmp_path, table) is False  # unchanged: the file is left alone
    read = Routes(tmp_path).current()
    assert read == table
    assert read.key(raw) == key and read.key("dse_other") is None and read.key("dsn_x") is None
    assert key.allows(CANARY)
    assert not KeyRoute(4, 2, None, 60, "x").allows(CANARY)  # another workspace
    assert not KeyRoute(5, 1, 8, 60, "x").allows(CANARY)  # another endpoint
    assert KeyRoute(6, 1, None, 60, "x").allows(CANARY)  # every endpoint of the workspace
