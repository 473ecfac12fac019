"""WebSocket benchmark: connecting N clients at once, and N clients watching one run's events.

    python bench/ws.py [--clients 1,100,500] [--events 25] [--interval 0.2] [--layers memory,redis]
                       [--client-processes 1] [--profile DIR] [--connect 500] [--connect-rounds 3]
                       [--before DIR]

Connects: --connect clients open a run socket (/ws/runs/<id>/, signed in with an API token, or
in a second case with a session cookie; membership checked, the run's snapshot read and sent)
all at once, at most --in-flight handshakes outstanding, from one client process; the time from
the first connect() until every socket has its run.snapshot. The baseline, in the same server
and run, alternating round by round: the same clients (same credentials) on a stock Channels
consumer (bench/naive_socket.py: origin check, Channels' session auth, a layer channel per
socket joining one group, one small message). --before DIR: the session sockets of another
source tree (e.g. `git archive main`) on a second server, same database, in the same rounds.
Goal: ours at most 1.5 times the naive consumer's time (issue 17). Measured on the in-memory
layer (--connect-layers): on Redis the naive consumer, a Redis receive per socket, fails with
channels_redis' "Too many connections" before 500 sockets are open.

Fan-out:
a real Daphne server (the same ASGI app the tests use) on a loopback port, a migrated SQLite
database, N WebSocket clients in --client-processes worker processes (default 1: on 2 cores a
second client process takes CPU from the server; real clients are separate browsers). Each
client is a minimal frame parser (LeanClient: blocking handshake, then one epoll loop for all
the process's sockets) that stamps the time its socket delivered a frame. Each event is a
step.progress saved through designer.runs.services.record_events; "saved" is the commit time
(taken before the publish), "received" is the client's stamp; every client's receipt of every
event is counted. With the in-memory layer the producer runs inside the server process; with
Redis it is a separate process (like a Celery worker), and Redis is REDIS_URL / TEST_REDIS_URL
or, when neither is set, a redis-server started here on a free loopback port.

Prints one JSON line per case (p50/p99/max over every delivery; first_p50: commit to first
client; spread_p50: first to last client; server_cpu_s / client_cpu_s: CPU seconds of the server
process and of the client processes while the events were produced and received), then a table
against the targets (p99 at 500 clients: 50 ms in-memory, 100 ms Redis). --profile DIR writes
cProfile stats of the server process (DESIGNER_PROFILE, see
tests/integration/realtime/profiling.py) to DIR/server-<layer>.pstats.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from asyncio.subprocess import PIPE
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

TARGETS_MS = {"memory": 50.0, "redis": 100.0}
CONNECT_GOAL = 1.5  # connecting N run sockets, at most this many times the naive consumer's time
BENCH_APP = "bench.naive_socket:application"
NAIVE_PATH = "/ws/naive/"


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class LeanClient:
    """A minimal WebSocket client (handshake, unmasked server frames) that stamps arrivals.

    The websockets package, or even an asyncio protocol, costs tens of µs of Python per message;
    with hundreds of sockets per process on the server's own CPUs that would measure the client,
    not the server. This one is a blocking handshake, then frames parsed by hand from a plain
    epoll loop (see receive_all); a frame's arrival is stamped right after the recv that
    completed it.
    """

    def __init__(self, port: int, request: bytes, expected: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.sendall(request)
        self.buffer = b""
        self.expected = expected
        self.arrivals: dict[int, float] = {}
        while b"\r\n\r\n" not in self.buffer:
            self.read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(head.decode(errors="replace"))
        while not self.parse(0.0, snapshot=True):
            self.read()
        self.sock.setblocking(False)

    def read(self) -> None:
        data = self.sock.recv(1 << 16)
        if not data:
            raise RuntimeError("the server closed the socket")
        self.buffer += data

    def parse(self, now: float, snapshot: bool = False) -> bool:
        """Take the complete frames out of the buffer; True once the snapshot has come."""
        seen_snapshot = False
        while len(self.buffer) >= 2:
            length, offset = self.buffer[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < offset + length:
                break
            payload = self.buffer[offset : offset + length]
            opcode = self.buffer[0] & 0x0F
            self.buffer = self.buffer[offset + length :]
            if opcode != 1:
                continue
            message = json.loads(payload)
            if message["type"] == "run.snapshot":
                seen_snapshot = True
            elif snapshot:
                raise RuntimeError(f"an event before the snapshot: {message}")
            else:
                self.arrivals[message["seq"]] = now
        return seen_snapshot

    @property
    def done(self) -> bool:
        return len(self.arrivals) >= self.expected


def receive_all(clients: list[LeanClient], timeout: float) -> None:
    """Read every client's frames until each has its expected events."""
    poller = select.epoll()
    by_fd = {client.sock.fileno(): client for client in clients}
    for fd in by_fd:
        poller.register(fd, select.EPOLLIN)
    waiting = sum(not client.done for client in clients)
    deadline = time.monotonic() + timeout
    while waiting:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{waiting} clients still wait for events")
        for fd, _ in poller.poll(1.0):
            client = by_fd[fd]
            data = client.sock.recv(1 << 16)
            now = time.time()
            if not data:
                raise RuntimeError("the server closed a socket")
            client.buffer += data
            was_done = client.done
            client.parse(now)
            waiting -= client.done and not was_done
    poller.close()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def handshake(port: int, origin: str, path: str, token: str, session: str = "") -> bytes:
    """The HTTP upgrade request of one client: signed in with the token, or the session."""
    key = base64.b64encode(os.urandom(16)).decode()
    protocols = f"{SUBPROTOCOL}, token.{token}" if not session else SUBPROTOCOL
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Origin: {origin}",
        f"Sec-WebSocket-Protocol: {protocols}",
        *([f"Cookie: sessionid={session}"] if session else []),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def first_frame(data: bytes) -> bytes | None:
    """The payload of the (unmasked) frame at the start of `data`, None until it is complete."""
    if len(data) < 2:
        return None
    length, offset = data[1] & 0x7F, 2
    if length >= 126:
        offset = 4 if length == 126 else 10
        if len(data) < offset:
            return None
        length = int.from_bytes(data[2:offset], "big")
    return data[offset : offset + length] if len(data) >= offset + length else None


def connect_all(job: dict[str, Any]) -> tuple[float, int]:
    """Open job["count"] sockets at once (job["in_flight"] handshakes outstanding at most);
    seconds from the first connect() until every socket has received its first text frame or
    was dropped by the server (Daphne closes a handshake the app has not accepted within its
    connect timeout, 5 s), and how many were dropped."""
    address = ("127.0.0.1", job["port"])
    poller = select.epoll()
    waiting: dict[int, tuple[socket.socket, bytearray]] = {}
    opened: list[socket.socket] = []
    left, done, dropped = job["count"], 0, 0
    started = time.perf_counter()
    while done + dropped < job["count"]:
        while left and len(waiting) < job["in_flight"]:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex(address)
            waiting[sock.fileno()] = (sock, bytearray())
            poller.register(sock.fileno(), select.EPOLLOUT)
            opened.append(sock)
            left -= 1
        for fd, events in poller.poll(60):
            sock, buffer = waiting[fd]
            if events & select.EPOLLOUT:
                request = handshake(
                    job["port"], job["origin"], job["path"], job["token"], job["session"]
                )
                sock.sendall(request)  # a few hundred bytes into an empty send buffer
                poller.modify(fd, select.EPOLLIN)
                continue
            try:
                data = sock.recv(1 << 16)
            except ConnectionResetError:
                data = b""
            if not data:  # dropped before its first frame
                poller.unregister(fd)
                del waiting[fd]
                dropped += 1
                continue
            buffer += data
            head, found, rest = bytes(buffer).partition(b"\r\n\r\n")
            if not found:
                continue
            if not head.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(head.decode(errors="replace"))
            payload = first_frame(rest)
            if payload is None:
                continue
            if json.loads(payload)["type"] != "run.snapshot":
                raise RuntimeError(f"refused: {payload[:200]!r}")
            poller.unregister(fd)
            del waiting[fd]
            done += 1
    elapsed = time.perf_counter() - started
    poller.close()
    for sock in opened:
        sock.close()
    return elapsed, dropped


def client_worker(job: dict[str, Any]) -> None:
    """One client process: open job["count"] sockets, say "ready", then report every arrival."""
    clients = []
    for _ in range(job["count"]):
        request = handshake(job["port"], job["origin"], job["path"], job["token"])
        clients.append(LeanClient(job["port"], request, job["expected"]))
    print("ready", flush=True)
    cpu = time.process_time()
    receive_all(clients, 120)
    arrivals = [c.arrivals for c in clients]
    print(json.dumps({"arrivals": arrivals, "cpu_s": time.process_time() - cpu}), flush=True)


class Clients:
    """N benchmark clients spread over `processes` worker processes (real clients are separate
    browsers; one process would add its own serial receive work to the latency)."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @classmethod
    async def open(
        cls, server: Server, path: str, token: str, count: int, expected: int, processes: int
    ) -> Clients:
        """Start the workers and wait until every socket is past its run.snapshot."""
        shares = [count // processes + (i < count % processes) for i in range(processes)]
        started = []
        for share in filter(None, shares):
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=1 << 26,
            )
            job = {"port": server.port, "origin": server.origin, "path": path, "token": token}
            job.update(count=share, expected=expected)
            assert process.stdin is not None
            process.stdin.write(json.dumps(job).encode() + b"\n")
            await process.stdin.drain()
            process.stdin.close()
            started.append(process)
        clients = cls(started)
        for line in await clients.lines(120):
            if line != "ready":
                raise RuntimeError(f"a client worker failed: {line!r}")
        return clients

    async def lines(self, timeout: float) -> list[str]:
        """The next line of every worker."""
        lines = []
        for process in self.processes:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
            lines.append(line.decode().strip())
        return lines

    async def results(self) -> tuple[list[dict[int, float]], float]:
        """Every client's arrival times by seq, and the workers' CPU seconds while receiving."""
        arrivals: list[dict[int, float]] = []
        cpu = 0.0
        for line in await self.lines(120):
            result = json.loads(line)
            arrivals += [{int(k): v for k, v in a.items()} for a in result["arrivals"]]
            cpu += result["cpu_s"]
        for process in self.processes:
            await process.wait()
        return arrivals, cpu


async def connect_once(
    server: Server, path: str, user: dict[str, Any], count: int, in_flight: int, session: bool
) -> tuple[float, int]:
    """Seconds for one client process to open `count` sockets on `path` at once, signed in with
    the user's token (or session cookie), and how many the server dropped."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--worker", stdin=PIPE, stdout=PIPE
    )
    job = {"port": server.port, "origin": server.origin, "path": path, "token": user["token"]}
    job.update(connect=True, count=count, in_flight=in_flight)
    job["session"] = user["session"] if session else ""
    stdout, _ = await asyncio.wait_for(process.communicate(json.dumps(job).encode()), 300)
    if process.returncode != 0:
        raise RuntimeError(f"the connecting client failed ({process.returncode})")
    result = json.loads(stdout)
    return float(result["seconds"]), int(result["dropped"])


async def measure_connects(
    server: Server,
    layer: str,
    clients: int,
    in_flight: int,
    rounds: int,
    before: Server | None = None,
) -> dict[str, Any]:
    """Connecting `clients` run sockets against the naive consumer, alternating, `rounds` each;
    with `before` (a server running another source tree on the same database), its session
    sockets too."""
    team = server.control("team", members={"viewer": "viewer"})
    run = server.control("create_run", workspace=team["workspace"], steps=10)["run"]
    viewer = team["users"]["viewer"]
    cases = {  # name: (server, path, by session cookie rather than token)
        "naive": (server, NAIVE_PATH, False),
        "ours": (server, f"/ws/runs/{run}/", False),
        "naive_session": (server, NAIVE_PATH, True),
        "ours_session": (server, f"/ws/runs/{run}/", True),
    }
    if before is not None:
        cases["before_session"] = (before, f"/ws/runs/{run}/", True)
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    dropped = dict.fromkeys(cases, 0)
    for on, path, session in cases.values():  # warm every path
        await connect_once(on, path, viewer, 10, in_flight, session)
    for index in range(rounds):
        names = list(cases) if index % 2 == 0 else list(reversed(cases))
        for name in names:
            await asyncio.sleep(0.5)  # let the server close the last round's sockets
            on, path, session = cases[name]
            took, lost = await connect_once(on, path, viewer, clients, in_flight, session)
            seconds[name].append(took)
            dropped[name] += lost
    median = {name: statistics.median(values) for name, values in seconds.items()}
    row = {
        "case": "connect",
        "layer": layer,
        "clients": clients,
        "in_flight": in_flight,
        "rounds": rounds,
        **{f"{name}_s": [round(x, 3) for x in values] for name, values in seconds.items()},
        "dropped": dropped,
        "ratio": round(median["ours"] / median["naive"], 2),
        "session_ratio": round(median["ours_session"] / median["naive_session"], 2),
        "load": [round(x, 1) for x in os.getloadavg()],
    }
    if before is not None:
        row["before_session_ratio"] = round(median["before_session"] / median["naive_session"], 2)
    return row


async def measure(
    server: Server,
    database: Database,
    layer: str,
    redis_url: str,
    clients: int,
    events: int,
    interval: float,
    backend: str,
    processes: int,
) -> dict[str, Any]:
    """Latencies of `events` progress events fanned out to `clients` sockets."""
    team = server.control("team", members={"viewer": "viewer"})
    run = server.control("create_run", workspace=team["workspace"], steps=1)["run"]
    path = f"/ws/runs/{run}/"
    started = time.monotonic()
    token = team["users"]["viewer"]["token"]
    watchers = await Clients.open(server, path, token, clients, events, processes)
    connect_seconds = time.monotonic() - started
    script = [["step.progress", "n1", {"value": i, "max": events}] for i in range(1, events + 1)]
    server_cpu = cpu_seconds(server.process.pid)
    if layer == "redis":
        result = await asyncio.to_thread(
            produce_in_subprocess, database, redis_url, run, script, interval, backend
        )
    else:
        result = await asyncio.to_thread(
            server.control, "produce", run=run, events=script, pause=interval
        )
    received, client_cpu = await watchers.results()
    server_cpu = cpu_seconds(server.process.pid) - server_cpu
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
        "client_processes": len(watchers.processes),
        "events": events,
        "deliveries": len(latencies),
        "connect_s": round(connect_seconds, 2),
        "server_cpu_s": round(server_cpu, 2),
        "client_cpu_s": round(client_cpu, 2),
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


async def bench(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run the connect case and every fan-out (layer, N) case."""
    os.environ.pop("DATABASE_URL", None)  # the benchmark uses its own SQLite file
    database = Database()
    workdir = Path(tempfile.mkdtemp(prefix="designer-bench-redis-"))
    pidfile: Path | None = None
    results, connects = [], []
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
            env = {"DESIGNER_MAX_OPEN_SOCKETS": "0"}  # every client is one user's: no cap
            if args.profile:
                env["DESIGNER_PROFILE"] = str(Path(args.profile) / f"server-{layer}.pstats")
            server = Server(database, redis_url=redis_url, backend=backend, app=BENCH_APP, **env)
            before = None
            try:
                if args.connect and layer in args.connect_layers:
                    if args.before:
                        before = Server(
                            database, redis_url, backend, app=BENCH_APP, code=Path(args.before)
                        )
                    row = await measure_connects(
                        server, layer, args.connect, args.in_flight, args.connect_rounds, before
                    )
                    print(json.dumps(row), flush=True)
                    connects.append(row)
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
                        args.client_processes,
                    )
                    print(json.dumps(row), flush=True)
                    results.append(row)
            finally:
                server.stop()
                if before is not None:
                    before.stop()
                kept = Path(tempfile.gettempdir()) / f"bench-ws-{layer}-server.log"
                shutil.copy(server.log_path, kept)
                print(f"the server's log is kept in {kept}", file=sys.stderr)
    finally:
        if pidfile is not None:
            stop_redis(pidfile)
        shutil.rmtree(workdir, ignore_errors=True)
        database.drop()
    return connects, results


def main() -> None:
    """Parse arguments, run, print a summary table against the targets."""
    if sys.argv[1:] == ["--worker"]:
        job = json.loads(sys.stdin.readline())
        if job.get("connect"):
            seconds, dropped = connect_all(job)
            print(json.dumps({"seconds": seconds, "dropped": dropped}), flush=True)
        else:
            client_worker(job)
        return
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
    parser.add_argument(
        "--client-processes",
        type=int,
        default=1,
        help="processes the clients are spread over (default 1, beside this one)",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="folder for cProfile stats of the server process (server-<layer>.pstats)",
    )
    parser.add_argument("--connect", type=int, default=500, help="clients connecting (0: none)")
    parser.add_argument("--connect-rounds", type=int, default=3)
    parser.add_argument(
        "--connect-layers",
        default="memory",
        help="layers to measure connects on (the naive consumer on Redis holds a Redis "
        "connection per socket and runs out of them before 500)",
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=40,
        help="handshakes outstanding at once while connecting (below the server's listen backlog, "
        "Twisted's 50, so an overflowing accept queue does not reset connections)",
    )
    parser.add_argument(
        "--before",
        default="",
        help="a source tree (e.g. `git archive main`) whose session sockets are measured too, on "
        "a second server in the same rounds: before/after in one run",
    )
    args = parser.parse_args()
    args.clients = [int(n) for n in args.clients.split(",") if n]
    args.layers = args.layers.split(",")
    args.connect_layers = args.connect_layers.split(",")
    connects, results = asyncio.run(bench(args))
    print("\nlayer   connecting  signed in by  ours s (median)  naive s (median)  ratio  goal")
    for row in connects:
        signed_in = (("token", "", "ratio"), ("session", "_session", "session_ratio"))
        for by, case, ratio in signed_in:
            verdict = "met" if row[ratio] <= CONNECT_GOAL else "MISSED"
            print(
                f"{row['layer']:<7} {row['clients']:>10}  {by:<12} "
                f"{statistics.median(row[f'ours{case}_s']):>15.2f}"
                f" {statistics.median(row[f'naive{case}_s']):>17.2f} {row[ratio]:>6}"
                f"  <= {CONNECT_GOAL} x: {verdict}"
            )
        if "before_session_ratio" in row:
            print(
                f"{row['layer']:<7} {row['clients']:>10}  {'session':<12} "
                f"{statistics.median(row['before_session_s']):>15.2f}"
                f" {statistics.median(row['naive_session_s']):>17.2f}"
                f" {row['before_session_ratio']:>6}  (before: --before {args.before})"
            )
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
