"""Content-addressed artifact stores: a local folder (the default), or an object store.

`ArtifactStore(folder)` keeps the bytes in a folder (on one host, or a volume every host
mounts); `objectstore.ObjectStore` keeps them in an S3-compatible bucket with a folder store on
each host as its cache. `open_store(location)` opens either from its `root` (a path or an
`s3://` URL), which is what step tasks carry to worker processes.

Layout under the folder::

    objects/ab/cdef0123…   the bytes whose SHA-256 is abcdef0123… (sharded by 2 hex digits)
    recipes/ab/cdef0123…   instead of those bytes: how to rebuild them from other objects
                           (a derived table, engine/derived.py; decision 0034)
    built/ab/cdef0123…     bytes rebuilt from a recipe for a download (a bounded cache)
    summaries/ab/cdef0123…  the JSON summary of that artifact (derived data: reused, never trusted)
    records/<key>          small named documents, each written once and never changed (a
                           registered dataset's version index, engine/datasets.py)
    tmp/                   temp files of writes in progress (same filesystem, so rename is atomic)

Writes are atomic (temp file, fsync, rename, fsync of the shard directory, and of its parent
when the shard is new); an object that already exists is not written again. A store given a
floor of free space (`min_free`, engine/diskspace.py) refuses an object's bytes that would take
its filesystem below it, before writing them (a streamed write: before each write() call);
recipes, summaries and records, a few kB each, are not counted. Reads check the
digest, so a corrupted file is reported, never silently used. Summaries are written atomically
but not fsynced: one lost in a crash, or unreadable, is simply computed again. Several processes
may share one store.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import mmap
import os
import queue
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, TypeVar

from designer.engine import diskspace

_HEX = frozenset("0123456789abcdef")
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}"
_RECORD_KEY = re.compile(rf"{_SEGMENT}(/{_SEGMENT}){{0,7}}")
WRITE_CHUNK = 1 << 20  # bytes per write() call
# A streamed write hands its bytes to its hashing thread BATCH_BYTES at a time, and waits while
# HANDED_BATCHES batches are not taken yet: it holds three batches in memory at most.
BATCH_BYTES = 4 << 20
HANDED_BATCHES = 2
# One rebuild from a recipe at a time in a process (re-entered for a parent kept as a recipe):
# two downloads of one output rebuild it once, and two outputs' rebuilds never hold memory at once.
_REBUILDING = threading.RLock()


BUILT_BYTES = 1 << 30  # bytes rebuilt from recipes kept for downloads (least recently used go)


class ArtifactError(Exception):
    """An artifact is missing or its bytes do not match its digest."""


@dataclass(frozen=True)
class Written:
    """Bytes streamed into a temp file of the store (`ArtifactStore.write`), not yet committed."""

    path: str
    digest: str
    size: int


FileBytes = TypeVar("FileBytes", bytes, memoryview)  # what a read of an artifact file gives


def map_file(path: Path) -> memoryview:
    """A file's bytes as a read-only memory map (stays valid once the file is closed, or gone)."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:  # an empty file cannot be mapped
            return memoryview(b"")
        return memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))


def _write_all(fd: int, view: memoryview) -> None:
    """Write all of `view` to `fd`, 1 MiB per call (one 16 MB write() took 35 ms here, 16 took
    4 ms)."""
    while view:
        view = view[os.write(fd, view[:WRITE_CHUNK]) :]


class _HashingFile(io.RawIOBase):
    """A write-only file that hashes what it writes. Its own thread hashes and writes the bytes
    while the producer makes the next ones (write() only queues them): encoding a big table's
    Parquet and its SHA-256 with the write take about as long as each other (decision 0103).
    `finish()` waits until its thread has written everything."""

    def __init__(self, fd: int, room: Callable[[int], None]):
        self.fd = fd
        self.room = room  # raises before a write that would leave too little disk free
        self.hash = hashlib.sha256()
        self.position = 0
        self._batch: list[bytes] = []
        self._batched = 0
        self._batches: queue.Queue[list[bytes] | None] = queue.Queue(HANDED_BATCHES)
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="hashing-writer", daemon=True)
        self._thread.start()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._failed is not None:
            raise self._failed
        chunk = data if type(data) is bytes else bytes(data)  # a producer may reuse its buffer
        size = len(chunk)
        self.room(size)
        self._batch.append(chunk)
        self._batched += size
        self.position += size
        if self._batched >= BATCH_BYTES:
            self._hand_off()
        return size

    def tell(self) -> int:
        return self.position

    def finish(self) -> BaseException | None:
        """Wait until every byte is hashed and written; what writing them raised, if anything."""
        self._hand_off()
        self._batches.put(None)
        self._thread.join()
        return self._failed

    def _hand_off(self) -> None:
        if self._batch:
            self._batches.put(self._batch)
            self._batch, self._batched = [], 0

    def _drain(self) -> None:
        while (batch := self._batches.get()) is not None:
            if self._failed is not None:
                continue  # the producer hears of it; what follows is not written
            try:
                for chunk in batch:
                    self.hash.update(chunk)
                    _write_all(self.fd, memoryview(chunk))
            except BaseException as exc:
                self._failed = exc


class Stored(NamedTuple):
    """One stored artifact as a listing sees it: digest, size in bytes, when it was written."""

    digest: str
    size: int
    modified: float


class Record(NamedTuple):
    """A record's key, and when it was created (the store's clock)."""

    key: str
    created: float


class ArtifactStore:
    """Stores bytes by their SHA-256 digest in a folder.

    `root` is where the store is, as `open_store` takes it: the folder here, an URL for an
    object store. `durable=False` skips the fsyncs (a cache whose reads are digest-checked).
    `min_free` is the floor of free bytes its filesystem keeps: an object's bytes that would
    go below it are refused (DiskNearlyFull) and nothing is written; 0: no floor.
    """

    root: str | Path

    def __init__(self, root: str | os.PathLike[str], *, durable: bool = True, min_free: int = 0):
        self.root = self.folder = Path(root)
        self.durable = durable
        self.min_free = min_free
        self.objects = self.folder / "objects"
        self._objects = os.fspath(self.objects)
        self.tmp = self.folder / "tmp"
        self._summaries = os.fspath(self.folder / "summaries")
        self._recipes = os.fspath(self.folder / "recipes")
        self.record_folder = self.folder / "records"
        self.built = self.folder / "built"
        if not self.objects.is_dir():
            self._new_objects()
        self.tmp.mkdir(mode=0o700, parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        """The file that holds (or would hold) the artifact with this digest."""
        return Path(self._file(digest))

    def _file(self, digest: str) -> str:
        if len(digest) != 64 or not _HEX.issuperset(digest):
            raise ArtifactError(f"not a SHA-256 digest: {digest!r}")
        return f"{self._objects}/{digest[:2]}/{digest[2:]}"

    def exists(self, digest: str) -> bool:
        """Whether the artifact is present, as bytes or as a recipe (not re-checked here)."""
        return os.path.exists(self._file(digest)) or self.recipe(digest) is not None

    def holds(self, digest: str, size: int) -> bool:
        """Whether this folder holds the artifact already, so that storing it again would write
        nothing: its bytes at `size` (another size means damage), or its recipe. Only the folder
        is looked at (an object store's cache on this host, which keeps only what its bucket
        has): False means "write it", not that the artifact is missing elsewhere."""
        return self._has_bytes(digest, size) or os.path.exists(self._recipe_file(digest))

    def _has_bytes(self, digest: str, size: int) -> bool:
        """Whether the artifact's bytes are here at `size` (another size means damage: storing
        it again rewrites them)."""
        try:
            return os.stat(self._file(digest)).st_size == size
        except FileNotFoundError:
            return False

    # -- recipes: artifacts kept as a way to rebuild their bytes (engine/derived.py) ---------

    def _recipe_file(self, digest: str) -> str:
        self._file(digest)  # checks the digest's form
        return f"{self._recipes}/{digest[:2]}/{digest[2:]}"

    def recipe(self, digest: str) -> bytes | None:
        """The recipe stored for an artifact instead of its bytes, or None."""
        try:
            with open(self._recipe_file(digest), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def put_recipe(self, digest: str, recipe: bytes) -> None:
        """Keep an artifact as a recipe (durably; every object it requires must be stored)."""
        target = Path(self._recipe_file(digest))
        self._folder(target.parent)
        with self._atomic(target) as fd:
            os.write(fd, recipe)

    def requires(self, digest: str) -> list[str]:
        """The artifacts an artifact needs to be read (a recipe's inputs; none for bytes)."""
        recipe = self.recipe(digest)
        if recipe is None:
            return []
        from designer.engine.derived import requires

        return requires(recipe)

    def _built_path(self, digest: str, recipe: bytes) -> Path:
        """A file with the bytes of an artifact kept as a recipe (rebuilt once into a temp file,
        checked against the digest, then cached; the bytes are never whole in memory)."""
        path = self.built / digest[:2] / digest[2:]
        if path.exists():
            with contextlib.suppress(OSError):
                os.utime(path)
            return path
        with _REBUILDING:
            return path if path.exists() else self._rebuild(digest, recipe, path)

    def _rebuild(self, digest: str, recipe: bytes, path: Path) -> Path:
        """Rebuild the bytes into a temp file, check them against the digest, keep them at
        `path`."""
        from designer.engine.derived import write_rebuilt

        try:
            written = self.write(lambda sink: write_rebuilt(self, recipe, sink))
        except (ValueError, KeyError, OSError) as exc:  # Arrow's errors are of these kinds
            self._check_parts(digest)
            raise ArtifactError(f"artifact {digest[:12]} has a broken recipe: {exc}") from exc
        if written.digest != digest:
            self.discard(written)
            self._check_parts(digest)
            raise ArtifactError(f"artifact {digest[:12]} rebuilt from its recipe does not match")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(written.path, path)
        trim_lru([f for f in self.built.glob("*/*") if f != path], BUILT_BYTES - written.size)
        return path

    def _check_parts(self, digest: str) -> None:
        """Read what a recipe requires, checked (a rebuild failed): a damaged part is set aside
        and named by the ArtifactError this raises."""
        for part in self.requires(digest):
            self.get(part)

    def put(self, data: bytes | bytearray | memoryview, digest: str | None = None) -> str:
        """Store bytes; return their digest. Storing the same bytes twice writes once.

        `digest` is the SHA-256 of `data` when the caller has just computed it (trusted).
        """
        view = memoryview(data).cast("B")
        if digest is None:
            digest = hashlib.sha256(view).hexdigest()
        if self._has_bytes(digest, view.nbytes):
            return digest  # already stored
        self.room(view.nbytes)
        with self._atomic(self.path(digest)) as fd:
            _write_all(fd, view)
        return digest

    def write(self, produce: Callable[[BinaryIO], None]) -> Written:
        """Stream what `produce` writes into a temp file, hashing it on the way (the bytes are
        never whole in memory); `commit` then stores it under its digest, `discard` drops it."""
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp)
        try:
            sink = _HashingFile(fd, self.room)
            try:
                produce(sink)  # type: ignore[arg-type]  # a raw binary file
            finally:
                failed = sink.finish()  # its thread has ended before the file is closed
            if failed is not None:
                raise failed
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        os.close(fd)
        return Written(tmp_name, sink.hash.hexdigest(), sink.position)

    def commit(self, written: Written) -> str:
        """Store written bytes durably under their digest (fsync, rename, fsync of the shard);
        when the object is already there, the temp file is dropped. Returns the digest."""
        target = self._file(written.digest)
        if self._has_bytes(written.digest, written.size):
            self.discard(written)
            return written.digest
        try:
            if self.durable:
                fd = os.open(written.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            try:
                os.replace(written.path, target)
            except FileNotFoundError:
                self._folder(Path(target).parent)
                os.replace(written.path, target)
            if self.durable:
                _fsync_dir(Path(target).parent)
        except BaseException:
            self.discard(written)
            raise
        return written.digest

    def room(self, adding: int) -> None:
        """Raise DiskNearlyFull when writing `adding` more bytes would take the store's
        filesystem below its floor (`min_free`)."""
        if self.min_free:
            diskspace.check(self.folder, self.min_free, adding)

    def discard(self, written: Written) -> None:
        """Drop written bytes that will not be committed."""
        with contextlib.suppress(OSError):
            os.unlink(written.path)

    def summary(self, digest: str) -> dict[str, Any] | None:
        """The summary stored beside an artifact by `put_summary`, or None."""
        try:
            with open(self._summary_file(digest), "rb") as f:
                loaded = json.loads(f.read())
        except (OSError, ValueError):
            return None
        return loaded if isinstance(loaded, dict) else None

    def put_summary(self, digest: str, summary: dict[str, Any]) -> None:
        """Keep an artifact's summary beside it (atomic rename, no fsync: it can be recomputed)."""
        target = self._summary_file(digest)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(json.dumps(summary, separators=(",", ":")).encode())
            try:
                os.replace(tmp_name, target)
            except FileNotFoundError:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise

    def _summary_file(self, digest: str) -> str:
        self._file(digest)  # checks the digest's form
        return f"{self._summaries}/{digest[:2]}/{digest[2:]}.json"

    def put_file(self, source: str | os.PathLike[str]) -> str:
        """Store a file's content (streamed, for large outputs); return its digest."""
        self.room(os.path.getsize(source))
        h = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp)
        try:
            with open(source, "rb") as src, os.fdopen(fd, "wb", closefd=False) as dst:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    h.update(chunk)
                    dst.write(chunk)
                dst.flush()
                if self.durable:
                    os.fsync(fd)
            os.close(fd)
            digest = h.hexdigest()
            target = self.path(digest)
            if os.path.exists(target) and target.stat().st_size == os.stat(tmp_name).st_size:
                os.unlink(tmp_name)
                return digest
            self._folder(target.parent)
            os.replace(tmp_name, target)
            if self.durable:
                _fsync_dir(target.parent)
            return digest
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise

    def get(self, digest: str) -> bytes:
        """Return the bytes of an artifact, checking them against the digest."""
        return self._checked(digest, Path.read_bytes)

    def mapped(self, digest: str) -> memoryview:
        """The bytes of an artifact, checked against the digest, as a read-only memory map of
        its file: a big table is decoded from the page cache, never copied whole first."""
        return self._checked(digest, map_file)

    def _checked(self, digest: str, read: Callable[[Path], FileBytes]) -> FileBytes:
        """The bytes of an artifact as `read` gives them from its file, checked against the
        digest (a recipe's rebuilt file was checked when it was built)."""
        try:
            data = read(self.path(digest))
        except FileNotFoundError:
            recipe = self.recipe(digest)
            if recipe is None:
                raise ArtifactError(f"artifact {digest[:12]} is not in the store") from None
            return read(self._built_path(digest, recipe))
        if hashlib.sha256(data).hexdigest() != digest:
            self._quarantine(digest)
            raise ArtifactError(f"artifact {digest[:12]} is corrupted (its digest does not match)")
        return data

    def local_path(self, digest: str) -> Path:
        """A file on this host holding the artifact's bytes (to stream or mount; not re-checked)."""
        path = self.path(digest)
        if not path.exists():
            recipe = self.recipe(digest)
            if recipe is None:
                raise ArtifactError(f"artifact {digest[:12]} is not in the store")
            return self._built_path(digest, recipe)
        return path

    def _quarantine(self, digest: str) -> None:
        """Move a corrupted object aside, so it counts as missing and gets produced again."""
        target = self.folder / "corrupt" / digest
        with contextlib.suppress(OSError):
            target.parent.mkdir(mode=0o700, exist_ok=True)
            os.replace(self.path(digest), target)

    def size(self, digest: str) -> int:
        """The bytes a stored artifact takes (a recipe's own size for one kept as a recipe)."""
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            recipe = self.recipe(digest)
            if recipe is None:
                raise
            return len(recipe)

    def copy_to(self, digest: str, destination: str | os.PathLike[str]) -> None:
        """Copy an artifact to a file, checking its digest on the way."""
        h = hashlib.sha256()
        try:
            with open(self.local_path(digest), "rb") as src, open(destination, "wb") as dst:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    h.update(chunk)
                    dst.write(chunk)
        except FileNotFoundError:
            raise ArtifactError(f"artifact {digest[:12]} is not in the store") from None
        if h.hexdigest() != digest:
            with contextlib.suppress(OSError):
                os.unlink(destination)
            self._quarantine(digest)
            raise ArtifactError(f"artifact {digest[:12]} is corrupted (its digest does not match)")

    def delete(self, digest: str) -> None:
        """Remove an artifact (bytes or recipe) and its summary (garbage collection, tests)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(digest).unlink()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._recipe_file(digest))
        with contextlib.suppress(FileNotFoundError):
            (self.built / digest[:2] / digest[2:]).unlink()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._summary_file(digest))

    # -- records: small named documents, each created once (compare-and-swap by creation) ----

    def _record_file(self, key: str) -> Path:
        if not _RECORD_KEY.fullmatch(key) or ".." in key:
            raise ArtifactError(f"not a record key: {key!r}")
        return self.record_folder / key

    def record(self, key: str) -> bytes | None:
        """The record stored under `key`, or None."""
        try:
            return self._record_file(key).read_bytes()
        except FileNotFoundError:
            return None

    def create_record(self, key: str, data: bytes) -> bool:
        """Store a record under `key` unless one is there already; whether it was stored.

        Writers of one key race safely: exactly one creates it, whole (a temp file linked to
        its name, which fails when the name exists)."""
        target = self._record_file(key)
        self._folder(target.parent)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if self.durable:
                    os.fsync(f.fileno())
            os.link(tmp_name, target)
        except FileExistsError:
            return False
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        if self.durable:
            _fsync_dir(target.parent)
        return True

    def records(self, prefix: str) -> list[Record]:
        """The records under a folder-like prefix (ending in "/"), sorted by key."""
        folder = self._record_file(prefix.rstrip("/"))
        found = []
        for path in folder.rglob("*") if folder.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                if path.is_file():
                    key = f"{prefix}{path.relative_to(folder).as_posix()}"
                    found.append(Record(key, path.stat().st_mtime))
        return sorted(found)

    def delete_record(self, key: str) -> None:
        """Remove a record (and its folder when that is left empty)."""
        target = self._record_file(key)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        with contextlib.suppress(OSError):
            target.parent.rmdir()

    def digests(self) -> Iterator[str]:
        """Every digest in the store."""
        return (stored.digest for stored in self.listing())

    def listing(self) -> Iterator[Stored]:
        """Every artifact in the store (bytes or recipe), with its size and modification time."""
        for folder in (self.objects, Path(self._recipes)):
            if not folder.is_dir():
                continue
            for shard in sorted(folder.iterdir()):
                for item in sorted(shard.iterdir()):
                    with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                        stat = item.stat()
                        yield Stored(shard.name + item.name, stat.st_size, stat.st_mtime)

    def _new_objects(self) -> None:
        """A new store's objects folder with its 256 shard folders, made durable at once, so
        that no write makes a folder (a store made before keeps making its shards as it goes)."""
        self._folder(self.objects)
        for shard in range(256):
            (self.objects / f"{shard:02x}").mkdir(mode=0o700, exist_ok=True)
        if self.durable:
            _fsync_dir(self.objects)

    def _folder(self, folder: Path) -> None:
        """Make the folder a durable entry goes in. A folder made here is made durable in its
        parent too: POSIX promises that a folder's fsync keeps its entries, not that the
        folder itself survives a crash (ext4 happens to keep it; other filesystems need not)."""
        if folder.is_dir():
            return
        self._folder(folder.parent)
        folder.mkdir(mode=0o700, exist_ok=True)  # made by another writer too: sync it anyway
        if self.durable:
            _fsync_dir(folder.parent)

    @contextlib.contextmanager
    def _atomic(self, target: Path) -> Iterator[int]:
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp)
        try:
            yield fd
            if self.durable:
                os.fsync(fd)
            os.close(fd)
            fd = -1
            try:
                os.replace(tmp_name, target)
            except FileNotFoundError:
                self._folder(target.parent)
                os.replace(tmp_name, target)
            if self.durable:
                _fsync_dir(target.parent)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise

    def clear_tmp(self) -> None:
        """Remove leftovers of interrupted writes (safe only when no write is in progress)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(mode=0o700, parents=True, exist_ok=True)


def open_store(location: str | os.PathLike[str], *, min_free: int = 0) -> ArtifactStore:
    """The store at `location`: an `s3://bucket/prefix` URL, or a folder keeping `min_free`
    bytes of its disk free (an object store's bytes go to its bucket, not to a local disk: its
    cache here is bounded by its own size, so it takes no floor)."""
    text = os.fspath(location)
    if "://" in text:
        from designer.engine.objectstore import ObjectStore

        return ObjectStore(text)
    return ArtifactStore(text, min_free=min_free)


def trim_lru(files: list[Path], target: int) -> int:
    """Delete the least recently used files until they total at most `target`; the new total."""
    sized = []
    for f in files:
        with contextlib.suppress(OSError):
            stat = f.stat()
            sized.append((stat.st_mtime, stat.st_size, f))
    sized.sort()
    total = sum(size for _, size, _ in sized)
    for _, size, f in sized:
        if total <= target:
            break
        with contextlib.suppress(OSError):
            f.unlink()
            total -= size
    return total


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
