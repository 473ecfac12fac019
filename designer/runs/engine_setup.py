"""The engine objects a run needs, built from settings: store, cache, datasets, runners."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from designer.engine.cache import Cache, FileCache, NullCache
from designer.engine.datasets import StoredDatasets
from designer.engine.machine import Policy
from designer.engine.memory import MB
from designer.engine.objectstore import ObjectStore, store_environment
from designer.engine.runners.docker import DockerRunner, run_in_container
from designer.engine.runners.local import LocalRunner
from designer.engine.runners.routing import RoutingRunner, no_engine_result, step_image
from designer.engine.store import ArtifactStore, open_store
from designer.runs.cache_index import DatabaseCache
from designer.runs.models import Run

# what every step process imports before its first step (the local workers, Celery's pool):
# the libraries and the scikit-learn parts the built-in modules use (~0.2 s of a first run),
# the sample datasets' loader included (sklearn imports it lazily: ~90 ms of a first sample step)
PRELOAD = (
    "pandas",
    "pyarrow",
    "sklearn.compose",
    "sklearn.datasets",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.pipeline",
    "sklearn.preprocessing",
)


@cache
def artifact_store() -> ArtifactStore:
    """The content-addressed store every run writes to (shared with the workers): the folder
    DESIGNER_ARTIFACT_ROOT, or the object store DESIGNER_ARTIFACT_STORE names."""
    return open_store(settings.DESIGNER_ARTIFACT_STORE or settings.DESIGNER_ARTIFACT_ROOT)


@cache
def log_store() -> ArtifactStore:
    """Where step logs are stored: the artifact store, without fsyncs when it is a folder (a log
    chunk is as durable as the log files it replaced; a damaged one is never believed)."""
    store = artifact_store()
    return store if isinstance(store, ObjectStore) else ArtifactStore(store.root, durable=False)


def workspace_cache(workspace_id: int) -> Cache:
    """One workspace's result cache index: in the database for Celery workers, which may be on
    any host; beside the artifact folder for the embedded server and its worker processes.

    Each workspace has its own: a step is only ever reused from a run of the same workspace, so
    reuse never tells a user that another workspace computed the same thing (or names its run).
    The stored bytes stay shared (content-addressed), which reveals nothing.
    """
    if settings.DESIGNER_RUNNER == "celery":
        return DatabaseCache(workspace_id)
    return _file_cache(workspace_id)


@lru_cache(maxsize=64)  # open SQLite connections this process keeps
def _file_cache(workspace_id: int) -> FileCache:
    return FileCache(settings.DESIGNER_ARTIFACT_ROOT, _file_cache_name(workspace_id))


def _file_cache_name(workspace_id: int) -> str:
    return f"caches/workspace-{workspace_id}.sqlite3"


def empty_workspace_storage(workspace_id: int) -> None:
    """Remove what the stores keep under a workspace's id outside the database: its registered
    datasets and its folder cache index (its database cache rows go with the workspace's row).
    For a deleted workspace, and for a new one: a workspace id can come back (a database
    restored from a backup, a transaction rolled back on SQLite), and a new workspace must not
    find the datasets or reuse the results of the one that had its id before."""
    dataset_store(workspace_id).delete_all()
    if (Path(settings.DESIGNER_ARTIFACT_ROOT) / _file_cache_name(workspace_id)).exists():
        _file_cache(workspace_id).clear()


def prune_caches(keep: Callable[[str], bool]) -> int:
    """Drop every workspace's cache entries with an output `keep` rejects; how many went."""
    if settings.DESIGNER_RUNNER == "celery":
        return DatabaseCache.prune_all(keep)
    folder = Path(settings.DESIGNER_ARTIFACT_ROOT) / "caches"
    paths = sorted(folder.glob("workspace-*.sqlite3"))
    return sum(_file_cache(int(p.stem.removeprefix("workspace-"))).prune(keep) for p in paths)


def cache_for(run: Run) -> Cache:
    """The cache a run uses: its workspace's, or a null cache when it bypasses the cache."""
    return NullCache() if run.options.get("bypass_cache") else workspace_cache(run.workspace_id)


def graph_scope(graph_id: int) -> str:
    """The cache history scope: one per graph, so re-runs are explained against the last one."""
    return f"graph:{graph_id}"


def scope(run: Run) -> str:
    """The cache history scope of a run's graph."""
    return graph_scope(run.graph_version.graph_id)


def policy_options() -> dict[str, Any]:
    """The step policy a new run is saved with (from settings): see `policy`."""
    return {
        "retries": settings.DESIGNER_STEP_RETRIES,
        "backoff": settings.DESIGNER_RETRY_BACKOFF,
        "timeout": settings.DESIGNER_STEP_TIMEOUT,
    }


def policy(run: Run) -> Policy:
    """A run's retries, backoff and default step timeout, as saved when it started."""
    saved = {**policy_options(), **(run.options.get("policy") or {})}
    return Policy(retries=saved["retries"], backoff=saved["backoff"], timeout=saved["timeout"])


def dataset_space(run: Run) -> str:
    """The space of the artifact store whose registered datasets a run's steps see: its
    workspace's."""
    return str(run.workspace_id)


def dataset_store(workspace_id: int) -> StoredDatasets:
    """A workspace's registered datasets (in the artifact store)."""
    return StoredDatasets(artifact_store(), str(workspace_id))


def container_runner(capacity: int) -> DockerRunner:
    """Runs steps whose module names an image, on the Docker engine DOCKER_HOST names."""
    return DockerRunner(
        capacity,
        read_only=settings.DESIGNER_MODULE_PATHS,
        memory_limit=settings.DESIGNER_CONTAINER_MEMORY,
    )


def worker_memory_limit() -> int:
    """Bytes a step's worker (local or a Celery pool process) may hold; 0: no bound."""
    return int(settings.DESIGNER_WORKER_MAX_MEMORY_MB) * MB


def step_runner(workers: int, preload: Sequence[str], *, started: bool = False) -> RoutingRunner:
    """Warm local worker processes, and containers for the steps that name an image.

    The workers get the object store's settings (they write outputs to it), nothing else.
    They start on first use, or now when `started` (importing `preload` in the background).
    Each may hold DESIGNER_WORKER_MAX_MEMORY_MB: its step fails past it (decision 0074).
    """
    local = LocalRunner(
        workers,
        preload=preload,
        env=store_environment(),
        memory_limit=worker_memory_limit() or None,
    )
    if started:
        local.start()
    return RoutingRunner(local, lambda: container_runner(workers))


@cache
def _worker_containers() -> DockerRunner:
    return container_runner(1)


def run_step_in_image(
    task: dict[str, Any], send: Callable[[str, dict[str, Any]], None]
) -> dict[str, Any]:
    """Run a Celery worker's step in its image (one container runner per worker process)."""
    try:
        runner = _worker_containers()
    except Exception as exc:
        return no_engine_result(str(step_image(task)), exc)
    return run_in_container(task, send, runner)
