"""The scheduler: fires each due schedule exactly once, however many schedulers run.

Each schedule row holds `next_fire_at`, its first fire time not yet handled. A tick looks at
the enabled schedules whose `next_fire_at` has come and, per schedule:

- a fire time within GRACE of now is on time and fires;
- otherwise the fire times from `next_fire_at` on were missed (no scheduler was running): the
  `run_once` policy (the default) fires once for all of them, recorded at the first missed
  time; `skip` fires nothing;
- `next_fire_at` moves to the first fire time after now.

A fire is claimed by inserting ScheduleFire(schedule, fire_time) under a unique constraint in
the transaction that starts the call: a second scheduler racing for the same fire fails its
insert (PostgreSQL makes it wait for the first to commit; SQLite serializes writers) and does
nothing. A call the endpoint refuses (disabled, bad parameters) is recorded on the fire as its
error. The embedded server runs this loop on a thread (`background.py`); `manage.py
run_scheduler` runs it as a process of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Min
from django.utils import timezone

from designer.api_errors import ApiError
from designer.endpoints import services
from designer.endpoints.models import MissedFires, Schedule, ScheduleFire

logger = logging.getLogger(__name__)
GRACE = timedelta(seconds=60)  # a fire time noticed later than this was missed
MAX_SLEEP = 30.0  # seconds between ticks when nothing is due sooner
Clock = Callable[[], datetime]


def decide(schedule: Schedule, now: datetime) -> tuple[datetime | None, datetime]:
    """(the fire time to fire now, or None; the next fire time after now) for a due schedule."""
    pending = schedule.next_fire_at
    assert pending is not None
    recent = services.next_fire(schedule, max(now - GRACE, pending - timedelta(seconds=1)))
    upcoming = services.next_fire(schedule, now)
    if recent <= now:
        return recent, upcoming
    if schedule.missed == MissedFires.RUN_ONCE:
        return pending, upcoming
    return None, upcoming


def fire(schedule: Schedule, fire_time: datetime) -> ScheduleFire | None:
    """Claim one fire time and make its call; None when another scheduler already claimed it."""
    try:
        with transaction.atomic():
            claim = ScheduleFire.objects.create(schedule=schedule, fire_time=fire_time)
            try:
                with transaction.atomic():
                    call, _ = services.invoke(
                        schedule.endpoint,
                        services.Caller(schedule=schedule),
                        version=schedule.version.number if schedule.version else None,
                        parameters=schedule.parameters,
                        datasets=schedule.inputs,
                    )
                claim.invocation = call
            except ApiError as exc:
                claim.error = str(exc.detail.get("detail", exc.detail))
            claim.save(update_fields=["invocation", "error"])
    except IntegrityError:
        return None
    return claim


def tick(now: datetime) -> list[ScheduleFire]:
    """Handle every schedule due at `now`; returns the fires this call made."""
    made = []
    due = Schedule.objects.select_related("endpoint__workspace", "version").filter(
        enabled=True, next_fire_at__lte=now
    )
    for schedule in due.order_by("next_fire_at", "pk"):
        fire_time, upcoming = decide(schedule, now)
        if fire_time is not None:
            claim = fire(schedule, fire_time)
            if claim is not None:
                made.append(claim)
        Schedule.objects.filter(pk=schedule.pk, next_fire_at=schedule.next_fire_at).update(
            next_fire_at=upcoming
        )
    return made


def seconds_to_next(now: datetime) -> float:
    """How long the loop may sleep: until the next fire time, at most MAX_SLEEP."""
    soonest = Schedule.objects.filter(enabled=True).aggregate(t=Min("next_fire_at"))["t"]
    if soonest is None:
        return MAX_SLEEP
    return min(MAX_SLEEP, max(0.0, (soonest - now).total_seconds()))


def run(stop: threading.Event, clock: Clock = timezone.now) -> None:
    """Tick until `stop` is set, waking early when a schedule of this process changes."""
    while not stop.is_set():
        wait = MAX_SLEEP
        try:
            tick(clock())
            wait = seconds_to_next(clock())
        except Exception:  # a broken tick must not stop the schedules: log it, try again
            logger.exception("scheduler tick failed")
        finally:
            close_old_connections()
        services.schedules_changed.wait(wait)
        services.schedules_changed.clear()
