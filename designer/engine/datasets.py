"""StoredDatasets: named datasets whose versions are artifacts of the artifact store.

A version's Parquet bytes are a content-addressed artifact (its version is its digest), so
every host reads it through the store (a folder, or a bucket with this host's cache). A
dataset's version index is a record of the store, and every change writes a new one::

    records/datasets/<space>/<name>/<sequence>.json   the versions, oldest first:
        [{"version", "created", "description", "written_by"?: {"run", "node", "label"}}]

The index with the highest sequence number is the current one. A writer reads it, appends, and
creates the next sequence number, which only one writer can: a loser reads again and retries,
so concurrent writers on any hosts lose nothing and need no lock (a bucket has none).
Superseded indexes are deleted by garbage collection (`prune_indexes`) once they are older than
its grace period; a writer that took longer than WRITE_SECONDS between reading an index and
creating the next reads again, so it can never create a number that was pruned (which would
hide the newer indexes' versions from it). Writing content that is already a version reuses it
(and makes it the latest again); the version keeps its first writer.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from designer.engine.context import StepError
from designer.engine.store import ArtifactError, ArtifactStore

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
PREFIX = "datasets"
WRITE_SECONDS = 600.0  # longest time between reading an index and creating the next


class DatasetNotFound(StepError, LookupError):
    """There is no dataset (or no such version) of that name."""


class StoredDatasets:
    """context.DatasetStore of one space (a workspace) in an artifact store; safe for any
    number of processes on any hosts sharing the store."""

    def __init__(self, store: ArtifactStore, space: str):
        self.store = store
        self.space = space
        self.prefix = f"{PREFIX}/{space}/"

    def _folder(self, name: str) -> str:
        if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
            raise StepError(
                f"invalid dataset name {name!r}: use letters, digits, '.', '_' and '-' "
                "(starting with a letter or digit)"
            )
        return f"{self.prefix}{name}/"

    def names(self) -> list[str]:
        """Names of the datasets that have at least one version."""
        keys = self.store.records(self.prefix)
        return sorted({key.removeprefix(self.prefix).partition("/")[0] for key, _ in keys})

    def _current(self, name: str) -> tuple[int, list[dict[str, Any]]]:
        """(sequence number, versions) of the current index; (0, []) when there is none."""
        folder = self._folder(name)
        for _ in range(5):  # an index listed and then pruned: list again
            records = self.store.records(folder)
            if not records:
                return 0, []
            key = records[-1].key
            data = self.store.record(key)
            if data is not None:
                return int(key.removeprefix(folder).removesuffix(".json")), json.loads(data)
        raise ArtifactError(f"dataset {name!r} changes too fast to read its versions")

    def versions(self, name: str) -> list[dict[str, Any]]:
        """The versions of a dataset, oldest first (empty when it does not exist)."""
        return self._current(name)[1]

    def read(
        self,
        name: str,
        version: str | None = None,
        *,
        readable: Callable[[str], bool] | None = None,
    ) -> tuple[Path, str]:
        """Return (Parquet file on this host, version digest); version None means the latest.

        A version may be abbreviated to a unique prefix of at least 8 hex digits. With
        `readable`, only the versions whose digest it accepts exist for this read.
        """
        versions = self.versions(name)
        if readable is not None:
            versions = [v for v in versions if readable(v["version"])]
        if not versions:
            raise DatasetNotFound(f"there is no dataset named {name!r}")
        if version is None:
            chosen = versions[-1]["version"]
        else:
            matches = {v["version"] for v in versions if v["version"].startswith(version)}
            if len(version) < 8 or len(matches) != 1:
                raise DatasetNotFound(f"dataset {name!r} has no version {version!r}")
            chosen = matches.pop()
        try:
            return self.store.local_path(chosen), chosen
        except (ArtifactError, FileNotFoundError) as exc:
            raise DatasetNotFound(f"dataset {name!r} version {chosen[:12]}: {exc}") from None

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
        folder = self._folder(name)
        digest = self.store.put_file(parquet_path)
        while True:
            read_at = time.monotonic()
            number, versions = self._current(name)
            known = next((v for v in versions if v["version"] == digest), None)
            first = known.get("written_by") if known else writer
            versions = [v for v in versions if v is not known]
            entry = {"version": digest, "created": time.time(), "description": description}
            versions.append({**entry, **({"written_by": dict(first)} if first else {})})
            data = json.dumps(versions, indent=1, sort_keys=True).encode()
            if time.monotonic() - read_at > WRITE_SECONDS:
                continue  # what was read may have been pruned since
            if self.store.create_record(f"{folder}{number + 1:012d}.json", data):
                return digest

    def delete(self, name: str) -> None:
        """Remove a dataset's index (its versions' bytes go at the next garbage collection)."""
        for key, _ in self.store.records(self._folder(name)):
            self.store.delete_record(key)

    def delete_all(self) -> None:
        """Remove every dataset of the space."""
        for key, _ in self.store.records(self.prefix):
            self.store.delete_record(key)


def dataset_digests(store: ArtifactStore) -> set[str]:
    """Every version of every dataset of every space in the store (kept by garbage collection)."""
    folders = {tuple(key.split("/")[1:3]) for key, _ in store.records(f"{PREFIX}/")}
    return {
        version["version"]
        for space, name in folders
        for version in StoredDatasets(store, space).versions(name)
    }


def prune_indexes(store: ArtifactStore, before: float) -> int:
    """Delete the superseded indexes of every dataset created before `before` (a time on the
    store's clock, at least WRITE_SECONDS ago); how many went."""
    assert before < time.time() - WRITE_SECONDS
    current: dict[str, str] = {}
    records = store.records(f"{PREFIX}/")
    for key, _ in records:  # sorted: a folder's last key is its current index
        current[key.rpartition("/")[0]] = key
    pruned = 0
    for key, created in records:
        if created < before and current[key.rpartition("/")[0]] != key:
            store.delete_record(key)
            pruned += 1
    return pruned
