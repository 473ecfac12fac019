"""The engine's result cache index in the database: what Celery workers on any host share.

`engine.cache.FileCache` keeps the index in SQLite beside a folder store, which one host (or
one server process and its workers) can share; hosts that share only PostgreSQL, Redis and the
store need it here. Writes are upserts (several workers may record the same fingerprint), and
they join the caller's transaction when there is one, so a step's result and its cache entry
commit together. Entries are per workspace, like the folder caches (engine_setup.workspace_cache);
the history is per graph scope, which belongs to one workspace.
"""

from __future__ import annotations

from collections.abc import Callable

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import CacheEntry, Previous
from designer.runs.models import CachedResult, CacheHistory


class DatabaseCache:
    """engine.cache.Cache over the CachedResult and CacheHistory tables, for one workspace."""

    bypass = False

    def __init__(self, workspace_id: int):
        self.workspace_id = workspace_id

    def get(self, fingerprint: str) -> CacheEntry | None:
        row = CachedResult.objects.filter(
            workspace_id=self.workspace_id, fingerprint=fingerprint
        ).first()
        if row is None:
            return None
        outputs = {port: OutputRecord.from_dict(info) for port, info in row.outputs.items()}
        return CacheEntry(row.fingerprint, row.run_id, row.node, outputs, row.created)

    def put(self, entry: CacheEntry) -> None:
        row = CachedResult(
            workspace_id=self.workspace_id,
            fingerprint=entry.fingerprint,
            run_id=entry.run_id,
            node=entry.node,
            outputs={port: record.to_dict() for port, record in entry.outputs.items()},
            created=entry.created,
        )
        CachedResult.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["workspace", "fingerprint"],
            update_fields=["run_id", "node", "outputs", "created"],
        )

    def previous(self, scope: str, node: str) -> Previous | None:
        row = CacheHistory.objects.filter(scope=scope, node=node).first()
        return None if row is None else Previous(row.fingerprint, row.material, row.run_id)

    def remember(self, scope: str, node: str, previous: Previous) -> None:
        row = CacheHistory(
            scope=scope,
            node=node,
            fingerprint=previous.fingerprint,
            material=previous.material,
            run_id=previous.run_id,
        )
        CacheHistory.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["scope", "node"],
            update_fields=["fingerprint", "material", "run_id"],
        )

    @staticmethod
    def prune_all(keep: Callable[[str], bool]) -> int:
        """Drop every workspace's entries with an output whose digest `keep` rejects."""
        gone = [
            pk
            for pk, outputs in CachedResult.objects.values_list("pk", "outputs").iterator()
            if not all(keep(info["digest"]) for info in outputs.values())
        ]
        CachedResult.objects.filter(pk__in=gone).delete()
        return len(gone)
