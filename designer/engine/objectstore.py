"""ObjectStore: artifacts in an S3-compatible bucket, with this host's folder store as a cache.

The bucket is the source of truth: a write returns once the object is in the bucket, and an
object is only ever visible whole (S3 PUTs, single or multipart, appear atomically when they
complete). Keys under the URL's prefix mirror the folder layout (``objects/ab/cdef…``,
``summaries/ab/cdef….json``; ``recipes/ab/cdef…``: an artifact kept as a recipe;
``records/<key>``: a small document created once, read from the bucket every time). Every read
is checked against the digest, whether it came from the cache or the bucket: a damaged cache
file is fetched again, a damaged object is moved to ``corrupt/`` so it counts as missing and
gets produced again.

The cache is the folder store this class extends (without fsyncs, since reads are checked),
under ``$DESIGNER_STORE_CACHE`` (default: a folder in the system temp directory), trimmed to
``$DESIGNER_STORE_CACHE_BYTES`` (default 5 GiB) by dropping the least recently used files. A
failed cache write never fails a step. Connection settings and credentials come from the
standard ``AWS_*`` environment variables (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``, ``AWS_ALLOW_HTTP`` for a plain-HTTP endpoint), never
from the URL, which step tasks carry. The client is obstore (decision 0021), imported here only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from designer.engine.store import (
    ArtifactError,
    ArtifactStore,
    FileBytes,
    Record,
    Stored,
    Written,
    map_file,
    trim_lru,
)

CACHE_ENV = "DESIGNER_STORE_CACHE"
CACHE_BYTES_ENV = "DESIGNER_STORE_CACHE_BYTES"
DEFAULT_CACHE_BYTES = 5 << 30
# what a worker process needs from its parent's environment to reach the bucket
STORE_ENVIRONMENT_PREFIXES = ("AWS_", "DESIGNER_STORE_CACHE")
RETRIES = {"max_retries": 3, "retry_timeout": timedelta(seconds=30)}
CHUNK = 1 << 20


class ObjectStore(ArtifactStore):
    """Content-addressed bytes in an ``s3://bucket/prefix``; see the module docstring."""

    def __init__(self, url: str, cache: str | os.PathLike[str] | None = None):
        from obstore.store import S3Store

        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"not an object store URL (s3://bucket/prefix): {url!r}")
        if parsed.query or parsed.username or parsed.password:
            raise ValueError("configure the object store with AWS_* variables, not in its URL")
        folder = Path(cache) if cache else _default_cache(url)
        super().__init__(folder, durable=False)
        self.root = url.rstrip("/")
        self.bucket = S3Store.from_url(self.root, retry_config=RETRIES)  # type: ignore[arg-type]
        self.cache_limit = int(os.environ.get(CACHE_BYTES_ENV) or DEFAULT_CACHE_BYTES)
        self._cached_bytes: int | None = None  # this process's estimate; a scan corrects it
        self._trim_lock = threading.Lock()

    # -- keys ----------------------------------------------------------------------------

    def _key(self, digest: str) -> str:
        self._file(digest)  # checks the digest's form
        return f"objects/{digest[:2]}/{digest[2:]}"

    def _recipe_key(self, digest: str) -> str:
        self._file(digest)
        return f"recipes/{digest[:2]}/{digest[2:]}"

    def _summary_key(self, digest: str) -> str:
        self._file(digest)
        return f"summaries/{digest[:2]}/{digest[2:]}.json"

    # -- writes --------------------------------------------------------------------------

    def put(self, data: bytes | bytearray | memoryview, digest: str | None = None) -> str:
        view = memoryview(data).cast("B")
        if digest is None:
            digest = hashlib.sha256(view).hexdigest()
        self._upload(self._key(digest), view)
        self._cache_put(lambda: ArtifactStore.put(self, view, digest), view.nbytes)
        return digest

    def put_file(self, source: str | os.PathLike[str]) -> str:
        h = hashlib.sha256()
        with open(source, "rb") as src:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                h.update(chunk)
        digest = h.hexdigest()
        self._upload(self._key(digest), Path(source))
        self._cache_put(lambda: ArtifactStore.put_file(self, source), os.path.getsize(source))
        return digest

    def commit(self, written: Written) -> str:
        """Upload streamed bytes to the bucket, then keep them in this host's cache."""
        try:
            self._upload(self._key(written.digest), Path(written.path))
        except BaseException:
            self.discard(written)
            raise
        self._cache_put(lambda: ArtifactStore.commit(self, written), written.size)
        self.discard(written)  # left over when the cache could not take it
        return written.digest

    def _upload(self, key: str, content: memoryview | Path, *, created: bool = False) -> None:
        """Create `key` unless it exists (then nothing happens, or with `created`,
        AlreadyExistsError is raised)."""
        import obstore
        from obstore.exceptions import AlreadyExistsError

        try:  # created only if absent: the same bytes are never uploaded twice
            obstore.put(self.bucket, key, content, mode="create")
        except AlreadyExistsError:
            if created:
                raise
        except Exception as exc:
            raise ArtifactError(
                f"cannot write {key} to the object store {self.root}: {exc}"
            ) from exc

    def put_recipe(self, digest: str, recipe: bytes) -> None:
        """Keep an artifact as a recipe in the bucket, then in this host's cache."""
        self._upload(self._recipe_key(digest), memoryview(recipe))
        with contextlib.suppress(OSError):
            ArtifactStore.put_recipe(self, digest, recipe)

    def recipe(self, digest: str) -> bytes | None:
        """The artifact's recipe: from this host's cache, else the bucket (None when the bytes
        themselves are cached here or there is no recipe)."""
        found = ArtifactStore.recipe(self, digest)
        if found is not None or os.path.exists(self.path(digest)):
            return found
        import obstore

        try:
            found = bytes(obstore.get(self.bucket, self._recipe_key(digest)).bytes())
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise ArtifactError(f"cannot read {digest[:12]} from {self.root}: {exc}") from exc
        with contextlib.suppress(OSError):
            ArtifactStore.put_recipe(self, digest, found)
        return found

    def put_summary(self, digest: str, summary: dict[str, Any]) -> None:
        import obstore

        data = json.dumps(summary, separators=(",", ":")).encode()
        with contextlib.suppress(Exception):  # derived data: computed again where it is missing
            obstore.put(self.bucket, self._summary_key(digest), data)
        with contextlib.suppress(OSError):
            ArtifactStore.put_summary(self, digest, summary)

    # -- reads ---------------------------------------------------------------------------

    def exists(self, digest: str) -> bool:
        return (
            os.path.exists(self.path(digest))
            or self._head(digest) is not None
            or self.recipe(digest) is not None
        )

    def _head(self, digest: str) -> dict[str, Any] | None:
        import obstore

        try:
            return dict(obstore.head(self.bucket, self._key(digest)))
        except FileNotFoundError:
            return None

    def size(self, digest: str) -> int:
        if ArtifactStore.exists(self, digest):
            return ArtifactStore.size(self, digest)
        meta = self._head(digest)
        if meta is None:
            recipe = self.recipe(digest)
            if recipe is None:
                raise ArtifactError(f"artifact {digest[:12]} is not in the store")
            return len(recipe)
        return int(meta["size"])

    def get(self, digest: str) -> bytes:
        return self._cached(digest, Path.read_bytes)

    def mapped(self, digest: str) -> memoryview:
        return self._cached(digest, map_file)

    def _cached(self, digest: str, read: Callable[[Path], FileBytes]) -> FileBytes:
        """The bytes of an artifact as `read` gives them from this host's cache file, checked
        against the digest; fetched (and checked on the way) when not cached or damaged."""
        path = self.path(digest)
        with contextlib.suppress(OSError):
            data = read(path)
            if hashlib.sha256(data).hexdigest() == digest:
                self._touch(digest)
                return data
            path.unlink()  # damaged in this host's cache: fetched again below
        return read(self.local_path(digest))  # checked while it was fetched

    def local_path(self, digest: str) -> Path:
        """The cache file holding the artifact, fetched (and checked) when it is not there."""
        path = self.path(digest)
        if path.exists():
            self._touch(digest)
            return path
        import obstore

        try:
            result = obstore.get(self.bucket, self._key(digest))
        except FileNotFoundError:
            recipe = self.recipe(digest)
            if recipe is None:
                raise ArtifactError(f"artifact {digest[:12]} is not in the store") from None
            return self._built_path(digest, recipe)
        except Exception as exc:
            raise ArtifactError(f"cannot read {digest[:12]} from {self.root}: {exc}") from exc
        h = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in result:
                    h.update(chunk)
                    out.write(chunk)
            if h.hexdigest() != digest:
                self._quarantine(digest)
                raise ArtifactError(
                    f"artifact {digest[:12]} is corrupted (its digest does not match)"
                )
            path.parent.mkdir(exist_ok=True)
            os.replace(tmp_name, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        self._cache_added(path.stat().st_size)
        return path

    def summary(self, digest: str) -> dict[str, Any] | None:
        found = ArtifactStore.summary(self, digest)
        if found is not None:
            return found
        import obstore

        try:
            loaded = json.loads(bytes(obstore.get(self.bucket, self._summary_key(digest)).bytes()))
        except (FileNotFoundError, ValueError):
            return None
        if not isinstance(loaded, dict):
            return None
        with contextlib.suppress(OSError):
            ArtifactStore.put_summary(self, digest, loaded)
        return loaded

    def copy_to(self, digest: str, destination: str | os.PathLike[str]) -> None:
        self.local_path(digest)
        ArtifactStore.copy_to(self, digest, destination)

    def _quarantine(self, digest: str) -> None:
        """Move a corrupted object aside in the bucket (and drop the cache copy)."""
        import obstore

        with contextlib.suppress(Exception):
            obstore.rename(self.bucket, self._key(digest), f"corrupt/{digest}")
        with contextlib.suppress(OSError):
            self.path(digest).unlink()

    def delete(self, digest: str) -> None:
        import obstore

        for key in (self._key(digest), self._recipe_key(digest), self._summary_key(digest)):
            with contextlib.suppress(FileNotFoundError):
                obstore.delete(self.bucket, key)
        ArtifactStore.delete(self, digest)

    def record(self, key: str) -> bytes | None:
        import obstore

        self._record_file(key)  # checks the key's form
        try:
            return bytes(obstore.get(self.bucket, f"records/{key}").bytes())
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise ArtifactError(f"cannot read record {key} from {self.root}: {exc}") from exc

    def create_record(self, key: str, data: bytes) -> bool:
        from obstore.exceptions import AlreadyExistsError

        self._record_file(key)
        try:
            self._upload(f"records/{key}", memoryview(data), created=True)
        except AlreadyExistsError:
            return False
        return True

    def records(self, prefix: str) -> list[Record]:
        import obstore

        self._record_file(prefix.rstrip("/"))
        try:
            found = [
                Record(meta["path"].removeprefix("records/"), meta["last_modified"].timestamp())
                for batch in obstore.list(self.bucket, f"records/{prefix}")
                for meta in batch
            ]
        except Exception as exc:
            raise ArtifactError(f"cannot list records in {self.root}: {exc}") from exc
        return sorted(found)

    def delete_record(self, key: str) -> None:
        import obstore

        self._record_file(key)
        with contextlib.suppress(FileNotFoundError):
            obstore.delete(self.bucket, f"records/{key}")

    def listing(self) -> Iterator[Stored]:
        import obstore

        for prefix in ("objects/", "recipes/"):
            for batch in obstore.list(self.bucket, prefix):
                for meta in batch:
                    shard, _, rest = meta["path"].removeprefix(prefix).partition("/")
                    modified = meta["last_modified"].timestamp()
                    yield Stored(shard + rest, int(meta["size"]), modified)

    # -- the cache -----------------------------------------------------------------------

    def _cache_put(self, write: Any, size: int) -> None:
        try:
            write()
        except OSError:
            return  # the cache is an optimisation: a full or broken disk never fails a write
        self._cache_added(size)

    def _touch(self, digest: str) -> None:
        with contextlib.suppress(OSError):
            os.utime(self.path(digest))

    def _cache_added(self, size: int) -> None:
        with self._trim_lock:
            if self._cached_bytes is None:
                self._cached_bytes = sum(f.stat().st_size for f in self._cache_files())
            self._cached_bytes += size
            if self._cached_bytes > self.cache_limit:
                self._cached_bytes = trim_lru(self._cache_files(), int(self.cache_limit * 0.8))

    def _cache_files(self) -> list[Path]:
        return [f for f in self.objects.glob("*/*") if f.is_file()]


def _default_cache(url: str) -> Path:
    base = os.environ.get(CACHE_ENV) or os.path.join(
        tempfile.gettempdir(), f"designer-store-cache-{os.getuid()}"
    )
    return Path(base) / hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]


def store_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> dict[str, str]:
    """The variables a worker process needs to open the same object store as its parent."""
    return {k: v for k, v in environ.items() if k.startswith(STORE_ENVIRONMENT_PREFIXES)}
