"""The engine objects a run needs, built from settings: artifact store, cache, dataset root."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings

from designer.engine.cache import Cache, FileCache, NullCache
from designer.engine.store import ArtifactStore
from designer.runs.dataset_services import store_for
from designer.runs.models import Run


@cache
def artifact_store() -> ArtifactStore:
    """The content-addressed store every run writes to (shared with the workers)."""
    return ArtifactStore(settings.DESIGNER_ARTIFACT_ROOT)


@cache
def file_cache() -> FileCache:
    """The result cache index beside the artifact store."""
    return FileCache(settings.DESIGNER_ARTIFACT_ROOT)


def cache_for(run: Run) -> Cache:
    """The cache a run uses: the shared one, or a null cache when it bypasses the cache."""
    return NullCache() if run.options.get("bypass_cache") else file_cache()


def scope(run: Run) -> str:
    """The cache history scope: one per graph, so re-runs are explained against the last one."""
    return f"graph:{run.graph_version.graph_id}"


def dataset_root(run: Run) -> Path:
    """The workspace's dataset folder that steps read registered datasets from."""
    return store_for(run.workspace_id).root
