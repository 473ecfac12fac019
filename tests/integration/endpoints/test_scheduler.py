"""Schedules on an injected clock: fire instants across DST changes, missed fires, exactly once.

The scheduler's `tick(now)` is driven with simulated times; fires start real calls (runs on the
embedded runner). The exactly-once test runs two scheduler processes against the test
database at once — SQLite here, PostgreSQL when the suite runs with DATABASE_URL set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from designer.endpoints import services
from designer.endpoints.models import Endpoint, Invocation, Schedule, ScheduleFire
from designer.endpoints.scheduler import tick
from tests.integration.endpoints.conftest import Published, key_client, wait_call

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]
PARAMS = {"where": "a > 0"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def schedule(published: Published, now: datetime, cron: str, **extra) -> Schedule:
    endpoint = Endpoint.objects.get(pk=published.id)
    return services.create_schedule(
        endpoint, None, now=now, cron=cron, timezone="Europe/Berlin", parameters=PARAMS, **extra
    )


def drive(start: datetime, end: datetime, step: timedelta) -> list[tuple[datetime, datetime]]:
    """Tick from start to end; (tick time, fire time) of every fire made."""
    made, now = [], start
    while now < end:
        made += [(now, claim.fire_time) for claim in tick(now)]
        now += step
    return made


def test_fires_at_the_right_instants_across_both_dst_changes(published: Published) -> None:
    step = timedelta(seconds=30)
    for day, expected in [
        ("2026-03-29", ["00:15", "01:00", "01:15", "02:15", "03:15"]),  # spring forward
        ("2026-10-25", ["00:15", "02:15", "03:15"]),  # fall back: 02:15 once
    ]:
        start = utc(f"{day}T00:00")
        hourly = schedule(published, start, "15 * * * *")
        made = drive(start, start + timedelta(hours=4), step)
        fired = [fire for _, fire in made]
        assert [t.strftime("%H:%M") for t in fired] == expected, day
        assert all(timedelta(0) <= now - fire < step for now, fire in made)  # on time
        assert ScheduleFire.objects.filter(schedule=hourly).count() == len(expected)
        calls = Invocation.objects.filter(schedule=hourly)
        assert calls.count() == len(expected)
        hourly.delete()


def test_missed_fires_run_once_or_are_skipped(published: Published) -> None:
    start = utc("2026-05-01T10:00")
    once = schedule(published, start - timedelta(minutes=1), "0 * * * *")
    skip = schedule(published, start - timedelta(minutes=1), "0 * * * *", missed="skip")
    assert {fire.schedule_id for fire in tick(start)} == {once.pk, skip.pk}
    # the scheduler is down from 10:00 to 15:10: fire times 11:00 … 15:00 are missed
    back = utc("2026-05-01T15:10")
    made = tick(back)
    assert [(f.schedule_id, f.fire_time) for f in made] == [(once.pk, utc("2026-05-01T11:00"))]
    for kept in (once, skip):
        kept.refresh_from_db()
        assert kept.next_fire_at == utc("2026-05-01T16:00")
    assert tick(back + timedelta(seconds=5)) == []
    assert {f.schedule_id for f in tick(utc("2026-05-01T16:00:20"))} == {once.pk, skip.pk}


def test_a_refused_call_is_recorded_on_its_fire(published: Published) -> None:
    start = utc("2026-06-01T08:00")
    hourly = schedule(published, start - timedelta(minutes=1), "0 * * * *")
    Endpoint.objects.filter(pk=published.id).update(enabled=False)
    [fire] = tick(start)
    assert fire.invocation is None and "disabled" in fire.error
    assert ScheduleFire.objects.get(schedule=hourly).error == fire.error


def test_a_schedules_fires_show_the_run_each_call_started_and_how_it_went(
    published: Published,
) -> None:
    start = utc("2026-06-01T08:00")
    hourly = schedule(published, start - timedelta(minutes=1), "0 * * * *")
    editor = published.team.client("editor")
    [made] = tick(start)
    wait_call(editor, made.invocation.pk)
    Endpoint.objects.filter(pk=published.id).update(enabled=False)
    tick(start + timedelta(hours=1))  # refused: the endpoint is disabled

    listed = editor.get(f"/api/endpoints/{published.id}/schedules/").json()["results"]
    [shown] = [s for s in listed if s["id"] == hourly.pk]
    latest, first = shown["recent_fires"][:2]
    assert (latest["invocation"], latest["run"], latest["status"]) == (None, None, None)
    assert "disabled" in latest["error"]
    assert first["run"] == made.invocation.run_id and first["status"] == "succeeded"


def _process_env() -> dict[str, str]:
    database = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database["ENGINE"].endswith("postgresql"):
        auth = quote(database["USER"]) + (
            f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
        )
        env["DATABASE_URL"] = (
            f"postgres://{auth}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        )
    else:
        env["DESIGNER_DATA_DIR"] = str(Path(database["NAME"]).parent)
    env.update(
        DJANGO_SETTINGS_MODULE="designer.settings",
        DESIGNER_RUNNER="local",
        DESIGNER_ARTIFACT_ROOT=str(settings.DESIGNER_ARTIFACT_ROOT),
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    return env


def test_two_scheduler_processes_fire_each_time_exactly_once(published: Published) -> None:
    # one call first, so every fire is served from the cache inside its transaction
    caller = key_client(published.key)
    first = caller.post(f"/api/endpoints/{published.id}/invoke/", {"parameters": PARAMS}, "json")
    assert wait_call(caller, first.json()["id"])["status"] == "succeeded"
    start = utc("2026-07-01T00:00")
    every5 = schedule(published, start - timedelta(seconds=1), "*/5 * * * *")
    go = Path(tempfile.mkdtemp(prefix="designer-sched-")) / "go"
    command = [sys.executable, "-m", "tests.integration.endpoints.scheduler_process"]
    args = [start.isoformat(), "20", str(6 * 180), str(go)]  # 6 simulated hours, 20 s ticks
    processes = [
        subprocess.Popen(
            [*command, *args], cwd=ROOT, env=_process_env(), stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    go.touch()
    outputs = [process.communicate(timeout=240)[0] for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    made = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    expected = [(start + timedelta(minutes=5 * i)).isoformat() for i in range(72)]
    assert sorted(made[0] + made[1]) == expected  # every fire time once, none twice
    assert all(made), f"one process made no fire: {[len(m) for m in made]}"
    fires = ScheduleFire.objects.filter(schedule=every5)
    assert fires.count() == 72 and fires.filter(invocation__isnull=True).count() == 0
    assert Invocation.objects.filter(schedule=every5).count() == 72
    statuses = set(Invocation.objects.filter(schedule=every5).values_list("run__status", flat=True))
    assert statuses == {"succeeded"}
