"""Deployed versions on disk: one pickled Scorer per version id, written atomically by the
control plane and loaded (and reloaded when replaced) by every scoring process on its own."""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from designer.serving.scorer import Scorer

SUFFIX = ".scorer"


def bundle_path(root: Path, version_id: int) -> Path:
    """Where a version's bundle lives (version ids are positive integers: no path tricks)."""
    if not isinstance(version_id, int) or isinstance(version_id, bool) or version_id < 1:
        raise ValueError(f"a version id is a positive integer, not {version_id!r}")
    return root / f"{version_id}{SUFFIX}"


def deploy(root: Path, version_id: int, scorer: Scorer) -> Path:
    """Write (or replace) a version's bundle: temp file, fsync, rename, directory fsync."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = bundle_path(root, version_id)
    fd, temp = tempfile.mkstemp(dir=root, prefix=".deploy-")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(scorer, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(root, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path


def undeploy(root: Path, version_id: int) -> bool:
    """Remove a version's bundle; scoring processes drop it on its next call."""
    try:
        bundle_path(root, version_id).unlink()
    except FileNotFoundError:
        return False
    return True


@dataclass
class _Loaded:
    scorer: Scorer
    identity: tuple[int, int, int]  # (inode, size, mtime_ns) of the file it came from


def _identity(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


class Loaded:
    """The scorers one process holds warm, by version id, kept in step with the bundle files.

    `get` costs one stat(): a replaced bundle is loaded again, a removed one is dropped.
    """

    def __init__(self, root: Path):
        self.root = root
        self._scorers: dict[int, _Loaded] = {}
        self._lock = threading.Lock()

    def get(self, version_id: int) -> Scorer | None:
        """The warm scorer of a deployed version, or None when it is not deployed."""
        path = bundle_path(self.root, version_id)
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._scorers.pop(version_id, None)
            return None
        held = self._scorers.get(version_id)
        if held is not None and held.identity == _identity(stat):
            return held.scorer
        with self._lock:
            try:
                with path.open("rb") as source:
                    identity = _identity(os.fstat(source.fileno()))
                    scorer: Scorer = pickle.load(source)
            except FileNotFoundError:
                self._scorers.pop(version_id, None)
                return None
            self._scorers[version_id] = _Loaded(scorer, identity)
        return scorer

    def versions(self) -> list[int]:
        """The version ids this process holds."""
        return sorted(self._scorers)
