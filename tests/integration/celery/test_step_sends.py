"""A transition's step tasks go to the broker in one batch, or one by one when the batch fails:
either way every task is handed to Redis."""

from __future__ import annotations

import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kombu.transport import redis as kombu_redis

from designer.runs import distributed, heartbeat
from designer.runs.models import Run
from tests.support.workers import redis_url


def _puts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(task id, whether batched) of every message the Redis transport is asked to deliver."""
    put = kombu_redis.Channel._put
    seen: list[tuple[str, bool]] = []

    def recording(self: Any, queue: str, message: dict[str, Any], **kwargs: Any) -> Any:
        seen.append((message["headers"]["id"], "_publish_batch" in kwargs))
        return put(self, queue, message, **kwargs)

    monkeypatch.setattr(kombu_redis.Channel, "_put", recording)
    return seen


def _sends(count: int) -> tuple[Run, list[tuple[str, dict[str, Any]]]]:
    run_id = 10**9 + uuid.uuid4().int % 10**6  # no such run: the worker's claims drop them
    run = Run(pk=run_id, created_at=datetime.now(UTC))
    return run, [(f"s{i}", {"attempt": 1}) for i in range(count)]


def test_several_step_tasks_go_in_one_batch(
    celery_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _puts(monkeypatch)
    run, sends = _sends(5)
    distributed._send_steps(run, sends, 0)
    assert seen == [(f"run{run.pk}-s{i}-1", True) for i in range(5)]


def test_a_large_batch_hands_its_first_tasks_to_redis_before_building_the_rest(
    celery_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fan-out's first transition sends some 200 tasks: idle workers can start on the
    first ones while the others are still being built."""
    seen = _puts(monkeypatch)
    flush = kombu_redis.PublishBatch.flush

    def flushing(self: Any) -> None:
        seen.append(("flushed", bool(self._buffered)))
        flush(self)

    monkeypatch.setattr(kombu_redis.PublishBatch, "flush", flushing)
    run, sends = _sends(distributed.FIRST_SENDS + 3)
    distributed._send_steps(run, sends, 0)
    names = [(f"run{run.pk}-s{i}-1", True) for i in range(len(sends))]
    first = distributed.FIRST_SENDS
    assert seen == [*names[:first], ("flushed", True), *names[first:], ("flushed", True)]


def test_a_batch_failing_after_its_first_tasks_sends_the_others_one_by_one(
    celery_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _puts(monkeypatch)
    flush = kombu_redis.PublishBatch.flush
    flushes: list[int] = []

    def second_fails(self: Any) -> None:
        flushes.append(1)
        if len(flushes) > 1:
            raise kombu_redis.BatchPublishError("Redis publish batch failed; delivery is uncertain")
        flush(self)

    monkeypatch.setattr(kombu_redis.PublishBatch, "flush", second_fails)
    run, sends = _sends(distributed.FIRST_SENDS + 3)
    distributed._send_steps(run, sends, 0)
    names = [f"run{run.pk}-s{i}-1" for i in range(len(sends))]
    assert [name for name, batched in seen if not batched] == names[distributed.FIRST_SENDS :]


def test_a_step_message_shows_its_run_step_and_attempt_not_its_whole_task(
    celery_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What worker logs and task events show of a step task's arguments names the run, the
    step and the attempt; the task's inputs and module spec are not rendered for it."""
    headers: list[dict[str, Any]] = []
    put = kombu_redis.Channel._put

    def recording(self: Any, queue: str, message: dict[str, Any], **kwargs: Any) -> Any:
        headers.append(message["headers"])
        return put(self, queue, message, **kwargs)

    monkeypatch.setattr(kombu_redis.Channel, "_put", recording)
    run, _ = _sends(0)
    secret = "inputs-" + uuid.uuid4().hex
    sends = [(f"s{i}", {"attempt": 2, "inputs": {"dataset": secret}}) for i in range(2)]
    distributed._send_steps(run, sends[:1], 0)  # one alone
    distributed._send_steps(run, sends, 0)  # a batch
    stamp = distributed.run_stamp(run)
    assert [h["argsrepr"] for h in headers] == [
        f"({run.pk}, 's{i}', <task run{run.pk}-s{i}-2>, {stamp!r})" for i in (0, 0, 1)
    ]
    assert all(secret not in h["argsrepr"] and h["kwargsrepr"] == "{}" for h in headers)


def test_a_failed_batch_is_sent_one_by_one(
    celery_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _puts(monkeypatch)

    def broken(self: Any) -> None:
        raise kombu_redis.BatchPublishError("Redis publish batch failed; delivery is uncertain")

    monkeypatch.setattr(kombu_redis.PublishBatch, "flush", broken)
    run, sends = _sends(5)
    distributed._send_steps(run, sends, 0)
    names = [f"run{run.pk}-s{i}-1" for i in range(5)]
    assert [name for name, batched in seen if not batched] == names


@pytest.mark.django_db(transaction=True)  # the worker's claims look at the tables
def test_a_task_whose_attempt_was_started_in_place_is_dropped_where_it_is_received(
    celery_worker: subprocess.Popen[bytes], settings: Any
) -> None:
    """A fan-out sibling's report starts a queued attempt whose task is already sent: a worker
    receiving that task drops it there (no pool process runs it); a task of another run with
    the same id (another database's) is not dropped, nor one never taken."""
    settings.REDIS_URL = redis_url()  # the worker's
    run, sends = _sends(3)
    other = Run(pk=run.pk, created_at=run.created_at - timedelta(days=1))
    heartbeat.mark_taken(f"run{run.pk}-s0-1", distributed.run_stamp(run))
    heartbeat.mark_taken(f"run{run.pk}-s1-1", distributed.run_stamp(other))
    distributed._send_steps(run, sends, 0)
    log = Path(celery_worker.args[celery_worker.args.index("--logfile") + 1])  # type: ignore[index]
    ran = [f"run_step[run{run.pk}-s{i}-1] succeeded" for i in (1, 2)]
    deadline = time.monotonic() + 30
    while not all(line in log.read_text() for line in ran):
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)
    text = log.read_text()
    assert f"run_step[run{run.pk}-s0-1] succeeded" not in text
