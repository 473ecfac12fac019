"""Keeping storage in check: old runs beyond the retention setting go, then every artifact and
log no remaining run uses; and how much storage a workspace's runs and datasets take.

Kept: the last `DESIGNER_KEEP_RUNS` runs of each graph, pinned runs and unfinished runs; and
every artifact a kept run's steps name (outputs, the portable copies their summaries name,
their attempts' log chunks), every version of a registered dataset, and every artifact those
need to be read (the parent and patch of a table kept as a recipe, decision 0034). An object
younger than GRACE_SECONDS is never collected: a step may have stored it and not yet reported
it. Cache entries whose outputs are gone are dropped, so nothing is reused from a collected
artifact.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from designer.engine.datasets import dataset_digests, prune_indexes
from designer.engine.store import ArtifactError, ArtifactStore
from designer.runs import engine_setup, logs, records
from designer.runs.models import Run, RunRecord, RunStatus, StepRun
from designer.runs.packed import unpack

GRACE_SECONDS = 3600
FINAL = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED)


@dataclass
class Collected:
    """What a collection removed (or would remove, in a dry run)."""

    runs: int = 0
    objects: int = 0
    bytes: int = 0
    cache_entries: int = 0
    log_folders: int = 0


def _digests(outputs: dict[str, Any]) -> Iterable[str]:
    for info in outputs.values():
        yield info["digest"]
        export = (info.get("summary") or {}).get("export")
        if export:
            yield export["digest"]


def expired_runs(keep: int) -> list[int]:
    """Finished, unpinned runs older than the last `keep` runs of their graph."""
    expired: list[int] = []
    seen: dict[int, int] = {}
    rows = Run.objects.order_by("-created_at", "-id").values_list(
        "pk", "graph_version__graph_id", "pinned", "status"
    )
    for pk, graph, pinned, status in rows:
        seen[graph] = seen.get(graph, 0) + 1
        if seen[graph] > keep and not pinned and status in FINAL:
            expired.append(pk)
    return expired


def live_digests(store: ArtifactStore) -> set[str]:
    """Every artifact a remaining run's steps, a dataset or a real-time endpoint version (its
    scorer's bundle) name, and every artifact those need."""
    from designer.endpoints.models import EndpointVersion  # the endpoints app builds on runs

    live = dataset_digests(store)
    live.update(EndpointVersion.objects.exclude(bundle="").values_list("bundle", flat=True))
    for outputs, history in _step_records(StepRun.objects.all(), RunRecord.objects.all()):
        live.update(_digests(outputs))
        live.update(logs.chunk_digests(history))
    return with_requirements(store, live)


def _step_records(
    rows: QuerySet[StepRun], inline: QuerySet[RunRecord]
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(outputs, history) of every step, saved as a row or in an inline run's record."""
    yield from rows.values_list("outputs", "history").iterator()
    for steps, events in inline.values_list("steps", "events").iterator():
        outputs = records.outputs_by_step(unpack(events))
        for step in unpack(steps):
            yield outputs.get(step["key"], {}), step.get("history", [])


def with_requirements(store: ArtifactStore, digests: set[str]) -> set[str]:
    """`digests` and, transitively, every artifact they need to be read (recipes' inputs)."""
    needed = set(digests)
    todo = list(digests)
    while todo:
        try:
            required = store.requires(todo.pop())
        except (ArtifactError, OSError, ValueError):
            continue
        for digest in required:
            if digest not in needed:
                needed.add(digest)
                todo.append(digest)
    return needed


def collect(keep: int, *, dry_run: bool = False, grace: float = GRACE_SECONDS) -> Collected:
    """Delete expired runs, then the artifacts, cache entries and logs nothing uses any more."""
    done = Collected()
    expired = expired_runs(keep)
    done.runs = len(expired)
    if expired and not dry_run:
        Run.objects.filter(pk__in=expired).delete()
    store = engine_setup.artifact_store()
    live = live_digests(store)
    cutoff = time.time() - grace
    for stored in list(store.listing()):
        if stored.digest in live:
            continue
        if stored.modified > cutoff:
            continue  # maybe a step's output not reported yet
        done.objects += 1
        done.bytes += stored.size
        if not dry_run:
            store.delete(stored.digest)
    if not dry_run:
        done.cache_entries = engine_setup.prune_caches(store.exists)
        prune_indexes(store, before=time.time() - GRACE_SECONDS)  # superseded dataset indexes
    legacy_logs = Path(settings.DESIGNER_ARTIFACT_ROOT) / "logs"
    if legacy_logs.is_dir():
        runs = set(Run.objects.values_list("pk", flat=True))
        for folder in legacy_logs.iterdir():
            if folder.name.isdigit() and int(folder.name) not in runs:
                done.log_folders += 1
                if not dry_run:
                    shutil.rmtree(folder, ignore_errors=True)
    return done


def workspace_storage(workspace_id: int) -> dict[str, int]:
    """Bytes a workspace's runs keep (each artifact once), its logs, and its datasets."""
    store = engine_setup.artifact_store()
    digests: set[str] = set()
    logged = 0
    steps = StepRun.objects.filter(run__workspace_id=workspace_id)
    inline = RunRecord.objects.filter(run__workspace_id=workspace_id)
    for outputs, history in _step_records(steps, inline):
        digests.update(_digests(outputs))
        logged += sum(int(entry.get("bytes") or 0) for entry in history)
    datasets = engine_setup.dataset_store(workspace_id)
    versions = {v["version"] for name in datasets.names() for v in datasets.versions(name)}
    stored = _sizes(store, versions)
    # a dataset version an output is kept as a reference to is counted once, as a dataset's
    artifacts = _sizes(store, with_requirements(store, digests) - versions)
    runs = Run.objects.filter(workspace_id=workspace_id).count()
    return {
        "runs": runs,
        "artifacts_bytes": artifacts,
        "logs_bytes": logged,
        "datasets_bytes": stored,
        "total_bytes": artifacts + logged + stored,
    }


def _sizes(store: ArtifactStore, digests: Iterable[str]) -> int:
    total = 0
    for digest in digests:
        try:
            total += store.size(digest)
        except (ArtifactError, FileNotFoundError, ValueError):
            continue
    return total
