"""Co-editing benchmark: E editors each make R edits a second on one graph for S seconds.

    python bench/collab.py [--editors 20] [--rate 10] [--seconds 60] [--layers memory,redis]
                           [--compare main] [--rounds 1]

A real Daphne server (two on Redis, the editors split between them: the distributed setup) on a
loopback port with a migrated SQLite database. The editors run in one client process (websockets
and pycrdt, as tests/integration/realtime/collab_client.py): each changes its own node (a param
and its position) every 1/R s as one Yjs update over /ws/graphs/<id>/edit/ and stamps when it sent
it; every editor stamps each `collab.update` it receives. Afterwards each editor's received
updates are applied in order to find which edit each one carried, so that

- latency = receipt by another editor - send, over every (edit, other editor) pair (p50, p99);
- lost = edits some other editor never received (must be 0), and every editor's document and the
  saved draft must be equal;
- server CPU per edit = the server processes' CPU seconds from the first edit until every
  editor has received what reaches it (nothing arrived for 3 s; a server that fell behind under
  load catches up meanwhile, `catch_up_s`) ÷ edits.

Baselines, measured in the same run: the same co-editing case served by another git revision's
code (--compare, default main: its tree is exported to a temporary folder; "" skips it), in
--rounds alternating order; and on the same server, the run-event fan-out (bench/ws.py's
`measure`) of the same message rate, E*R step.progress events a second to E sockets watching the
run, for --baseline-seconds (each event is a database commit, so its producer falls behind that
rate; the achieved rate is printed; --baseline-seconds 0 skips it). Prints one JSON line per case
and a table against the goals (p99: 100 ms in-memory, 150 ms Redis) and the compared revision,
with the machine's load (os.getloadavg).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ws import cpu_seconds, handshake, measure, percentile, start_redis, stop_redis  # noqa: E402

from tests.integration.realtime.harness import Database, Server  # noqa: E402

GOALS_MS = {"memory": 100.0, "redis": 150.0}


# ---- the client process ----------------------------------------------------------------------


class LeanEditor:
    """One editor on a plain socket: a blocking handshake and sync, then frames parsed by hand
    from the process's one epoll loop (see run_editors). The websockets package costs tens of µs
    of Python per message; 20 editors receive 3,800 messages a second, and on 2 shared cores
    that would measure the client, not the server (as bench/ws.py's LeanClient)."""

    def __init__(self, index: int, port: int, request: bytes) -> None:
        self.index = index
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.sendall(request)
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(head.decode(errors="replace"))
        self.received: list[tuple[float, bytes]] = []  # (arrival, payload) of every message
        self.sent: list[float] = []
        self.own: list[str] = []
        self.initial = self.sync()
        self.sock.setblocking(False)

    def read(self) -> None:
        data = self.sock.recv(1 << 16)
        if not data:
            raise RuntimeError("the server closed the socket")
        self.buffer += data

    def frames(self) -> list[bytes]:
        """Take the complete text frames' payloads out of the buffer."""
        out = []
        while len(self.buffer) >= 2:
            length, offset = self.buffer[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < offset + length:
                break
            if self.buffer[0] & 0x0F == 1:
                out.append(self.buffer[offset : offset + length])
            self.buffer = self.buffer[offset + length :]
        return out

    def send(self, kind: str, **data: str) -> None:
        """One masked text frame (clients must mask)."""
        payload = json.dumps({"type": kind, "data": data}).encode()
        mask = os.urandom(4)
        key = int.from_bytes((mask * (len(payload) // 4 + 1))[: len(payload)], "big")
        masked = (int.from_bytes(payload, "big") ^ key).to_bytes(len(payload), "big")
        size = len(payload)
        head = bytes((0x81, 0x80 | size)) if size < 126 else bytes((0x81, 0xFE)) + size.to_bytes(2)
        self.sock.sendall(head + mask + masked)

    def sync(self) -> bytes:
        """The handshake: answer the server's sync step 1, return the document it sends."""
        while True:
            for payload in self.frames():
                message = json.loads(payload)
                if message["type"] == "collab.welcome":
                    self.send("collab.sync_step1", state_vector=b64(b"\x00"))
                elif message["type"] == "collab.sync_step1":
                    self.send("collab.sync_step2", update=b64(b"\x00\x00"))
                elif message["type"] == "collab.sync_step2":
                    return base64.b64decode(message["data"]["update"])
            self.read()


def run_editors(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Every editor edits its own node every 1/rate s; every frame's arrival is stamped."""
    from designer.graphs.shared_doc import doc_from_state, roots

    editors = []
    for index, user in enumerate(job["users"]):
        port, origin = (
            job["ports"][index % len(job["ports"])],
            job["origins"][index % len(job["origins"])],
        )
        request = handshake(port, origin, job["path"], user["token"])
        editors.append(LeanEditor(index, port, request))
    docs = [doc_from_state(e.initial) for e in editors]
    poller = select.epoll()
    by_fd = {e.sock.fileno(): e for e in editors}
    for fd in by_fd:
        poller.register(fd, select.EPOLLIN)
    start = time.time() + 1.0
    print(json.dumps({"start": start}), flush=True)  # the parent measures the server from then
    interval = 1 / job["rate"]
    due = [start + random.random() * interval for _ in editors]
    seqs = [0] * len(editors)
    # After the last edit, until nothing arrives for `quiet` s (a server behind catches up).
    stop_sending, last_arrival = start + job["seconds"], start
    stop = stop_sending + job["quiet"]
    while (now := time.time()) < stop:
        wait = min(min(due), stop) - now if now < stop_sending else stop - now
        for fd, _ in poller.poll(max(0.0, wait)):
            editor = by_fd[fd]
            data = editor.sock.recv(1 << 16)
            last_arrival = arrival = time.time()
            editor.buffer += data
            editor.received += [(arrival, payload) for payload in editor.frames()]
        stop = min(max(stop_sending, last_arrival) + job["quiet"], stop_sending + job["settle"])
        now = time.time()
        for i, editor in enumerate(editors):
            if now < stop_sending and due[i] <= now:
                seqs[i] += 1
                doc, before = docs[i], docs[i].get_state()
                with doc.transaction():
                    entry = roots(doc)["nodes"][f"n{i}"]
                    entry["params"]["seq"] = seqs[i]
                    entry["position"] = {"x": seqs[i] % 500, "y": i * 100}
                update = b64(doc.get_update(before))
                editor.own.append(update)
                editor.sent.append(time.time())
                editor.send("collab.update", update=update)
                due[i] += interval
    poller.close()
    print(json.dumps({"done": time.time()}), flush=True)
    results = []
    for editor in editors:
        editor.sock.close()
        updates, saved_through = [], 0
        for arrival, payload in editor.received:
            message = json.loads(payload)
            if message["type"] == "collab.update":
                updates.append((arrival, message["data"]["update"]))
            elif message["type"] == "collab.saved":
                saved_through = message["data"]["through"]
        results.append({"index": editor.index, "initial": b64(editor.initial),
                        "sent": editor.sent, "own": editor.own, "received": updates,
                        "saved_through": saved_through,
                        "sent_messages": len(editor.sent) + 1})  # fmt: skip
    return results


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def decode_receipts(result: dict[str, Any]) -> tuple[list[tuple[int, int, float]], dict[str, Any]]:
    """(editor, seq, arrival) of every update an editor received, and the document it ends with."""
    from designer.graphs.shared_doc import doc_from_state, lenient_document, roots

    doc = doc_from_state(base64.b64decode(result["initial"]))
    for update in result.pop("own"):
        doc.apply_update(base64.b64decode(update))
    nodes = roots(doc)["nodes"]
    found: list[tuple[int, int]] = []

    def record(events: list[Any]) -> None:
        for event in events:
            if event.path and len(event.path) == 2 and event.path[1] == "params":
                owner = int(str(event.path[0])[1:])
                found.append((owner, int(event.target["seq"])))

    subscription = nodes.observe_deep(record)
    receipts = []
    for arrival, update in result["received"]:
        found.clear()
        doc.apply_update(base64.b64decode(update))
        receipts += [(owner, seq, arrival) for owner, seq in found]
    nodes.unobserve(subscription)
    return receipts, lenient_document(doc)[0]


def client_worker(job: dict[str, Any]) -> None:
    """The client process: run every editor, then print their results as one JSON line."""
    results = run_editors(job)
    cpu = time.process_time()
    out = []
    for result in results:
        receipts, document = decode_receipts(result)
        out.append({**result, "received": receipts, "document": document})
    print(json.dumps({"editors": out, "cpu_s": cpu}), flush=True)


# ---- the benchmark ---------------------------------------------------------------------------


async def collab_case(
    servers: list[Server], editors: int, rate: float, seconds: float
) -> dict[str, Any]:
    """One co-editing run; returns its figures."""
    first = servers[0]
    team = first.control("team", members={f"editor{i}": "editor" for i in range(editors)})
    nodes = [
        {"id": f"n{i}", "module": "transform.normalize@1", "params": {},
         "position": {"x": 0, "y": 100 * i}}
        for i in range(editors)
    ]  # fmt: skip
    document = {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": [], "comments": []}
    graph = first.control("create_graph", workspace=team["workspace"], document=document)["graph"]
    job = {
        "ports": [s.port for s in servers],
        "path": f"/ws/graphs/{graph}/edit/",
        "origins": [s.origin for s in servers],
        "users": list(team["users"].values()),
        "editors": editors,
        "rate": rate,
        "seconds": seconds,
        "quiet": 3.0,
        "settle": 120.0,  # at most
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--worker", cwd=ROOT, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert process.stdin is not None
    process.stdin.write(json.dumps(job).encode() + b"\n")
    await process.stdin.drain()
    process.stdin.close()
    assert process.stdout is not None
    start = json.loads(await process.stdout.readline())["start"]
    await asyncio.sleep(max(0.0, start - time.time()))
    cpu_before = sum(cpu_seconds(s.process.pid) for s in servers)
    load_started = time.monotonic()
    await asyncio.sleep(seconds)
    load_cpu = sum(cpu_seconds(s.process.pid) for s in servers) - cpu_before
    load_seconds = time.monotonic() - load_started
    json.loads(await process.stdout.readline())  # done: every editor has what reached it
    server_cpu = sum(cpu_seconds(s.process.pid) for s in servers) - cpu_before
    catch_up = time.monotonic() - load_started - seconds
    out, _ = await process.communicate()
    report = json.loads(out.splitlines()[-1])
    results = report["editors"]
    # An edit reaches another editor with the first update carrying it or a later edit of the
    # same node (an update merged from the stored state carries only the latest value).
    latencies, lost, merged = [], 0, 0
    for result in results:
        latest: dict[int, list[tuple[int, float]]] = {}
        for owner, seq, arrival in sorted(result["received"], key=lambda r: r[2]):
            latest.setdefault(owner, []).append((seq, arrival))
        for other in results:
            if other["index"] == result["index"]:
                continue
            arrivals = latest.get(other["index"], [])
            for seq, sent_at in enumerate(other["sent"], start=1):
                covering = next(((s, a) for s, a in arrivals if s >= seq), None)
                if covering is None:
                    lost += 1
                    continue
                merged += covering[0] != seq
                latencies.append((covering[1] - sent_at) * 1000)
    edits = sum(len(r["sent"]) for r in results)
    draft = first.control("graph_draft", graph=graph)["draft"]
    agreed = all(r["document"] == draft for r in results)
    saved = all(r["saved_through"] == r["sent_messages"] for r in results)
    return {
        "edits": edits,
        "edits_per_s": round(edits / seconds, 1),
        "deliveries": len(latencies),
        "lost": lost,
        "reached_by_a_later_edit": merged,
        "documents_equal_draft": agreed,
        "all_acknowledged_saved": saved,
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_edit": round(server_cpu * 1000 / edits, 3),
        "server_cpu_share": round(load_cpu / load_seconds, 2),
        "catch_up_s": round(catch_up, 1),
        "client_cpu_s": round(report["cpu_s"], 2),
    }


def export_tree(ref: str, workdir: Path) -> Path | None:
    """The source tree of git revision `ref`, exported into `workdir` (None if there is none)."""
    known = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", ref],
                           capture_output=True, text=True)  # fmt: skip
    if known.returncode != 0:
        print(f"--compare {ref}: no such revision; skipped", file=sys.stderr)
        return None
    tree = workdir / "compare"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True,
                             check=True)  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


async def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    """For each layer: the co-editing case on this tree and on the compared revision's (rounds in
    alternating order), then the run-event baseline at the same rate."""
    os.environ.pop("DATABASE_URL", None)
    database = Database()
    workdir = Path(tempfile.mkdtemp(prefix="designer-bench-collab-"))
    pidfile: Path | None = None
    rows = []
    compared = export_tree(args.compare, workdir) if args.compare else None
    trees = [("this", ROOT)] + ([(args.compare, compared)] if compared is not None else [])
    try:
        for layer in args.layers:
            redis_url = ""
            if layer == "redis":
                redis_url = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL", "")
                if not redis_url:
                    if not shutil.which("redis-server"):
                        print("redis: skipped (no REDIS_URL, no redis-server)", file=sys.stderr)
                        continue
                    redis_url, pidfile = start_redis(workdir)
            for round_ in range(args.rounds):
                for code, tree in trees if round_ % 2 == 0 else trees[::-1]:
                    env = {}
                    if args.profile and code == "this":
                        name = f"collab-{layer}-{round_}.pstats"
                        env["DESIGNER_PROFILE"] = str(Path(args.profile) / name)
                    servers = [Server(database, redis_url=redis_url, code=tree, **env)]
                    if layer == "redis":
                        servers.append(Server(database, redis_url=redis_url, code=tree))
                    try:
                        figures = await collab_case(servers, args.editors, args.rate, args.seconds)
                    finally:
                        for server in servers:
                            server.stop()
                    row = {"case": "co-editing", "code": code, "layer": layer,
                           "servers": len(servers), "editors": args.editors, "rate": args.rate,
                           "seconds": args.seconds, "load": os.getloadavg()[0],
                           **figures}  # fmt: skip
                    print(json.dumps(row), flush=True)
                    rows.append(row)
            if args.baseline_seconds <= 0:
                continue
            servers = [Server(database, redis_url=redis_url)]
            try:
                events = int(args.editors * args.rate * args.baseline_seconds)
                cpu_before = cpu_seconds(servers[0].process.pid)
                started = time.monotonic()
                base = await measure(
                    servers[0], database, layer, redis_url, args.editors, events,
                    1 / (args.editors * args.rate), "", 1,
                )  # fmt: skip
                elapsed = time.monotonic() - started
                base.pop("last_by_event_ms")
                cpu = cpu_seconds(servers[0].process.pid) - cpu_before
                baseline = {"case": "run-event fan-out (baseline)", "layer": layer,
                            "events_per_s": round(events / elapsed, 1),
                            "server_cpu_ms_per_event": round(cpu * 1000 / events, 3),
                            **base}  # fmt: skip
                print(json.dumps(baseline), flush=True)
                rows.append(baseline)
            finally:
                for server in servers:
                    server.stop()
    finally:
        if pidfile is not None:
            stop_redis(pidfile)
        shutil.rmtree(workdir, ignore_errors=True)
        database.drop()
    return rows


def main() -> None:
    """Parse arguments, run, print the figures against the goals."""
    if sys.argv[1:] == ["--worker"]:
        client_worker(json.loads(sys.stdin.readline()))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0, help="edits a second per editor")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--layers", default="memory,redis")
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=15.0,
        help="how long the run-event baseline produces at the same rate (it is slower to produce)",
    )
    parser.add_argument("--profile", default="", help="folder for cProfile stats of the server")
    parser.add_argument("--compare", default="main", help="git revision to measure as a baseline")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of this tree vs --compare")
    args = parser.parse_args()
    args.layers = args.layers.split(",")
    rows = asyncio.run(bench(args))
    print("\ncase                          code    layer   p50 ms  p99 ms  lost  CPU ms/msg"
          "  p99 goal / vs compared (p99, CPU)")  # fmt: skip
    failed = False
    for row in rows:
        collab = row["case"] == "co-editing"
        cpu = row["server_cpu_ms_per_edit"] if collab else row["server_cpu_ms_per_event"]
        verdict = ""
        if collab and row["code"] == "this":
            goal = GOALS_MS[row["layer"]]
            ok = row["p99_ms"] < goal and row["lost"] == 0 and row["documents_equal_draft"]
            failed |= not ok
            verdict = f"< {goal:.0f} ms: {'met' if ok else 'MISSED'}"
            base = [r for r in rows if r["case"] == "co-editing" and r["layer"] == row["layer"]
                    and r["code"] != "this"]  # fmt: skip
            if base:
                p99 = row["p99_ms"] / statistics.fmean(r["p99_ms"] for r in base)
                ratio = cpu / statistics.fmean(r["server_cpu_ms_per_edit"] for r in base)
                verdict += f" / x{p99:.2f}, x{ratio:.2f}"
        lost = row.get("lost", "")
        code = row.get("code", "this")
        print(f"{row['case']:<29} {code:<7} {row['layer']:<7} {row['p50_ms']:>6}"
              f" {row['p99_ms']:>7} {lost!s:>5} {cpu:>11}  {verdict}")  # fmt: skip
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
