"""One endpoint key, one budget and one "last used", whatever serves its calls: the batch API
(in this process, on a file-backed database) and real scoring processes.

The scoring processes serve a real-time endpoint of the key's workspace from a routing table
written here (the key's own id and hash); the batch calls go to a pipeline endpoint of the same
workspace through the real HTTP API. On one host the budget lives in the host's scoring
folder's rate file; with Redis, in Redis: there the web server and each scoring process get a
scoring folder of their own (as on separate hosts, sharing only the artifact store), so only
Redis can make the budget one.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from designer.endpoints import monitoring
from designer.endpoints.models import EndpointKey
from designer.engine.store import ArtifactStore
from designer.serving import stats
from designer.serving.bundles import put
from designer.serving.ratelimit import redis_key
from designer.serving.routes import EndpointRoute, KeyRoute, RouteTable, key_hash, publish
from designer.serving.scorer import Scorer
from tests.integration.endpoints.conftest import Published, key_client, new_key
from tests.support import workers
from tests.support.processes import scoring_process
from tests.unit.serving.harness import train, training_document

pytestmark = pytest.mark.django_db(transaction=True)

REALTIME = 900  # the real-time endpoint's id in the routing table
REDIS_DB = 9  # a database index of our own


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scorer, list[dict[str, Any]]]:
    """A logistic regression's scorer and rows to send it."""
    work = tmp_path_factory.mktemp("trained")
    model = train(training_document("ml.logistic_regression", {}, "breast_cancer"), work)
    return model.scorer(), model.test_rows().head(2).to_dict(orient="records")


@dataclass
class Key:
    """A workspace-wide endpoint key and the ways to call with it."""

    raw: str
    row: EndpointKey
    pipeline: int  # the batch endpoint's id
    rows: list[dict[str, Any]]

    def batch(self) -> tuple[int, str | None]:
        """A batch call: (status, Retry-After)."""
        response = key_client(self.raw).post(
            f"/api/endpoints/{self.pipeline}/invoke/", {"parameters": {"where": "a>9"}}, "json"
        )
        return response.status_code, response.headers.get("Retry-After")

    def score(self, port: int) -> tuple[int, str | None]:
        """A real-time call to the scoring process on `port`: (status, Retry-After)."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.raw}"}
        conn.request("POST", f"/score/endpoints/{REALTIME}/", json.dumps(self.rows), headers)
        response = conn.getresponse()
        status, body = response.status, json.loads(response.read())
        conn.close()
        assert status in (200, 429), body
        return status, response.getheader("Retry-After")


def make_key(published: Published, rows: list[dict[str, Any]], rate: int) -> Key:
    editor = published.team.client("editor")
    raw = new_key(editor, published.team.workspace.pk, None, rate_per_minute=rate)
    return Key(raw, EndpointKey.objects.get(prefix=raw[:12]), published.id, rows)


def deployment(folder: Path, scorer: Scorer, key: Key) -> ArtifactStore:
    """An artifact store of this test's (in `folder`) serving the real-time endpoint to `key`."""
    store = ArtifactStore(folder)
    route = EndpointRoute(REALTIME, key.row.workspace_id, True, {1: 1}, 1, None)
    grant = KeyRoute(key.row.pk, key.row.workspace_id, None, key.row.rate_per_minute, key.raw[:12])
    bundles = {1: put(store, scorer)}
    publish(store, lambda: RouteTable({REALTIME: route}, {key_hash(key.raw): grant}, bundles))
    return store


def key_updates(queries: CaptureQueriesContext) -> list[str]:
    table = EndpointKey._meta.db_table
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')]


def collected_use(key: Key, store: ArtifactStore, after: float) -> list[str]:
    """Wait until a stats record says the key was used after `after`, collect every record;
    the key's UPDATE statements that the collection ran."""
    deadline = time.monotonic() + 60
    while True:
        seen = [
            json.loads(store.record(r.key) or b"{}").get("keys", {}).get(str(key.row.pk), 0.0)
            for r in stats.latest_records(store)
        ]
        if max(seen, default=0.0) > after:
            break
        assert time.monotonic() < deadline, "the scoring process wrote no key use"
        time.sleep(0.05)
    with CaptureQueriesContext(connection) as queries:
        monitoring.collect(store)
    return key_updates(queries)


def test_real_time_calls_move_last_used_with_one_write_per_burst(
    published: Published,
    trained: tuple[Scorer, list[dict[str, Any]]],
    settings: Any,
    tmp_path: Path,
) -> None:
    key = make_key(published, trained[1], rate=10_000)
    settings.REDIS_URL = ""
    settings.DESIGNER_SCORING_BUNDLES = tmp_path / "scoring"
    store = deployment(tmp_path / "store", trained[0], key)
    with scoring_process(settings.DESIGNER_SCORING_BUNDLES, store=store.root, workers=2) as port:
        assert key.row.last_used_at is None
        started = time.time()
        assert {key.score(port)[0] for _ in range(30)} == {200}
        assert len(collected_use(key, store, started)) == 1
        key.row.refresh_from_db()
        assert key.row.last_used_at is not None and key.row.last_used_at.timestamp() >= started

        # a key last used two minutes ago moves forward once per burst, within a minute
        long_ago = timezone.now() - timedelta(minutes=2)
        EndpointKey.objects.filter(pk=key.row.pk).update(last_used_at=long_ago)
        started = time.time()
        assert {key.score(port)[0] for _ in range(30)} == {200}
        assert len(collected_use(key, store, started)) == 1
        key.row.refresh_from_db()
        stamped = key.row.last_used_at
        assert stamped is not None and stamped.timestamp() >= started
        started = time.time()
        assert {key.score(port)[0] for _ in range(30)} == {200}
        assert collected_use(key, store, started) == []
        key.row.refresh_from_db()
        assert key.row.last_used_at == stamped

    listed = published.team.client("editor").get(
        f"/api/workspaces/{published.team.workspace.pk}/endpoint-keys/"
    )
    shown = next(k for k in listed.json()["results"] if k["prefix"] == key.raw[:12])
    assert shown["last_used_at"] is not None


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The Redis that make test starts (TEST_REDIS_URL), on a database index of our own."""
    url = workers.redis_url(REDIS_DB)
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: the distributed rate limit needs a Redis server")
    yield url


RATE = 3  # calls a minute: 3 at once, then one every 20 s (the test takes far less)


def calls_through(key: Key, ports: list[int]) -> list[Any]:
    """Two rounds of: a batch call, then one call to each scoring process."""
    one = [key.batch, *[lambda port=port: key.score(port) for port in ports]]
    return one + one


def test_batch_and_two_scoring_processes_share_a_key_budget_on_one_host(
    published: Published,
    trained: tuple[Scorer, list[dict[str, Any]]],
    settings: Any,
    tmp_path: Path,
) -> None:
    key = make_key(published, trained[1], rate=RATE)
    settings.REDIS_URL = ""
    folder = settings.DESIGNER_SCORING_BUNDLES = tmp_path / "scoring"
    store = deployment(tmp_path / "store", trained[0], key).root
    with (
        scoring_process(folder, store=store) as first,
        scoring_process(folder, store=store) as second,
    ):
        answers = [call() for call in calls_through(key, [first, second])]
    check(answers)


def check(answers: list[tuple[int, str | None]]) -> None:
    """The first RATE calls pass (202 batch, 200 real-time), every later one is a 429 with a
    Retry-After of 1 to 20 s."""
    assert [status in (200, 202) for status, _ in answers] == [True] * RATE + [False] * (
        len(answers) - RATE
    ), answers
    assert {status for status, _ in answers[RATE:]} == {429}, answers
    assert all(1 <= int(after or 0) <= 20 for _, after in answers[RATE:]), answers


def test_with_redis_every_host_shares_a_key_budget(
    published: Published,
    trained: tuple[Scorer, list[dict[str, Any]]],
    settings: Any,
    tmp_path: Path,
    redis_url: str,
) -> None:
    key = make_key(published, trained[1], rate=RATE)
    redis.Redis.from_url(redis_url).delete(redis_key(key.row.pk))  # ids repeat across test runs
    settings.REDIS_URL = redis_url
    settings.DESIGNER_SCORING_BUNDLES = tmp_path / "web"  # a host of its own, as each process
    store = deployment(tmp_path / "store", trained[0], key).root
    hosts = [tmp_path / f"host{n}" for n in (1, 2)]
    with ExitStack() as stack:
        ports = [
            stack.enter_context(scoring_process(h, store=store, env={"REDIS_URL": redis_url}))
            for h in hosts
        ]
        answers = [call() for call in calls_through(key, ports)]
    check(answers)
