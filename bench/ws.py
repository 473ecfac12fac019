"""WebSocket fan-out benchmark: N clients watch one run; latency from saved state to receipt.

    python bench/ws.py [--clients 1,100,500] [--events 25] [--interval 0.2] [--layers memory,redis]

A real Daphne server (the same ASGI app the tests use) on a loopback port, a migrated SQLite
database, N WebSocket clients in this process (a minimal frame parser, see LeanClient). Each
event is a step.progress saved through designer.runs.services.record_events; "saved" is the
commit time (taken before the publish), "received" is when a client's socket delivered the
frame. With the in-memory layer the producer runs inside the server process; with Redis it is a
separate process (like a Celery worker), and Redis is REDIS_URL / TEST_REDIS_URL or, when
neither is set, a redis-server started here on a free loopback port. Prints one JSON line per
case (p50/p99/max over every delivery; first_p50: commit to first client; spread_p50: first to
last client), then a table against the targets (p99 at 500 clients: 50 ms in-memory, 100 ms
Redis).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from designer.realtime.protocol import SUBPROTOCOL  # noqa: E402
from tests.integration.realtime.harness import (  # noqa: E402
    Database,
    Server,
    produce_in_subprocess,
)
from tests.support.processes import free_port  # noqa: E402

CONNECT_CONCURRENCY = 50
TARGETS_MS = {"memory": 50.0, "redis": 100.0}


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class LeanClient(asyncio.Protocol):
    """A minimal WebSocket client (handshake, unmasked server frames) that stamps arrivals.

    The websockets package costs ~100 µs of Python per message; with 500 sockets in one
    process that would measure the client, not the server. This one parses frames by hand.
    """

    def __init__(self, request: bytes, arrivals: dict[int, float], done: asyncio.Future) -> None:
        self.request = request
        self.arrivals = arrivals
        self.done = done
        self.expected = 0
        self.buffer = b""
        self.open = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buffer += data
        if not self.open:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(RuntimeError(head.decode(errors="replace")))
                return
            self.open, self.buffer = True, rest
        while len(self.buffer) >= 2:
            length, offset = self.buffer[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < offset + length:
                return
            payload = self.buffer[offset : offset + length]
            opcode = self.buffer[0] & 0x0F
            self.buffer = self.buffer[offset + length :]
            if opcode == 1:
                self.message(json.loads(payload), now)

    def message(self, message: dict[str, Any], now: float) -> None:
        if message["type"] == "run.snapshot":
            self.ready.set_result(None)
            return
        self.arrivals[message["seq"]] = now
        if len(self.arrivals) >= self.expected and not self.done.done():
            self.done.set_result(None)


def handshake(server: Server, path: str, token: str) -> bytes:
    """The HTTP upgrade request of one client."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Origin: {server.origin}",
        f"Sec-WebSocket-Protocol: {SUBPROTOCOL}, token.{token}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def open_clients(
    server: Server, path: str, token: str, count: int, expected: int
) -> list[LeanClient]:
    """Open `count` clients, each past its run.snapshot."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one() -> LeanClient:
        async with gate:
            protocol = LeanClient(handshake(server, path, token), {}, loop.create_future())
            protocol.expected = expected
            await loop.create_connection(lambda: protocol, "127.0.0.1", server.port)
            await asyncio.wait_for(protocol.ready, 60)
            return protocol

    return await asyncio.gather(*(one() for _ in range(count)))


async def measure(
    server: Server,
    database: Database,
    layer: str,
    redis_url: str,
    clients: int,
    events: int,
    interval: float,
    backend: str,
) -> dict[str, Any]:
    """Latencies of `events` progress events fanned out to `clients` sockets."""
    team = server.control("team", members={"viewer": "viewer"})
    run = server.control("create_run", workspace=team["workspace"], steps=1)["run"]
    path = f"/ws/runs/{run}/"
    started = time.monotonic()
    clients_ = await open_clients(server, path, team["users"]["viewer"]["token"], clients, events)
    connect_seconds = time.monotonic() - started
    script = [["step.progress", "n1", {"value": i, "max": events}] for i in range(1, events + 1)]
    if layer == "redis":
        result = await asyncio.to_thread(
            produce_in_subprocess, database, redis_url, run, script, interval, backend
        )
    else:
        result = await asyncio.to_thread(
            server.control, "produce", run=run, events=script, pause=interval
        )
    await asyncio.wait_for(asyncio.gather(*(c.done for c in clients_)), 120)
    received = [c.arrivals for c in clients_]
    saved = dict(zip(result["seqs"], result["saved_at"], strict=True))
    latencies = [(arrivals[seq] - saved[seq]) * 1000 for arrivals in received for seq in saved]
    first = [min(arrivals[seq] for arrivals in received) for seq in saved]
    spread = [
        (max(arrivals[seq] for arrivals in received) - start) * 1000
        for seq, start in zip(saved, first, strict=True)
    ]
    return {
        "layer": layer,
        "backend": backend.rsplit(".", 1)[-1] or "settings",
        "clients": clients,
        "events": events,
        "deliveries": len(latencies),
        "connect_s": round(connect_seconds, 2),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "first_p50_ms": round(
            statistics.median((f - saved[seq]) * 1000 for seq, f in zip(saved, first, strict=True)),
            2,
        ),
        "spread_p50_ms": round(statistics.median(spread), 2),
        "last_by_event_ms": [
            round((max(a[seq] for a in received) - saved[seq]) * 1000) for seq in saved
        ],
    }


def start_redis(workdir: Path) -> tuple[str, Path]:
    """A throwaway redis-server on a free loopback port; returns its URL and pid file."""
    port = free_port()
    pidfile = workdir / "redis.pid"
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--pidfile",
            str(pidfile),
            "--logfile",
            str(workdir / "redis.log"),
        ],
        check=True,
    )
    for _ in range(50):
        ping = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True)
        if ping.stdout.strip() == b"PONG":
            break
        time.sleep(0.1)
    return f"redis://127.0.0.1:{port}/0", pidfile


def stop_redis(pidfile: Path) -> None:
    """Stop the redis-server started by start_redis."""
    if pidfile.exists():
        subprocess.run(["kill", pidfile.read_text().strip()], check=False)


async def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run every (layer, N) case."""
    os.environ.pop("DATABASE_URL", None)  # the benchmark uses its own SQLite file
    database = Database()
    workdir = Path(tempfile.mkdtemp(prefix="designer-bench-redis-"))
    pidfile: Path | None = None
    results = []
    try:
        for layer in args.layers:
            redis_url = ""
            if layer == "redis":
                redis_url = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL", "")
                if not redis_url:
                    if not shutil.which("redis-server"):
                        print("redis: skipped (no REDIS_URL and no redis-server)", file=sys.stderr)
                        continue
                    redis_url, pidfile = start_redis(workdir)
            backend = args.memory_backend if layer == "memory" else args.redis_backend
            server = Server(database, redis_url=redis_url, backend=backend)
            try:
                for clients in args.clients:
                    row = await measure(
                        server,
                        database,
                        layer,
                        redis_url,
                        clients,
                        args.events,
                        args.interval,
                        backend,
                    )
                    print(json.dumps(row), flush=True)
                    results.append(row)
            finally:
                server.stop()
                kept = Path(tempfile.gettempdir()) / f"bench-ws-{layer}-server.log"
                shutil.copy(server.log_path, kept)
                print(f"the server's log is kept in {kept}", file=sys.stderr)
    finally:
        if pidfile is not None:
            stop_redis(pidfile)
        shutil.rmtree(workdir, ignore_errors=True)
        database.drop()
    return results


def main() -> None:
    """Parse arguments, run, print a summary table against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,100,500")
    parser.add_argument("--events", type=int, default=25)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between events")
    parser.add_argument("--layers", default="memory,redis")
    parser.add_argument(
        "--memory-backend",
        default="",
        help="channel layer class for the in-memory case (default: settings)",
    )
    parser.add_argument(
        "--redis-backend",
        default="",
        help="channel layer class for the Redis case (default: settings)",
    )
    args = parser.parse_args()
    args.clients = [int(n) for n in args.clients.split(",")]
    args.layers = args.layers.split(",")
    results = asyncio.run(bench(args))
    print("\nlayer   backend                     clients  p50 ms  p99 ms  max ms  p99 target")
    for row in results:
        target = TARGETS_MS[row["layer"]]
        verdict = ""
        if row["clients"] >= 500:
            verdict = f"< {target:.0f} ms: {'met' if row['p99_ms'] < target else 'MISSED'}"
        print(
            f"{row['layer']:<7} {row['backend']:<27} {row['clients']:>7} {row['p50_ms']:>7}"
            f" {row['p99_ms']:>7} {row['max_ms']:>7}  {verdict}"
        )


if __name__ == "__main__":
    main()
