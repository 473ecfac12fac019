"""A transition's step tasks go to the broker in one batch, or one by one when the batch fails:
either way every task is handed to Redis."""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

import pytest
from kombu.transport import redis as kombu_redis

from designer.runs import distributed


def _puts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(task id, whether batched) of every message the Redis transport is asked to deliver."""
    put = kombu_redis.Channel._put
    seen: list[tuple[str, bool]] = []

    def recording(self: Any, queue: str, message: dict[str, Any], **kwargs: Any) -> Any:
        seen.append((message["headers"]["id"], "_publish_batch" in kwargs))
        return put(self, queue, message, **kwargs)

    monkeypatch.setattr(kombu_redis.Channel, "_put", recording)
    return seen


def _sends(count: int) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
    run_id = 10**9 + uuid.uuid4().int % 10**6  # no such run: the worker's claims drop them
    return run_id, [(f"s{i}", {"attempt": 1}) for i in range(count)]


def test_several_step_tasks_go_in_one_batch(
    celery_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _puts(monkeypatch)
    run_id, sends = _sends(5)
    distributed._send_steps(run_id, sends)
    assert seen == [(f"run{run_id}-s{i}-1", True) for i in range(5)]


def test_a_failed_batch_is_sent_one_by_one(
    celery_worker: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _puts(monkeypatch)

    def broken(self: Any) -> None:
        raise kombu_redis.BatchPublishError("Redis publish batch failed; delivery is uncertain")

    monkeypatch.setattr(kombu_redis.PublishBatch, "flush", broken)
    run_id, sends = _sends(5)
    distributed._send_steps(run_id, sends)
    names = [f"run{run_id}-s{i}-1" for i in range(5)]
    assert [name for name, batched in seen if not batched] == names
