"""Random concurrent edit streams from many clients converge, on one server and across two.

Each client makes seeded random edits (add, move, param, label, wire, unwire, delete, comment,
pipeline parameter, typing into the same scripts and comments) on its own copy and sends them
as it goes; now and then it drops its socket, edits offline and reconnects with its copy. At
the end every client holds the same document, and it is the saved draft. COLLAB_SEEDS=N runs N
seeds instead of one (a longer soak).
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import pytest

from tests.integration.realtime.collab_client import CollabClient
from tests.integration.realtime.harness import Database, Server
from tests.support.shared_edits import SCRIPT_AND_NOTE, RandomEditor

SEEDS = range(int(os.environ.get("COLLAB_SEEDS", "1")))
LOSSY = "tests.integration.realtime.lossy_layer.LossyRedisChannelLayer"


async def edit_randomly(
    servers: list[Server], graph: int, users: list[dict[str, Any]], seed: int, edits: int
) -> None:
    """Clients on the servers in turn make `edits` random edits each; then all must agree."""
    rng = random.Random(seed)
    clients = [
        await CollabClient.open(servers[i % len(servers)], graph, user)
        for i, user in enumerate(users)
    ]
    editors = [RandomEditor(seed * 1000 + i, f"c{i}") for i in range(len(users))]

    async def work(i: int) -> None:
        for _ in range(edits):
            if rng.random() < 0.08:  # offline for a few edits, then back with the same copy
                await clients[i].close()
                doc = clients[i].doc
                for _ in range(rng.randint(1, 4)):
                    with doc.transaction():
                        editors[i].edit(roots_of(doc))
                server = servers[rng.randrange(len(servers))]
                clients[i] = await CollabClient.open(server, graph, users[i], doc=doc)
            await clients[i].change(editors[i].edit)
            await asyncio.sleep(rng.random() * 0.01)

    await asyncio.gather(*(work(i) for i in range(len(users))))
    for client in clients:
        await client.saved(timeout=30)
        assert client.refusals == [] and client.errors == []

    def agreed() -> bool:
        documents = [client.document() for client in clients]
        return all(document == documents[0] for document in documents)

    await asyncio.wait_for(until(agreed), 30)
    saved = servers[0].control("graph_draft", graph=graph)["draft"]
    assert saved == clients[0].document(), "the saved draft must be what every client holds"
    assert clients[0].document()["nodes"], "the edits must have left something"
    for client in clients:
        await client.close()


def roots_of(doc: Any) -> Any:
    from designer.graphs.shared_doc import roots

    return roots(doc)


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.05)


def team_and_graph(server: Server, editors: int) -> tuple[list[dict[str, Any]], int]:
    members = {f"editor{i}": "editor" for i in range(editors)}
    team = server.control("team", members=members)
    # Every client types into this script and note too, from the start.
    document = SCRIPT_AND_NOTE
    graph = server.control("create_graph", workspace=team["workspace"], document=document)["graph"]
    return list(team["users"].values()), graph


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_concurrent_edits_converge_on_one_server(server: Server, seed: int) -> None:
    users, graph = team_and_graph(server, 8)
    await edit_randomly([server], graph, users, seed, edits=30)


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_concurrent_edits_converge_across_two_servers_on_redis(
    rt_database: Database, redis_server: Server, redis_url: str, seed: int
) -> None:
    second = Server(rt_database, redis_url=redis_url)
    try:
        users, graph = team_and_graph(redis_server, 6)
        await edit_randomly([redis_server, second], graph, users, seed + 100, edits=25)
    finally:
        second.stop()


async def test_edits_converge_when_one_server_loses_every_layer_message(
    rt_database: Database, redis_server: Server, redis_url: str
) -> None:
    lossy = Server(rt_database, redis_url=redis_url, backend=LOSSY)
    try:
        users, graph = team_and_graph(redis_server, 4)
        await edit_randomly([redis_server, lossy], graph, users, 7, edits=15)
    finally:
        lossy.stop()
