"""Room for more data: the server's floor of free disk space, and each workspace's quota.

Uploads, endpoint calls that send files and run starts ask here before anything is saved
(decision 0078). The disk is measured at each check (one statvfs); a workspace's storage
(`retention.workspace_storage`: 0.7 to 1.0 s for 10,000 step rows here) is measured at most every
USAGE_SECONDS per workspace and server process, and again at once after this process added or
deleted a dataset version or deleted a run.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings

from designer.api_errors import ApiError
from designer.engine import diskspace
from designer.engine.memory import MB
from designer.sizes import size_text

USAGE_SECONDS = 60.0  # how old a workspace's measured storage may be when a check uses it
QUOTA_SETTING = "DESIGNER_WORKSPACE_STORAGE_MB"

_measured: dict[int, tuple[float, int]] = {}  # workspace -> (monotonic time, total bytes)
_lock = threading.Lock()


def disk_floor() -> int:
    """Bytes the data disk keeps free (DESIGNER_MIN_FREE_DISK_MB); 0: no floor."""
    return max(0, settings.DESIGNER_MIN_FREE_DISK_MB) * MB


def quota() -> int | None:
    """Bytes a workspace may keep (DESIGNER_WORKSPACE_STORAGE_MB); None: no quota."""
    return settings.DESIGNER_WORKSPACE_STORAGE_MB * MB or None


def require_disk(adding: int = 0) -> None:
    """507 when the data disk (DESIGNER_ARTIFACT_ROOT's) has less than its floor free, or would
    after `adding` more bytes."""
    try:
        diskspace.check(settings.DESIGNER_ARTIFACT_ROOT, disk_floor(), adding)
    except diskspace.DiskNearlyFull as exc:
        said = str(exc)
        raise ApiError(
            507,
            "disk_nearly_full",
            f"{said[0].upper()}{said[1:]}; nothing was saved. The server's operator can free "
            "space (manage.py gc_artifacts removes old runs' outputs) or lower the floor.",
            free_bytes=exc.free,
            floor_bytes=exc.floor,
        ) from exc


def usage(workspace_id: int) -> int:
    """Bytes the workspace's runs and datasets take, measured at most USAGE_SECONDS ago."""
    with _lock:
        known = _measured.get(workspace_id)
    if known is not None and time.monotonic() - known[0] < USAGE_SECONDS:
        return known[1]
    from designer.runs.retention import workspace_storage  # it builds on the run models

    return measured(workspace_id, workspace_storage(workspace_id)["total_bytes"])


def measured(workspace_id: int, total: int) -> int:
    """Keep a workspace's storage just measured (`total` bytes) for the next checks."""
    with _lock:
        _measured[workspace_id] = (time.monotonic(), total)
    return total


def changed(workspace_id: int) -> None:
    """The workspace's storage changed here (a dataset version added or deleted, a run
    deleted): its next check measures it again."""
    with _lock:
        _measured.pop(workspace_id, None)


def require_quota(workspace_id: int) -> None:
    """409 when the workspace's storage is at or over its quota, naming both and what frees
    space."""
    limit = quota()
    if limit is None:
        return
    used = usage(workspace_id)
    if used >= limit:
        raise ApiError(
            409,
            "storage_quota_exceeded",
            f"This workspace stores {size_text(used)}, at or over its quota of "
            f"{size_text(limit)} ({QUOTA_SETTING}); nothing was saved. Delete runs or datasets "
            "it no longer needs to upload or run again (runs past each pipeline's last "
            "DESIGNER_KEEP_RUNS, unpinned, also go when the operator runs manage.py "
            "gc_artifacts).",
            used_bytes=used,
            quota_bytes=limit,
        )


def require_room(workspace_id: int, adding: int = 0) -> None:
    """Refuse (507, then 409) what would add data when the disk or the workspace has no room."""
    require_disk(adding)
    require_quota(workspace_id)
