"""A distributed deployment on this machine that fault tests break: a PostgreSQL and a Redis of
their own (so they can be restarted), Daphne servers and Celery workers as subprocesses; and
the checks every fault test makes on the runs it started (from the database itself)."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import redis

from tests.integration.realtime.harness import CeleryWorker, Database, Server
from tests.support.processes import PostgresServer, RedisServer

HEARTBEAT = "1"  # seconds: a killed worker's attempt is noticed within ~3 s
RESEND = "10"  # seconds: a queued attempt's lost message is sent again after this
FINAL = {"succeeded", "failed", "canceled"}


def script_chain(
    seconds: float, steps: int = 2, execution: dict[str, float] | None = None
) -> dict[str, Any]:
    """The iris sample, then `steps` Python scripts that each sleep `seconds` (code no earlier
    run used, so every step really runs); `execution`: every step's timeout and retries."""
    fresh = uuid.uuid4().hex
    nodes: list[dict[str, Any]] = [
        {"id": "s1", "module": "data.sample_dataset@1", "params": {"name": "iris"}}
    ]
    if execution is not None:
        nodes[0]["execution"] = dict(execution)
    edges = []
    source = ("s1", "dataset")
    for i in range(1, steps + 1):
        code = (
            f"# {fresh}-{i}\nimport time\ndef azureml_main(df1, df2=None):\n"
            f"    time.sleep({seconds})\n    return df1\n"
        )
        node: dict[str, Any] = {
            "id": f"py{i}",
            "module": "script.python@1",
            "params": {"code": code},
        }
        if execution is not None:
            node["execution"] = dict(execution)
        nodes.append(node)
        edges.append(
            {
                "id": f"e{i}",
                "source": {"node": source[0], "port": source[1]},
                "target": {"node": f"py{i}", "port": "dataset1"},
            }
        )
        source = (f"py{i}", "result1")
    return {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": edges, "comments": []}


class Cluster:
    """The services, servers and workers of one fault test module, and a signed-in editor."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.postgres = PostgresServer()
        self.redis = RedisServer(folder)
        self.database = Database(admin_url=self.postgres.url)
        self.db_url = self.database.env["DATABASE_URL"]
        self.env = {
            "DESIGNER_RUNNER": "celery",
            "DESIGNER_HEARTBEAT_SECONDS": HEARTBEAT,
            "DESIGNER_RESEND_SECONDS": RESEND,
        }
        self.servers: list[Server] = [self.server()]
        self.workers: list[CeleryWorker] = []
        team = self.servers[0].control("team", members={"editor": "editor"})
        self.workspace = team["workspace"]
        self.editor = team["users"]["editor"]

    def server(self, **env: str) -> Server:
        """A Daphne server of this deployment."""
        return Server(self.database, redis_url=self.redis.url, **self.env, **env)

    def worker(
        self,
        name: str,
        *,
        redis_url: str = "",
        concurrency: int = 2,
        **env: str,
    ) -> CeleryWorker:
        """Start a Celery worker (gossip and mingle on, as deployed) on this deployment's Redis
        (or on `redis_url`, a way to it); it is stopped at the end."""
        started = CeleryWorker(
            self.database,
            redis_url or self.redis.url,
            name,
            quiet=False,
            concurrency=concurrency,
            **{**self.env, **env},
        )
        self.workers.append(started)
        return started

    def call(self, method: str, path: str, body: Any = None, server: int = 0) -> tuple[int, Any]:
        """One API call as the editor; (0, reason) while the server cannot answer."""
        try:
            return self.servers[server].http(method, path, body, token=self.editor["token"])
        except OSError as exc:
            return 0, str(exc)

    def start_run(self, document: dict[str, Any]) -> int:
        """Save `document` as a new graph and start a run of it."""
        status, graph = self.call(
            "POST",
            f"/api/workspaces/{self.workspace}/graphs/",
            {"name": f"g{uuid.uuid4().hex[:8]}", "document": document},
        )
        assert status == 201, graph
        status, run = self.call("POST", f"/api/graphs/{graph['id']}/runs/", {})
        assert status == 201 and run["runner"] == "celery", run
        return int(run["id"])

    def run(self, run_id: int) -> dict[str, Any]:
        """The run as the API shows it (waiting out a server that cannot answer)."""
        deadline = time.monotonic() + 60
        while True:
            status, body = self.call("GET", f"/api/runs/{run_id}/")
            if status == 200:
                return dict(body)
            assert time.monotonic() < deadline, (status, body)
            time.sleep(0.2)

    def wait(self, run_id: int, step: str, until: set[str], timeout: float = 180) -> dict[str, Any]:
        """Wait until the run (`step` empty), or its step `step`, is in one of the statuses
        `until`, as saved."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.run(run_id)
            steps = {s["key"]: s["status"] for s in body["steps"]}
            if (steps.get(step) if step else body["status"]) in until:
                return body
            logs = [w.log()[-3000:] for w in self.workers]
            assert time.monotonic() < deadline, (body["status"], steps, *logs)
            time.sleep(0.2)

    def holder(self, run_id: int, step: str, attempt: int) -> int:
        """The pid of the process that beats for a running attempt (its heartbeat's value)."""
        client = redis.Redis.from_url(self.redis.url)
        deadline = time.monotonic() + 30
        while (value := client.get(f"designer:heartbeat:run{run_id}-{step}-{attempt}")) is None:
            assert time.monotonic() < deadline, "the attempt never beat"
            time.sleep(0.05)
        return int(value.decode().split(":")[1])

    def worker_of(self, pid: int) -> CeleryWorker:
        """The worker whose process group holds `pid`."""
        group = os.getpgid(pid)
        return next(w for w in self.workers if w.process.pid == group)

    def kill(self, worker: CeleryWorker) -> None:
        """SIGKILL a worker and everything it started (as when its machine dies)."""
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait()
        self.workers.remove(worker)

    def check(self, run_id: int, status: str = "succeeded") -> list[dict[str, Any]]:
        """The run ended `status`; its event log has no gap and says `run.finished` once; no
        step finished twice (one `succeeded` event and attempt at most, exactly one for a step
        that succeeded). Returns the run's steps as the database holds them."""
        with psycopg.connect(self.db_url) as conn:
            (saved,) = conn.execute(
                "SELECT status FROM runs_run WHERE id = %s", [run_id]
            ).fetchone()
            events = conn.execute(
                "SELECT seq, type, data FROM runs_runevent WHERE run_id = %s ORDER BY seq",
                [run_id],
            ).fetchall()
            rows = conn.execute(
                "SELECT key, status, attempts, history FROM runs_steprun WHERE run_id = %s",
                [run_id],
            ).fetchall()
        assert saved == status, (saved, [(k, s, h) for k, s, _, h in rows])
        assert [seq for seq, _, _ in events] == list(range(1, len(events) + 1))
        assert [kind for _, kind, _ in events].count("run.finished") == 1
        succeeded = Counter(
            data["step"]
            for _, kind, data in events
            if kind == "step.status" and data["status"] == "succeeded"
        )
        steps = []
        for key, step_status, attempts, history in rows:
            done = [entry for entry in history if entry["status"] == "succeeded"]
            expected = 1 if step_status == "succeeded" else 0
            assert succeeded[key] == len(done) == expected, (key, step_status, history)
            steps.append(
                {"key": key, "status": step_status, "attempts": attempts, "history": history}
            )
        return steps

    def stop_workers(self) -> None:
        """Stop every worker still running (after each test)."""
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.stop()
        self.workers = []

    def close(self) -> None:
        self.stop_workers()
        for server in self.servers:
            server.stop()
        if self.redis.process.poll() is None:
            self.redis.stop()
        self.database.drop()
        self.postgres.remove()


def jumping_clock(file: Path) -> dict[str, str]:
    """The environment of a process whose wall clock is off by what `file` says ("+2h", "+0"),
    read again every second, for every clock call of the process (libfaketime preloaded); its
    monotonic clock stays true, so its timers and sleeps keep working (decision 0028)."""
    import libfaketime

    library = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src"
    return {
        "LD_PRELOAD": str(library / "libfaketime.so.1"),
        "FAKETIME_TIMESTAMP_FILE": str(file),
        "FAKETIME_CACHE_DURATION": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def await_all(cluster: Cluster, runs: list[int], timeout: float = 240) -> None:
    """Wait until every run is final."""
    for run_id in runs:
        cluster.wait(run_id, "", FINAL, timeout)


class AdvanceWatch:
    """Samples every `advance_run` message Redis holds (queued, or held unacknowledged by a
    worker until its ETA) while runs are in flight; `overdue` lists those due more than
    `longest` + `slack` seconds after the database's time read just after the sample.

    An advance is sent for the run's new wake-up (`wake_at`: a step's deadline or retry), so
    its ETA is at most the longest step timeout or retry delay of the runs away from when it
    was sent; it need not be the run's current `wake_at` (an advance sent for an earlier
    deadline stays queued when a shorter one replaces it)."""

    def __init__(self, cluster: Cluster, longest: float, slack: float) -> None:
        self.cluster, self.longest, self.slack = cluster, longest, slack
        self.seen = 0  # advance messages with an ETA sampled
        self.overdue: list[tuple[int, str, float]] = []  # (run id, ETA, database time)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> AdvanceWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _watch(self) -> None:
        client = redis.Redis.from_url(self.cluster.redis.url)
        with psycopg.connect(self.cluster.db_url, autocommit=True) as conn:
            while not self._stop.wait(0.1):
                try:
                    raw = [*client.lrange("celery", 0, -1), *client.hvals("unacked")]
                except redis.RedisError:
                    continue
                etas = [eta for message in raw if (eta := _advance_eta(message))]
                if not etas:
                    continue
                (now,) = conn.execute(
                    "SELECT EXTRACT(EPOCH FROM clock_timestamp())::float"
                ).fetchone()
                self.seen += len(etas)
                for run_id, eta in etas:
                    if datetime.fromisoformat(eta).timestamp() > now + self.longest + self.slack:
                        self.overdue.append((run_id, eta, now))


def _advance_eta(message: bytes) -> tuple[int, str] | None:
    """(run id, ETA) of an `advance_run` message with an ETA (a queued one, or the first item
    of an unacknowledged one), else None."""
    data = json.loads(message)
    data = data[0] if isinstance(data, list) else data
    headers = data.get("headers", {})
    if headers.get("task") != "designer.runs.advance_run" or not headers.get("eta"):
        return None
    args, _, _ = json.loads(base64.b64decode(data["body"]))
    return int(args[0]), str(headers["eta"])
