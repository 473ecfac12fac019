"""A transition's Redis writes (heartbeats of the attempts it starts, marks of the tasks it
sends) are in Redis once it waits for them, even when the connection they went out on broke."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis

from designer.runs import heartbeat
from tests.support.workers import redis_url


@pytest.fixture
def on_redis(settings: Any) -> redis.Redis:
    url = redis_url()
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: these tests need the Redis `make test` starts")
    settings.REDIS_URL = url
    settings.DESIGNER_HEARTBEAT_SECONDS = 1
    settings.DESIGNER_RESEND_SECONDS = 30
    return redis.Redis.from_url(url)


def test_beats_and_sent_marks_are_saved_with_their_lifetimes(on_redis: redis.Redis) -> None:
    beat, sent = f"run-{uuid.uuid4().hex}-a-1", f"run-{uuid.uuid4().hex}-b-1"
    heartbeat.Pending([beat], [sent]).wait()
    holder = on_redis.get(f"designer:heartbeat:{beat}")
    assert holder is not None and holder.decode() == heartbeat.holder()
    assert 0 < on_redis.pttl(f"designer:heartbeat:{beat}") <= 3000  # three beats
    assert heartbeat.sent_lately([sent]) == [True]
    assert 3000 < on_redis.pttl(f"designer:sent:{sent}") <= 30000


def test_writes_whose_answer_never_came_are_made_again(
    on_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = redis.connection.AbstractConnection.read_response
    failed: list[bool] = []

    def lost_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not failed:  # the connection the writes went out on broke before Redis answered
            failed.append(True)
            raise redis.ConnectionError("connection lost")
        return read(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "read_response", lost_once)
    beat, sent = f"run-{uuid.uuid4().hex}-a-1", f"run-{uuid.uuid4().hex}-b-1"
    heartbeat.Pending([beat], [sent]).wait()
    assert failed
    assert on_redis.exists(f"designer:heartbeat:{beat}", f"designer:sent:{sent}") == 2
