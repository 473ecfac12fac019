"""Distributed-mode benchmark: Celery per-step overhead and drain throughput; store put/get.

    .venv/bin/python bench/distributed.py [--part all|celery|store] [--rounds 3] [--mb 100]
        [--runs 1000]

Celery part (as root: it starts a PostgreSQL and a Redis of its own, a Daphne server and two
Celery workers, as tests/faults does): a 20-step chain and a 200-step fan-out of cheap steps
(select columns of iris, cache bypassed), timed from the run's creation to its end as saved,
per step; against two baselines measured in the same run, each a bare Celery chain of 20 links
and a group of 200 (bench/celery_baseline.py, its own worker with as many processes as the two
designer workers, on the same Redis; the last link pushes onto a Redis list): links that do the
same step work (read the input Parquet, run select_columns, write the output Parquet: what the
designer adds to it is the overhead a user pays; goal ≤ 1.5x per step), and no-op links (what
Celery alone costs, for the record). Rounds are interleaved. The benchmark learns that a run
ended as the front end's run list does, from the run's `run.finished` on the workspace's socket
(the baselines from their Redis list); each shape is also run "watched": with the run's own
socket open, as the canvas follows a run it started (every event of the run is then
published to it: what watching costs, for the record). Then `--runs` runs of a 2-step graph
queued at once through the API, drained by the two workers: runs per second.

Store part:
A 100 MB Parquet table (random floats, so it does not compress away) is written with `put`
and read back with `get` (digest checked) on the folder store (the baseline, in the same run)
and on the object store: moto's S3-compatible server on loopback, started here unless
TEST_S3_ENDPOINT names one. Object-store reads are measured twice: cold (a new host, whose
cache is empty: the bytes come from the bucket) and warm (from this host's cache). Rounds are
interleaved so machine load hits both backends alike; medians are printed side by side.
Goal: a warm object-store read within 1.5x of a folder read (the cache is a folder store).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from designer.engine.objectstore import ObjectStore  # noqa: E402
from designer.engine.store import ArtifactStore  # noqa: E402
from designer.modules.data import load_sample  # noqa: E402
from tests.support.objectstore import BUCKET, object_store_env  # noqa: E402
from tests.support.processes import free_port, stop_process_group  # noqa: E402

WARM_GOAL = 1.5
STEP_GOAL = 1.5
FINAL = ("succeeded", "failed", "canceled")


def table_bytes(megabytes: int) -> bytes:
    """Parquet bytes of a table of random floats, about `megabytes` MB."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = megabytes * (1 << 20) // (8 * 10)
    frame = pd.DataFrame(np.random.default_rng(7).random((rows, 10)), columns=list("abcdefghij"))
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame), sink, compression="snappy")
    return sink.getvalue().to_pybytes()


def s3_server(workdir: Path) -> tuple[str, subprocess.Popen[bytes] | None]:
    """The endpoint of an S3-compatible server with the test bucket (started here if need be)."""
    endpoint = os.environ.get("TEST_S3_ENDPOINT", "")
    process = None
    if not endpoint:
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        server = Path(sys.executable).parent / "moto_server"
        log = open(workdir / "moto.log", "wb")  # noqa: SIM115 - lives as long as the server
        process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            request = urllib.request.Request(f"{endpoint}/{BUCKET}", method="PUT")
            urllib.request.urlopen(request, timeout=2).close()
            return endpoint, process
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def one_round(data: bytes, workdir: Path, round_: int) -> dict[str, float]:
    """Seconds of each measure in one round (fresh stores, so nothing is written twice)."""
    folder = ArtifactStore(workdir / f"folder{round_}")
    url = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    here = ObjectStore(url, workdir / f"host-a{round_}")
    elsewhere = ObjectStore(url, workdir / f"host-b{round_}")  # another host: empty cache
    seconds: dict[str, float] = {}

    def timed(name: str, action: Callable[[], object]) -> None:
        start = time.perf_counter()
        action()
        seconds[name] = time.perf_counter() - start

    digest = folder.put(data)  # warms the page cache alike for every measure below
    folder.delete(digest)
    timed("folder put", lambda: folder.put(data))
    timed("folder get", lambda: folder.get(digest))
    timed("object put", lambda: here.put(data))
    timed("object get (cold: from the bucket)", lambda: elsewhere.get(digest))
    timed("object get (warm: this host's cache)", lambda: here.get(digest))
    shutil.rmtree(workdir / f"folder{round_}", ignore_errors=True)
    return seconds


def _document(fan_out: bool, steps: int) -> dict[str, Any]:
    """The iris sample, then `steps` select-columns steps in a chain or all reading it."""
    fresh = uuid.uuid4().hex
    nodes = [{"id": "s0", "module": "data.sample_dataset@1", "params": {"name": "iris"}}]
    edges = []
    for i in range(1, steps + 1):
        params = {"pattern": f"^{fresh}{i}$", "mode": "exclude"}
        nodes.append({"id": f"s{i}", "module": "transform.select_columns@1", "params": params})
        source = "s0" if fan_out else f"s{i - 1}"
        edges.append(
            {
                "id": f"e{i}",
                "source": {"node": source, "port": "dataset"},
                "target": {"node": f"s{i}", "port": "dataset"},
            }
        )
    return {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": edges, "comments": []}


def _graph(cluster: Any, document: dict[str, Any]) -> int:
    status, graph = cluster.call(
        "POST",
        f"/api/workspaces/{cluster.workspace}/graphs/",
        {"name": f"bench {uuid.uuid4().hex[:6]}", "document": document},
    )
    assert status == 201, graph
    return int(graph["id"])


def _socket(cluster: Any, path: str) -> Any:
    """A WebSocket on the deployment's server, signed in as the editor, as the front end
    opens one (its subprotocol and origin)."""
    from websockets.sync.client import connect

    from designer.realtime.protocol import SUBPROTOCOL

    server = cluster.servers[0]
    return connect(
        server.ws_url(path),
        origin=server.origin,
        subprotocols=[SUBPROTOCOL, f"token.{cluster.editor['token']}"],
        compression=None,
        open_timeout=20,
        max_size=None,
    )


def _until_finished(socket: Any, run_id: int) -> None:
    """Read the socket's messages until run `run_id`'s `run.finished`."""
    while True:
        message = json.loads(socket.recv(timeout=900))
        if message["type"] == "run.finished" and message.get("run_id") == run_id:
            return
        if message["type"] == "run.snapshot" and message["data"]["run"]["status"] in FINAL:
            return  # it finished before the socket joined


def _run_seconds(cluster: Any, graph: int, runs_socket: Any, watched: bool = False) -> float:
    """Seconds from a run's creation to its end, as the run saved them (cache bypassed). The
    benchmark learns that a run ended as the front end's run list does: the run's terminal
    event on the workspace's socket (`runs_socket`), not by polling the API (each poll of a
    201-step run serialised every step: ~1 ms of the server's CPU a step, on the two CPUs the
    run shares, which no baseline pays). `watched`: the run's own socket is open meanwhile, as
    the canvas follows a run it started (every event of the run is then sent to it)."""
    status, run = cluster.call("POST", f"/api/graphs/{graph}/runs/", {"bypass_cache": True})
    assert status == 201, run
    if watched:
        with _socket(cluster, f"/ws/runs/{run['id']}/") as socket:
            _until_finished(socket, run["id"])
    _until_finished(runs_socket, run["id"])
    status, done = cluster.call("GET", f"/api/runs/{run['id']}/")
    assert status == 200 and done["status"] == "succeeded", done
    start = datetime.fromisoformat(done["created_at"])
    return (datetime.fromisoformat(done["finished_at"]) - start).total_seconds()


def _settle(cluster: Any) -> None:
    """Wait until the designer's workers hold no step message (queued or taken): after a fan-out
    they drop the ~195 messages of steps started in place, which would otherwise load the
    machine while the next baseline is timed."""
    import redis

    client = redis.Redis.from_url(cluster.redis.url)
    deadline = time.monotonic() + 120

    def busy() -> bool:  # (advance_run messages wait unacknowledged for their ETA: not these)
        taken = client.hvals("unacked")
        return bool(client.llen("celery")) or any(b"designer.runs.run_step" in m for m in taken)

    while busy():
        assert time.monotonic() < deadline, "the designer's workers did not settle"
        time.sleep(0.05)


def _baseline_seconds(steps: int, fan_out: bool, work: Path | None) -> float:
    """Seconds a bare Celery chain (or group) of `steps` links takes, send to last link: links
    that do a step's work on the iris table in `work` (a folder), or no-op links (None)."""
    import redis
    from celery import chain, group

    from bench.celery_baseline import URL, link
    from bench.celery_baseline import work as work_link

    done = f"baseline-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(URL)
    if work is None:
        first, then, last = link.s(0), link.s(), link.s(done=done)
        members = [link.s(i, done=done) for i in range(steps)]
    else:
        options = {"folder": str(work), "params": {"pattern": "^nothing$", "mode": "exclude"}}
        source = str(work / "iris.parquet")
        first, then = work_link.s(source, **options), work_link.s(**options)
        last = work_link.s(**options, done=done)
        members = [work_link.s(source, **options, done=done) for _ in range(steps)]
    start = time.perf_counter()
    if fan_out:
        group(members).apply_async()
    else:
        chain(first, *(then.clone() for _ in range(steps - 2)), last).apply_async()
    for _ in range(steps if fan_out else 1):
        assert client.blpop([done], timeout=300), "the baseline worker did not answer"
    return time.perf_counter() - start


def _print_steps(
    rounds: int, shapes: dict[str, Any], times: dict[tuple[str, str], list[float]]
) -> None:
    """Medians per step, and the designer's ratio to each baseline (the goal on same work)."""
    print(
        f"{'per step (median of ' + str(rounds) + ')':26} {'designer':>9} {'same work':>10} "
        f"{'ratio':>6} {'no-op':>8} {'ratio':>6}"
    )
    for name in shapes:
        ours, work, noop = (
            statistics.median(times[(name, side)]) * 1000
            for side in ("designer", "bare, same work", "bare, no-op")
        )
        verdict = "met" if ours <= STEP_GOAL * work else "MISSED"
        print(
            f"{name:26} {ours:7.1f}ms {work:8.1f}ms {ours / work:5.1f}x {noop:6.1f}ms "
            f"{ours / noop:5.1f}x  (goal ≤ {STEP_GOAL}x the same work: {verdict})"
        )
        each = zip(times[(name, "designer")], times[(name, "bare, same work")], strict=True)
        print(f"{'':26} each round's ratio: {' '.join(f'{a / b:.2f}x' for a, b in each)}")


def bench_celery(rounds: int, runs: int) -> None:
    """Per-step overhead of Celery runs against a bare Celery chain; a queue of runs drained."""
    from tests.faults.cluster import Cluster

    workdir = Path(tempfile.mkdtemp(prefix="designer-bench-celery-"))
    cluster = Cluster(workdir)
    os.environ["BASELINE_REDIS_URL"] = cluster.redis.url.replace("/0", "/5")
    work = workdir / "baseline-work"
    work.mkdir()
    load_sample("iris").to_parquet(work / "iris.parquet")
    baseline = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "bench.celery_baseline", "worker"),
            *("-c", "4", "-Q", "baseline", "--without-gossip", "--without-mingle"),
            *("--logfile", str(workdir / "baseline.log")),
        ],
        cwd=HERE.parent,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
        start_new_session=True,
    )
    try:
        quiet = {"DESIGNER_STEP_RETRIES": "0", "DESIGNER_RESEND_SECONDS": "3600"}  # no re-sends
        cluster.worker("bench1", **quiet)
        cluster.worker("bench2", **quiet)
        shapes = {
            "20-step chain": (False, 20, False),
            "200-step fan-out": (True, 200, False),
            "20-step chain, watched": (False, 20, True),
            "200-step fan-out, watched": (True, 200, True),
        }
        graphs = {name: _graph(cluster, _document(f, n)) for name, (f, n, _) in shapes.items()}
        baselines = {"bare, same work": work, "bare, no-op": None}
        runs_socket = _socket(cluster, f"/ws/workspaces/{cluster.workspace}/")
        for name, (fan_out, steps, watched) in shapes.items():  # warm every side once
            _run_seconds(cluster, graphs[name], runs_socket, watched)
            _settle(cluster)
            for folder in baselines.values():
                _baseline_seconds(steps, fan_out, folder)
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(rounds):  # interleaved, so load hits every side alike
            for name, (fan_out, steps, watched) in shapes.items():
                ours = _run_seconds(cluster, graphs[name], runs_socket, watched) / steps
                times.setdefault((name, "designer"), []).append(ours)
                _settle(cluster)
                for side, folder in baselines.items():
                    bare = _baseline_seconds(steps, fan_out, folder) / steps
                    times.setdefault((name, side), []).append(bare)
        _print_steps(rounds, shapes, times)
        graph = _graph(cluster, _document(False, 1))
        start = time.perf_counter()
        queued = set()
        for _ in range(runs):
            status, run = cluster.call("POST", f"/api/graphs/{graph}/runs/", {"bypass_cache": True})
            assert status == 201, run
            queued.add(run["id"])
        posted = time.perf_counter() - start
        while queued:  # each run's terminal event on the workspace's socket
            message = json.loads(runs_socket.recv(timeout=3600))
            if message["type"] == "run.finished":
                queued.discard(message["run_id"])
        drained = time.perf_counter() - start
        runs_socket.close()
        print(
            f"{runs} runs of 2 steps queued in {posted:.1f} s, all finished after {drained:.1f} s: "
            f"{runs / drained:.1f} runs/s, {2 * runs / drained:.1f} steps/s on 2 workers"
        )
    finally:
        stop_process_group(baseline)
        cluster.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def bench_store(rounds: int, megabytes: int) -> None:
    """A table put to and got from the folder store and the object store."""
    workdir = Path(tempfile.mkdtemp(prefix="designer-bench-dist-"))
    endpoint, server = s3_server(workdir)
    os.environ.update(object_store_env(endpoint, workdir / "cache"))
    data = table_bytes(megabytes)
    print(f"table: {len(data) / 1e6:.1f} MB of Parquet; {rounds} interleaved rounds")
    times: dict[str, list[float]] = {}
    try:
        for round_ in range(rounds):
            for name, value in one_round(data, workdir, round_).items():
                times.setdefault(name, []).append(value)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    mb = len(data) / 1e6
    print(f"{'':40} {'median':>9} {'MB/s':>8} {'vs folder':>10}")
    for name, seconds in median.items():
        base = median["folder put" if "put" in name else "folder get"]
        print(f"{name:40} {seconds:8.3f}s {mb / seconds:8.0f} {seconds / base:9.2f}x")
    warm = median["object get (warm: this host's cache)"] / median["folder get"]
    verdict = "met" if warm <= WARM_GOAL else "MISSED"
    print(f"goal: warm object-store get ≤ {WARM_GOAL}x folder get: {warm:.2f}x ({verdict})")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "celery", "store"), default="all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    if args.part in ("all", "celery"):
        bench_celery(args.rounds, args.runs)
    if args.part in ("all", "store"):
        bench_store(args.rounds, args.mb)


if __name__ == "__main__":
    main()
