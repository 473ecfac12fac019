"""One of two Daphne servers restarts while sockets on both follow a run: the sockets on the
restarted one reconnect and resume where they stopped, and every socket gets every event once,
in order, through `run.finished`."""

from __future__ import annotations

import asyncio

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.faults.cluster import Cluster, script_chain
from tests.integration.realtime.harness import Server, open_socket, receive

SOCKETS = 100  # split over the two servers (the issue: 100 sockets follow a run)


class _Follower:
    """One socket following a run: every seq it receives, reconnecting (resuming after the
    last one) when it drops, and how many times it connected."""

    def __init__(self, server: Server, path: str, user: dict[str, str]) -> None:
        self.server, self.path, self.user = server, path, user
        self.seqs: list[int] = []
        self.connects = 0
        self.heard = asyncio.Event()  # a first event arrived

    async def follow(self) -> None:
        while True:
            try:
                resume = self.seqs[-1] if self.seqs else 0
                async with await open_socket(
                    self.server, self.path, self.user, resume_from=resume
                ) as socket:
                    self.connects += 1
                    while True:
                        message = await receive(socket, timeout=180)
                        self.seqs.append(message["seq"])
                        self.heard.set()
                        if message["type"] == "run.finished":
                            return
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
    run_id = cluster.start_run(script_chain(seconds=3, steps=3))
    path = f"/ws/runs/{run_id}/"
    followers = [
        _Follower(server, path, cluster.editor) for server in (first, second) * (SOCKETS // 2)
    ]
    tasks = [asyncio.create_task(follower.follow()) for follower in followers]
    await asyncio.gather(*(follower.heard.wait() for follower in followers))
    await asyncio.to_thread(cluster.wait, run_id, "py2", {"running"})  # mid-run, all connected
    await asyncio.to_thread(second.restart)
    await asyncio.gather(*tasks)
    cluster.check(run_id, "succeeded")
    last = followers[0].seqs[-1]
    for follower in followers:
        assert follower.seqs == list(range(1, last + 1))  # every event, once, in order
        assert follower.connects >= (2 if follower.server is second else 1)
