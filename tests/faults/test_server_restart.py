"""One of two Daphne servers restarts while sockets on both follow a run: the sockets on the
restarted one reconnect and resume where they stopped, and every socket gets every event once,
in order, through `run.finished`."""

from __future__ import annotations

import asyncio

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.faults.cluster import Cluster, script_chain
from tests.integration.realtime.harness import Server, open_socket, receive

SOCKETS = 20  # split over the two servers


async def _follow(server: Server, path: str, user: dict[str, str]) -> list[int]:
    """Every seq a socket receives, reconnecting (resuming after the last one) when it drops."""
    seqs: list[int] = []
    while True:
        try:
            resume = seqs[-1] if seqs else 0
            async with await open_socket(server, path, user, resume_from=resume) as socket:
                while True:
                    message = await receive(socket, timeout=180)
                    seqs.append(message["seq"])
                    if message["type"] == "run.finished":
                        return seqs
        except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
            await asyncio.sleep(0.2)  # the server is restarting


def test_a_server_restart_loses_no_event(cluster: Cluster, fault_count: int) -> None:
    cluster.worker("w1")
    if len(cluster.servers) < 2:
        cluster.servers.append(cluster.server())
    for _ in range(fault_count):
        asyncio.run(_restart_while_followed(cluster))


async def _restart_while_followed(cluster: Cluster) -> None:
    first, second = cluster.servers
    run_id = cluster.start_run(script_chain(seconds=1.5, steps=3))
    path = f"/ws/runs/{run_id}/"
    followers = [
        asyncio.create_task(_follow(server, path, cluster.editor))
        for server in (first, second) * (SOCKETS // 2)
    ]
    await asyncio.to_thread(cluster.wait, run_id, "py1", {"running"})
    await asyncio.to_thread(second.restart)
    streams = await asyncio.gather(*followers)
    cluster.check(run_id, "succeeded")
    for seqs in streams:
        assert seqs == list(range(1, streams[0][-1] + 1))  # every event, once, in order
