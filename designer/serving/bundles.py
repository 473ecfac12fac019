"""Deployed versions on disk: one pickled Scorer per version id, written atomically by the
control plane and loaded (and reloaded when replaced) by every scoring process on its own."""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Generic, TypeVar

from designer.serving.scorer import Scorer

SUFFIX = ".scorer"
T = TypeVar("T")


def bundle_path(root: Path, version_id: int) -> Path:
    """Where a version's bundle lives (version ids are positive integers: no path tricks)."""
    if not isinstance(version_id, int) or isinstance(version_id, bool) or version_id < 1:
        raise ValueError(f"a version id is a positive integer, not {version_id!r}")
    return root / f"{version_id}{SUFFIX}"


def write_atomically(path: Path, data: bytes) -> None:
    """Write (or replace) a file so that readers see the old or the new bytes, never a part:
    temp file in the same folder (owner-only), fsync, rename, directory fsync."""
    root = path.parent
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp = tempfile.mkstemp(dir=root, prefix=".write-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
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


def deploy(root: Path, version_id: int, scorer: Scorer) -> Path:
    """Write (or replace) a version's bundle atomically."""
    path = bundle_path(root, version_id)
    write_atomically(path, pickle.dumps(scorer, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def undeploy(root: Path, version_id: int) -> bool:
    """Remove a version's bundle; scoring processes drop it on its next call."""
    try:
        bundle_path(root, version_id).unlink()
    except FileNotFoundError:
        return False
    return True


class BundleError(Exception):
    """A deployed bundle cannot be loaded (damaged, or written by an incompatible release)."""


class WatchedFile(Generic[T]):
    """A file's parsed contents, parsed again only when the file is replaced.

    `get` costs one stat(); None while the file does not exist.
    """

    def __init__(self, path: Path, parse: Callable[[BinaryIO], T]):
        self.path = path
        self.parse = parse
        self._held: tuple[tuple[int, int, int], T] | None = None
        self._lock = threading.Lock()

    def get(self) -> T | None:
        """The file's parsed contents as they are now."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._held = None
            return None
        held = self._held
        if held is not None and held[0] == _identity(stat):
            return held[1]
        with self._lock:
            try:
                with self.path.open("rb") as source:
                    identity = _identity(os.fstat(source.fileno()))
                    value = self.parse(source)
            except FileNotFoundError:
                self._held = None
                return None
            self._held = (identity, value)
        return value


def _identity(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _unpickle(source: BinaryIO) -> Scorer:
    try:
        scorer = pickle.load(source)
    except Exception as exc:  # a damaged or incompatible file: say so, never crash the call
        raise BundleError(f"the bundle cannot be loaded ({type(exc).__name__})") from exc
    if not isinstance(scorer, Scorer):
        raise BundleError("the bundle does not hold a scorer")
    return scorer


def load(root: Path, version_id: int) -> Scorer | None:
    """A deployed version's scorer read once (None when it has no bundle; BundleError)."""
    try:
        with bundle_path(root, version_id).open("rb") as source:
            return _unpickle(source)
    except FileNotFoundError:
        return None


class Loaded:
    """The scorers one process holds warm, by version id, kept in step with the bundle files:
    a replaced bundle is loaded again, a removed one is dropped (one stat() a call). Safe to
    call from several threads (a bundle is parsed under its file's lock)."""

    def __init__(self, root: Path):
        self.root = root
        self._files: dict[int, WatchedFile[Scorer]] = {}

    def get(self, version_id: int) -> Scorer | None:
        """The warm scorer of a deployed version, or None when it is not deployed
        (BundleError when its bundle cannot be loaded)."""
        watched = self._files.get(version_id)
        if watched is None:
            watched = WatchedFile(bundle_path(self.root, version_id), _unpickle)
            self._files[version_id] = watched
        scorer = watched.get()
        if scorer is None:
            self._files.pop(version_id, None)
        return scorer

    def versions(self) -> list[int]:
        """The version ids this process holds."""
        return sorted(self._files)


def deployed(root: Path) -> set[int]:
    """The version ids that have a bundle in `root`."""
    return {
        int(path.name.removesuffix(SUFFIX))
        for path in root.glob(f"*{SUFFIX}")
        if path.name.removesuffix(SUFFIX).isdigit()
    }
