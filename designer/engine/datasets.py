"""FileDatasetStore: named datasets with content-addressed Parquet versions in a folder.

Layout under the root::

    <name>/<sha256>.parquet   one file per distinct version (its name is its content digest)
    <name>/versions.json      the versions, oldest first: [{"version", "created", "description",
                              "written_by"?: {"run", "node", "label"}}] (a step's write names it)
    <name>/.lock              serializes writers of that name (flock), across processes

Every file is written atomically (temp file, fsync, rename). Writing content that is already
a version reuses it (and makes it the latest again) instead of storing a copy; the version keeps
its first writer (a later identical write did not create it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from designer.engine.context import StepError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class DatasetNotFound(StepError, LookupError):
    """There is no dataset (or no such version) of that name."""


class FileDatasetStore:
    """context.DatasetStore over a folder; safe for several processes."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _dir(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
            raise StepError(
                f"invalid dataset name {name!r}: use letters, digits, '.', '_' and '-' "
                "(starting with a letter or digit)"
            )
        return self.root / name

    def names(self) -> list[str]:
        """Names of the datasets that have at least one version."""
        return sorted(p.parent.name for p in self.root.glob("*/versions.json"))

    def versions(self, name: str) -> list[dict[str, Any]]:
        """The versions of a dataset, oldest first (empty when it does not exist)."""
        index = self._dir(name) / "versions.json"
        try:
            data: list[dict[str, Any]] = json.loads(index.read_text())
        except FileNotFoundError:
            return []
        return data

    def read(self, name: str, version: str | None = None) -> tuple[Path, str]:
        """Return (Parquet path, version digest); version None means the latest.

        A version may be abbreviated to a unique prefix of at least 8 hex digits.
        """
        versions = self.versions(name)
        if not versions:
            raise DatasetNotFound(f"there is no dataset named {name!r}")
        if version is None:
            chosen = versions[-1]["version"]
        else:
            matches = {v["version"] for v in versions if v["version"].startswith(version)}
            if len(version) < 8 or len(matches) != 1:
                raise DatasetNotFound(f"dataset {name!r} has no version {version!r}")
            chosen = matches.pop()
        path = self._dir(name) / f"{chosen}.parquet"
        if not path.exists():
            raise DatasetNotFound(f"dataset {name!r} version {chosen[:12]} is missing its file")
        return path, chosen

    def write(
        self,
        name: str,
        parquet_path: Path,
        description: str = "",
        *,
        writer: Mapping[str, str] | None = None,
    ) -> str:
        """Register the Parquet file as a new version of `name` (or reuse an identical one).

        `writer` ({"run", "node", "label"}) names the run step writing it (None: an upload).
        """
        folder = self._dir(name)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._locked(folder):
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
            try:
                h = hashlib.sha256()
                with open(parquet_path, "rb") as src, os.fdopen(fd, "wb") as dst:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        h.update(chunk)
                        dst.write(chunk)
                    dst.flush()
                    os.fsync(dst.fileno())
                digest = h.hexdigest()
                target = folder / f"{digest}.parquet"
                if target.exists():
                    os.unlink(tmp)
                else:
                    os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            versions = self.versions(name)
            known = next((v for v in versions if v["version"] == digest), None)
            first = known.get("written_by") if known else writer
            versions = [v for v in versions if v is not known]
            entry = {"version": digest, "created": time.time(), "description": description}
            versions.append({**entry, **({"written_by": dict(first)} if first else {})})
            _write_json_atomic(folder / "versions.json", versions)
        return digest

    @contextlib.contextmanager
    def _locked(self, folder: Path) -> Iterator[None]:
        with open(folder / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _write_json_atomic(path: Path, value: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(value, out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
