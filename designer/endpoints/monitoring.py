"""Monitoring of real-time endpoints: the scoring processes' figures collected into the database,
and the per-version series the endpoint page and the API show.

Each scoring process writes its last hour of per-version, per-minute figures to a record of its
own in the artifact store every few seconds (`serving.stats`); `collect` upserts them as
ScoringMinute rows keyed by (version, minute, process) with the record's values, so collecting
the same record twice changes
nothing, and inserts the errors it has not seen yet (unique `ident`); the keys the processes let
through get their `last_used_at` moved (`keys.stamp_used`: at most once a minute per key).
Nothing is written per call. The embedded server collects every COLLECT_SECONDS on a thread
(`background.py`), as `manage.py run_scheduler` does in the distributed mode; reading the
monitoring API collects first, so the page is never more than a flush behind.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import close_old_connections, transaction
from django.utils import timezone

from designer.endpoints import deployment, keys
from designer.endpoints.models import Endpoint, EndpointVersion, ScoringError, ScoringMinute
from designer.engine.store import ArtifactStore
from designer.serving import stats

logger = logging.getLogger(__name__)
COLLECT_SECONDS = 10.0
KEEP_DAYS = 8  # minute rows kept (the longest window is a week)
KEEP_ERRORS = 50  # per version
STALE = timedelta(hours=2)  # a stats record unrenewed this long belongs to a process that ended


@dataclass(frozen=True)
class Window:
    """A span of time shown as points of `step` each."""

    span: timedelta
    step: timedelta


WINDOWS = {
    "hour": Window(timedelta(hours=1), timedelta(minutes=1)),
    "day": Window(timedelta(days=1), timedelta(minutes=15)),
    "week": Window(timedelta(days=7), timedelta(hours=1)),
}


def _minute(epoch_minute: int) -> datetime:
    return datetime.fromtimestamp(epoch_minute * 60, tz=UTC)


def collect(store: ArtifactStore | None = None) -> int:
    """Read every process's latest stats record into the database; returns the minute rows
    written. A record older than STALE belongs to a process that ended: it is deleted."""
    store = store or deployment.store()
    known = set(EndpointVersion.objects.filter(scoring__isnull=False).values_list("pk", flat=True))
    written = 0
    used: dict[int, float] = {}  # key id → the latest call any process let through
    for record in stats.latest_records(store):
        try:
            data = json.loads(store.record(record.key) or b"null")
        except ValueError:
            data = None
        if data is None:
            continue  # replaced meanwhile: the next collection reads the new one
        written += _store(data, known)
        for key_id, when in data.get("keys", {}).items():
            used[int(key_id)] = max(when, used.get(int(key_id), 0.0))
        if time.time() - record.created > STALE.total_seconds():
            store.delete_record(record.key)
    keys.stamp_used({pk: datetime.fromtimestamp(t, tz=UTC) for pk, t in used.items()})
    return written


def _store(data: dict[str, Any], known: set[int]) -> int:
    minutes = [
        ScoringMinute(
            version_id=m["version"],
            minute=_minute(m["minute"]),
            process=data["process"],
            calls=m["calls"],
            errors=m["errors"],
            rows=m["rows"],
            latency=m["latency"],
            inputs=m.get("inputs", {}),
        )
        for m in data["minutes"]
        if m["version"] in known
    ]
    errors = [
        ScoringError(
            version_id=e["version"],
            ident=e["id"],
            time=datetime.fromtimestamp(e["time"], tz=UTC),
            code=str(e["code"])[:64],
            detail=e["detail"],
            issues=e["issues"],
            input=e["input"],
            input_truncated=e["input_truncated"],
        )
        for e in data["errors"]
        if e["version"] in known
    ]
    with transaction.atomic():
        ScoringMinute.objects.bulk_create(
            minutes,
            update_conflicts=True,
            unique_fields=["version", "minute", "process"],
            update_fields=["calls", "errors", "rows", "latency", "inputs"],
        )
        ScoringError.objects.bulk_create(errors, ignore_conflicts=True)
    return len(minutes)


def prune(now: datetime | None = None) -> None:
    """Drop minute rows older than KEEP_DAYS and all but each version's last KEEP_ERRORS errors."""
    now = now or timezone.now()
    ScoringMinute.objects.filter(minute__lt=now - timedelta(days=KEEP_DAYS)).delete()
    for version_id in ScoringError.objects.values_list("version_id", flat=True).distinct():
        keep = ScoringError.objects.filter(version_id=version_id).values_list("pk", flat=True)
        ScoringError.objects.filter(version_id=version_id).exclude(
            pk__in=list(keep[:KEEP_ERRORS])
        ).delete()


def _point(start: datetime, rows: list[ScoringMinute]) -> dict[str, Any]:
    histogram = stats.merge(r.latency for r in rows)
    return {
        "start": start,
        "calls": sum(r.calls for r in rows),
        "errors": sum(r.errors for r in rows),
        "rows": sum(r.rows for r in rows),
        "p50_ms": stats.percentile(histogram, 50),
        "p99_ms": stats.percentile(histogram, 99),
    }


DRIFT_SHOWN = 10  # columns per version, the largest shifts first
ROUNDING = 4 * sys.float_info.epsilon  # of a variance from sums, relative to the sum of squares


def input_drift(
    rows: list[ScoringMinute], profile: dict[str, dict[str, float]]
) -> list[dict[str, Any]]:
    """Per numeric input column: the sampled live values' count, mean and standard deviation
    against the training rows', and the shift of the mean in training standard deviations
    (None when the training column is constant); the largest shifts first. The variance comes
    from running sums, whose rounding leaves a few machine epsilons of the sum of squares where
    nothing varied: within ROUNDING of it the standard deviation is 0 (not 2.58e-8 for one value
    sent again and again)."""
    sums: dict[str, list[float]] = {}
    for row in rows:
        for name, (count, total, squares) in row.inputs.items():
            into = sums.setdefault(name, [0, 0.0, 0.0])
            into[0] += count
            into[1] += total
            into[2] += squares
    columns = []
    for name, (count, total, squares) in sums.items():
        train = profile.get(name)
        if train is None or count == 0:
            continue
        mean = total / count
        spread = squares / count - mean * mean
        std = math.sqrt(spread) if spread > ROUNDING * squares else 0.0
        shift = (mean - train["mean"]) / train["std"] if train["std"] > 0 else None
        columns.append(
            {
                "column": name,
                "values": int(count),
                "mean": mean,
                "std": std,
                "training_mean": train["mean"],
                "training_std": train["std"],
                "shift": shift,
            }
        )
    columns.sort(key=lambda c: -abs(c["shift"] or 0.0))
    return columns[:DRIFT_SHOWN]


def summary(endpoint: Endpoint, window: str, now: datetime | None = None) -> dict[str, Any]:
    """Per version over the window: totals, p50/p99, a point per step and its input drift; the
    last errors."""
    shape = WINDOWS[window]
    now = now or timezone.now()
    step = shape.step.total_seconds()
    end = datetime.fromtimestamp((now.timestamp() // step + 1) * step, tz=UTC)
    first = end - shape.span
    count = int(shape.span / shape.step)
    rows = ScoringMinute.objects.filter(
        version__endpoint=endpoint, minute__gte=first, minute__lt=end
    ).only("version_id", "minute", "calls", "errors", "rows", "latency", "inputs")
    by_version: dict[int, list[list[ScoringMinute]]] = {}
    for row in rows:
        slots = by_version.setdefault(row.version_id, [[] for _ in range(count)])
        slots[int((row.minute - first) / shape.step)].append(row)
    versions = []
    for version in endpoint.versions.order_by("number"):
        slots = by_version.get(version.pk, [[] for _ in range(count)])
        total = _point(first, [r for slot in slots for r in slot])
        versions.append(
            {
                "number": version.number,
                "calls": total["calls"],
                "errors": total["errors"],
                "rows": total["rows"],
                "p50_ms": total["p50_ms"],
                "p99_ms": total["p99_ms"],
                "points": [_point(first + shape.step * i, slot) for i, slot in enumerate(slots)],
                "inputs": input_drift(
                    [r for slot in slots for r in slot],
                    (version.scoring or {}).get("input_profile", {}),
                ),
            }
        )
    errors = ScoringError.objects.filter(version__endpoint=endpoint).select_related("version")
    return {
        "window": window,
        "step_seconds": int(step),
        "start": first,
        "end": end,
        "versions": versions,
        "last_errors": [
            {
                "version": e.version.number,
                "time": e.time,
                "code": e.code,
                "detail": e.detail,
                "issues": e.issues,
                "input": e.input,
                "input_truncated": e.input_truncated,
            }
            for e in errors[:KEEP_ERRORS]
        ],
    }


def run(stop: threading.Event) -> None:
    """Make the deployment folder match the database once (bundles a fresh install or an
    upgrade lacks), then collect, prune and re-publish the routing table (repairing a lost
    write) every COLLECT_SECONDS until `stop`."""
    synced = False
    while not stop.is_set():
        try:
            if not synced:
                deployment.sync()
                synced = True
            collect()
            prune()
            deployment.publish_routes()
        except Exception:  # a failed round must not stop monitoring: log it, try again
            logger.exception("scoring monitor round failed")
        finally:
            close_old_connections()
        stop.wait(COLLECT_SECONDS)
