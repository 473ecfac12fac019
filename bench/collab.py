"""Co-editing benchmark: E editors each make R edits a second on one graph for S seconds.

    python bench/collab.py [--editors 20] [--rate 10] [--seconds 60] [--layers memory,redis]

A real Daphne server (two on Redis, the editors split between them: the distributed setup) on a
loopback port with a migrated SQLite database. The editors run in one client process (websockets
and pycrdt, as tests/integration/realtime/collab_client.py): each changes its own node (a param
and its position) every 1/R s as one Yjs update over /ws/graphs/<id>/edit/ and stamps when it sent
it; every editor stamps each `collab.update` it receives. Afterwards each editor's received
updates are applied in order to find which edit each one carried, so that

- latency = receipt by another editor - send, over every (edit, other editor) pair (p50, p99);
- lost = edits some other editor never received (must be 0), and every editor's document and the
  saved draft must be equal;
- server CPU per edit = the server processes' CPU seconds during the run ÷ edits.

Baseline, measured in the same run on the same server: the run-event fan-out (bench/ws.py's
`measure`) of the same message rate, E*R step.progress events a second for S seconds, to E
sockets watching the run. Prints one JSON line per case and a table against the goals (p99:
100 ms in-memory, 150 ms Redis). The load of the machine is printed too (os.getloadavg).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
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
sys.path.insert(0, str(ROOT / "bench"))

from ws import cpu_seconds, measure, percentile, start_redis, stop_redis  # noqa: E402

from tests.integration.realtime.harness import Database, Server  # noqa: E402

GOALS_MS = {"memory": 100.0, "redis": 150.0}


# ---- the client process ----------------------------------------------------------------------


async def editor(job: dict[str, Any], index: int, start_at: float) -> dict[str, Any]:
    """One editor: handshake, then an edit every 1/rate s while stamping every update received."""
    from pycrdt import Doc
    from websockets.asyncio.client import connect

    from designer.graphs.shared_doc import doc_from_state, roots

    url, user = job["urls"][index % len(job["urls"])], job["users"][index]
    socket = await connect(
        url,
        origin=job["origins"][index % len(job["origins"])],
        subprotocols=["designer.v1", f"token.{user['token']}"],  # type: ignore[list-item]
        proxy=None,
        compression=None,
        max_queue=None,
        open_timeout=30,
    )
    doc: Doc = doc_from_state(None)
    initial = b""
    received: list[tuple[float, str]] = []
    sent: list[float] = []
    own: list[str] = []
    saved_through = 0
    synced = asyncio.Event()

    async def send(kind: str, **data: str) -> None:
        await socket.send(json.dumps({"type": kind, "data": data}))

    async def read() -> None:
        nonlocal initial, saved_through
        async for text in socket:
            now = time.time()
            message = json.loads(text)
            kind, data = message["type"], message["data"]
            if kind == "collab.update":
                received.append((now, data["update"]))
            elif kind == "collab.sync_step1":
                await send("collab.sync_step1", state_vector=b64(doc.get_state()))
                await send("collab.sync_step2", update=b64(b"\x00\x00"))
            elif kind == "collab.sync_step2":
                initial = base64.b64decode(data["update"])
                doc.apply_update(initial)
                synced.set()
            elif kind == "collab.saved":
                saved_through = data["through"]

    reader = asyncio.get_running_loop().create_task(read())
    await synced.wait()
    node = f"n{index}"
    await asyncio.sleep(max(0.0, start_at - time.time()) + random.random() / job["rate"])
    deadline = start_at + job["seconds"]
    next_at = time.time()
    for seq in range(1, 10**9):
        if time.time() >= deadline:
            break
        before = doc.get_state()
        with doc.transaction():
            entry = roots(doc)["nodes"][node]
            entry["params"]["seq"] = seq
            entry["position"] = {"x": seq % 500, "y": index * 100}
        update = b64(doc.get_update(before))
        own.append(update)
        sent.append(time.time())
        await send("collab.update", update=update)
        next_at += 1 / job["rate"]
        await asyncio.sleep(max(0.0, next_at - time.time()))
    await asyncio.sleep(job["settle"])
    await socket.close()
    await reader
    return {"index": index, "initial": b64(initial), "sent": sent, "own": own, "received": received,
            "saved_through": saved_through, "sent_messages": len(sent) + 1}  # fmt: skip


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

    async def run() -> list[dict[str, Any]]:
        start_at = time.time() + job["warmup"]
        return await asyncio.gather(*(editor(job, i, start_at) for i in range(job["editors"])))

    results = asyncio.run(run())
    cpu = time.process_time()
    out = []
    for result in results:
        receipts, document = decode_receipts(result)
        out.append({**result, "received": receipts, "document": document})
    print(json.dumps({"editors": out, "cpu_s": cpu}))


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
        "urls": [s.ws_url(f"/ws/graphs/{graph}/edit/") for s in servers],
        "origins": [s.origin for s in servers],
        "users": list(team["users"].values()),
        "editors": editors,
        "rate": rate,
        "seconds": seconds,
        "warmup": 3.0,
        "settle": 3.0,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--worker", cwd=ROOT, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert process.stdin is not None
    process.stdin.write(json.dumps(job).encode() + b"\n")
    await process.stdin.drain()
    process.stdin.close()
    await asyncio.sleep(job["warmup"])
    cpu_before = sum(cpu_seconds(s.process.pid) for s in servers)
    load_started = time.monotonic()
    await asyncio.sleep(seconds)
    server_cpu = sum(cpu_seconds(s.process.pid) for s in servers) - cpu_before
    load_seconds = time.monotonic() - load_started
    out, _ = await process.communicate()
    report = json.loads(out)
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
        "server_cpu_share": round(server_cpu / load_seconds, 2),
        "client_cpu_s": round(report["cpu_s"], 2),
    }


async def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    """For each layer: the co-editing case, then the run-event baseline at the same rate."""
    os.environ.pop("DATABASE_URL", None)
    database = Database()
    workdir = Path(tempfile.mkdtemp(prefix="designer-bench-collab-"))
    pidfile: Path | None = None
    rows = []
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
            servers = [Server(database, redis_url=redis_url)]
            if layer == "redis":
                servers.append(Server(database, redis_url=redis_url))
            try:
                figures = await collab_case(servers, args.editors, args.rate, args.seconds)
                row = {"case": "co-editing", "layer": layer, "servers": len(servers),
                       "editors": args.editors, "rate": args.rate, "seconds": args.seconds,
                       "load": os.getloadavg()[0], **figures}  # fmt: skip
                print(json.dumps(row), flush=True)
                rows.append(row)
                events = int(args.editors * args.rate * args.seconds)
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
    args = parser.parse_args()
    args.layers = args.layers.split(",")
    rows = asyncio.run(bench(args))
    print("\ncase                          layer   p50 ms  p99 ms  lost  CPU ms/msg  p99 goal")
    failed = False
    for row in rows:
        collab = row["case"] == "co-editing"
        cpu = row["server_cpu_ms_per_edit"] if collab else row["server_cpu_ms_per_event"]
        verdict = ""
        if collab:
            goal = GOALS_MS[row["layer"]]
            ok = row["p99_ms"] < goal and row["lost"] == 0 and row["documents_equal_draft"]
            failed |= not ok
            verdict = f"< {goal:.0f} ms: {'met' if ok else 'MISSED'}"
        lost = row.get("lost", "")
        print(f"{row['case']:<29} {row['layer']:<7} {row['p50_ms']:>6} {row['p99_ms']:>7}"
              f" {lost!s:>5} {cpu:>11}  {verdict}")  # fmt: skip
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
