"""A floor of free disk space: a write that would take a filesystem below it is refused.

The server's database, logs and artifact folder usually share one disk, and a full disk takes
every workspace down; so a folder store given a floor (`ArtifactStore(min_free=)`) refuses the
bytes that would leave less than it free, before writing them (decision 0078). The floor is
the caller's to set (the server's `DESIGNER_MIN_FREE_DISK_MB`); nothing here reads settings.
"""

from __future__ import annotations

import os

from designer.engine.memory import MB

SETTING = "DESIGNER_MIN_FREE_DISK_MB"  # how the server's operators set it (messages name it)


class DiskNearlyFull(Exception):
    """Writing would take the filesystem below its floor of free space (nothing was written)."""

    def __init__(self, free: int, floor: int, adding: int = 0):
        self.free, self.floor, self.adding = free, floor, adding
        super().__init__(nearly_full(free, floor, adding))


def free_bytes(path: str | os.PathLike[str]) -> int:
    """Bytes an unprivileged writer may still use on the filesystem holding `path` (the nearest
    existing folder above it, when it does not exist yet)."""
    folder = os.path.abspath(os.fspath(path))
    while not os.path.exists(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


def nearly_full(free: int, floor: int, adding: int = 0) -> str:
    """The sentence a refused write (or upload, or run) gets: the free space and the floor."""
    writing = f"; writing {_mb(adding)} more would go below it" if adding else ""
    return (
        f"the server's disk is nearly full: {_mb(free)} free, the floor is {_mb(floor)} "
        f"({SETTING}){writing}"
    )


def check(path: str | os.PathLike[str], floor: int, adding: int = 0) -> None:
    """Raise DiskNearlyFull when writing `adding` bytes on `path`'s filesystem would leave less
    than `floor` bytes free (a floor of 0: never)."""
    if floor <= 0:
        return
    free = free_bytes(path)
    if free - adding < floor:
        raise DiskNearlyFull(free, floor, adding)


def _mb(size: int) -> str:
    """Whole megabytes, rounded down but never to 0 for a few bytes: '1,234 MB', '0.4 MB'."""
    if 0 < size < MB:
        return f"{size / MB:.1f} MB"
    return f"{size // MB:,} MB"
