"""Cron fire times in a time zone: the stated policy across DST changes, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from designer.endpoints.cron import cron_problem, fire_times, next_fire_times, zone_problem


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def between(expression: str, zone: str, start: str, end: str) -> list[str]:
    times = fire_times(expression, zone, utc(start))
    out = []
    for instant in times:
        if instant >= utc(end):
            return out
        out.append(instant.strftime("%m-%d %H:%M"))
    raise AssertionError("unreachable")


def test_spring_forward_a_skipped_wall_time_fires_when_the_clock_jumps() -> None:
    # Europe/Berlin, 2026-03-29: 02:00 CET (01:00Z) jumps to 03:00 CEST
    assert between("15 * * * *", "Europe/Berlin", "2026-03-29T00:00", "2026-03-29T04:00") == [
        "03-29 00:15",  # 01:15 CET
        "03-29 01:00",  # 02:15 does not exist: fired at the jump
        "03-29 01:15",  # 03:15 CEST
        "03-29 02:15",
        "03-29 03:15",
    ]
    assert between("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00", "2026-03-31T12:00") == [
        "03-28 01:30",
        "03-29 01:00",
        "03-30 00:30",
        "03-31 00:30",
    ]


def test_fall_back_a_repeated_wall_time_fires_once_at_its_first_occurrence() -> None:
    # Europe/Berlin, 2026-10-25: 03:00 CEST (01:00Z) falls back to 02:00 CET
    assert between("15 * * * *", "Europe/Berlin", "2026-10-25T00:00", "2026-10-25T04:00") == [
        "10-25 00:15",  # 02:15 CEST; 02:15 CET (01:15Z) does not fire again
        "10-25 02:15",  # 03:15 CET
        "10-25 03:15",
    ]
    assert between("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00", "2026-10-26T12:00") == [
        "10-25 00:30",
        "10-26 01:30",
    ]


def test_same_instant_fires_once_and_other_zones() -> None:
    # 02:30 (skipped) and 03:00 both land on 01:00Z on the spring day: one fire
    assert between("0,30 2-3 * * *", "Europe/Berlin", "2026-03-29T00:00", "2026-03-29T02:00") == [
        "03-29 01:00",
        "03-29 01:30",
    ]
    assert next_fire_times("0 9 * * 1-5", "America/New_York", utc("2026-03-06T00:00"), 2) == [
        utc("2026-03-06T14:00"),  # EST
        utc("2026-03-09T13:00"),  # EDT from Sunday the 8th
    ]
    assert next_fire_times("@daily", "UTC", utc("2026-01-01T00:00"), 1) == [utc("2026-01-02")]


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("* * * *", "five fields"),
        ("0 0 * * * *", "five fields"),
        ("61 * * * *", "not a valid"),
        ("@sometimes", "unknown macro"),
        ("", "five fields"),
    ],
)
def test_bad_expressions_are_named(expression: str, fragment: str) -> None:
    problem = cron_problem(expression)
    assert problem is not None and fragment in problem


def test_zones_must_be_iana_names() -> None:
    assert zone_problem("Europe/Berlin") is None and zone_problem("UTC") is None
    assert "unknown time zone" in (zone_problem("Mars/Olympus") or "")
    assert "unknown time zone" in (zone_problem("../../etc/passwd") or "")
