"""Cron expressions in a time zone: validation, and fire times with a stated DST policy.

Expressions are standard five-field cron (minute hour day-of-month month day-of-week) or a
macro such as `@daily`, matched against wall-clock time in the schedule's IANA time zone:

- a wall-clock time that occurs twice (the autumn change) fires once, at its first occurrence;
- a wall-clock time that does not occur (the spring change) fires at the instant the clock
  jumps (02:30 in Europe/Berlin on the last Sunday of March fires at 03:00 CEST);
- two wall-clock times that land on the same instant fire once.

Pure functions over croniter (no Django): the scheduler passes the current time in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter

MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a schedule we accept, or None."""
    text = expression.strip()
    if text.startswith("@"):
        return None if text in MACROS else f"unknown macro {text!r}; use one of {sorted(MACROS)}"
    if len(text.split()) != 5:
        return "use five fields: minute hour day-of-month month day-of-week (e.g. '0 6 * * 1-5')"
    if not croniter.is_valid(text):
        return f"{text!r} is not a valid cron expression"
    return None


def zone_problem(name: str) -> str | None:
    """Why `name` is not an IANA time zone we know, or None."""
    if name not in _zones():
        return f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"time zone {name!r} has no data on this server"
    return None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a naive wall-clock time fires at, under the module's DST policy."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists (fold=0 is its first occurrence when repeated)
    # in a gap: the jump happens between the two readings of the wall time; find it
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    target = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def fire_times(expression: str, zone_name: str, after: datetime) -> Iterator[datetime]:
    """The fire times (UTC, increasing) strictly after the instant `after`."""
    zone = ZoneInfo(zone_name)
    # start an hour early in wall time so a jump just before `after` is not stepped over
    start = after.astimezone(zone).replace(tzinfo=None) - timedelta(hours=1)
    walls = croniter(expression.strip(), start)
    last: datetime | None = None
    while True:
        instant = _instant(walls.get_next(datetime), zone)
        if instant > after and instant != last:
            last = instant
            yield instant


def next_fire_times(expression: str, zone_name: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times after `after`."""
    times = fire_times(expression, zone_name, after)
    return [next(times) for _ in range(count)]
