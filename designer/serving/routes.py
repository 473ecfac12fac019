"""The routing table: which real-time endpoints exist, which deployed version answers a call
(and which bundle holds its scorer), how traffic splits between two versions, and which
endpoint keys may call.

The control plane (the endpoints app) publishes it whole from the database, after every change
it makes (publishing, the default version or split, enabling, keys), as a record of the
artifact store: `scoring/routes/<sequence>.json`, created once, the highest sequence current —
compare-and-set with nothing but create-if-absent, as datasets' indexes (decision 0039), so
web hosts on different machines never write an older table over a newer one. Each scoring
process looks for the next sequence (one stat() in a folder store; a GET at most every
`refresh` seconds in a bucket) and reads the new table when it appears, so a call never waits
on the database and a switch needs no message to any process. Keys are the endpoint app's
`EndpointKey` rows, projected: the SHA-256 of the raw key (`workspaces.tokens.hash_token`), its
workspace, its endpoint (or none: every endpoint of the workspace) and its rate.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from designer.engine.store import ArtifactError, ArtifactStore, Record
from designer.serving.schema import ExtraColumns

RECORDS = "scoring/routes/"  # the routing table's records in the artifact store
GRACE_SECONDS = 3600.0  # superseded tables older than this are deleted by the next publisher
STALE_READ_SECONDS = (
    600.0  # a publisher slower than this reads again (never re-creates a pruned one)
)
KEY_PREFIX = "dse_"
log = logging.getLogger(__name__)


def key_hash(raw: str) -> str:
    """The hash under which a raw endpoint key is published (the endpoint app stores the same)."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class KeyRoute:
    """A live endpoint key: what it may call and how often."""

    id: int
    workspace: int
    endpoint: int | None  # None: every endpoint of the workspace
    rate_per_minute: int
    prefix: str

    def allows(self, endpoint: EndpointRoute) -> bool:
        """Whether this key may call `endpoint`."""
        return self.workspace == endpoint.workspace and self.endpoint in (None, endpoint.id)


@dataclass(frozen=True)
class EndpointRoute:
    """A real-time endpoint: its deployed versions (number → version id) and traffic."""

    id: int
    workspace: int
    enabled: bool
    versions: dict[int, int]
    default: int | None  # the default version's number
    split: tuple[int, float] | None  # (version number, percent of calls it takes)
    extra_columns: ExtraColumns = "ignore"
    capture_errors: bool = False  # keep failed calls' bodies (size-capped) for the endpoint page

    def choose(self, draw: float) -> int | None:
        """The version number a call goes to, for `draw` uniform in [0, 1)."""
        if self.split is not None and draw * 100.0 < self.split[1]:
            return self.split[0]
        return self.default


@dataclass(frozen=True)
class RouteTable:
    """Everything the scoring process needs to know before it scores a call."""

    endpoints: dict[int, EndpointRoute]
    keys: dict[str, KeyRoute]  # by key hash
    bundles: dict[int, str] = field(default_factory=dict)  # version id → its bundle's digest

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (object keys are strings)."""
        return {
            "endpoints": {
                str(e.id): {
                    "workspace": e.workspace,
                    "enabled": e.enabled,
                    "versions": {str(n): v for n, v in sorted(e.versions.items())},
                    "default": e.default,
                    "split": None
                    if e.split is None
                    else {"version": e.split[0], "percent": e.split[1]},
                    "extra_columns": e.extra_columns,
                    "capture_errors": e.capture_errors,
                }
                for e in sorted(self.endpoints.values(), key=lambda e: e.id)
            },
            "keys": {
                digest: {
                    "id": k.id,
                    "workspace": k.workspace,
                    "endpoint": k.endpoint,
                    "rate_per_minute": k.rate_per_minute,
                    "prefix": k.prefix,
                }
                for digest, k in sorted(self.keys.items())
            },
            "bundles": {str(v): digest for v, digest in sorted(self.bundles.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RouteTable:
        """The table from its JSON form."""
        endpoints = {}
        for key, e in data["endpoints"].items():
            split = e.get("split")
            endpoints[int(key)] = EndpointRoute(
                id=int(key),
                workspace=int(e["workspace"]),
                enabled=bool(e["enabled"]),
                versions={int(n): int(v) for n, v in e["versions"].items()},
                default=e.get("default"),
                split=None if split is None else (int(split["version"]), float(split["percent"])),
                extra_columns=e.get("extra_columns", "ignore"),
                capture_errors=bool(e.get("capture_errors", False)),
            )
        keys = {digest: KeyRoute(**k) for digest, k in data["keys"].items()}
        bundles = {int(v): str(digest) for v, digest in data.get("bundles", {}).items()}
        return cls(endpoints, keys, bundles)

    def key(self, raw: str) -> KeyRoute | None:
        """The live key for a raw key, or None."""
        if not raw.startswith(KEY_PREFIX):
            return None
        return self.keys.get(key_hash(raw))


EMPTY = RouteTable({}, {})


def encode(table: RouteTable) -> bytes:
    """The file's bytes for a table (canonical: the same table always gives the same bytes)."""
    return json.dumps(table.to_dict(), sort_keys=True, separators=(",", ":")).encode()


def _record_key(sequence: int) -> str:
    return f"{RECORDS}{sequence:012d}.json"


def _sequence(record: Record) -> int:
    return int(record.key.removeprefix(RECORDS).removesuffix(".json"))


def latest(store: ArtifactStore) -> tuple[int, RouteTable]:
    """The current table and its sequence ((0, EMPTY) before the first is published)."""
    for record in reversed(store.records(RECORDS)):
        data = store.record(record.key)
        if data is not None:  # not pruned meanwhile
            return _sequence(record), RouteTable.from_dict(json.loads(data))
    return 0, EMPTY


def publish(store: ArtifactStore, read: Callable[[], RouteTable]) -> bool:
    """Publish the table `read()` gives unless the current record holds exactly it; False
    then. The current record is read before the table, so a writer that loses the race to
    create the next sequence reads both again: whoever creates last read the database after
    every change that was committed before it, and the table never goes back."""
    while True:
        started = time.monotonic()
        records = store.records(RECORDS)
        sequence = _sequence(records[-1]) if records else 0
        held = store.record(records[-1].key) if records else None
        data = encode(read())
        if data == held:
            return False
        if time.monotonic() - started > STALE_READ_SECONDS:
            continue
        if store.create_record(_record_key(sequence + 1), data):
            for record in records[:-1]:
                if time.time() - record.created > GRACE_SECONDS:
                    store.delete_record(record.key)
            return True


class Routes:
    """The table as one process sees it: the next sequence is looked for at most every
    `refresh` seconds (0: on every call), and read when it appears; while the store cannot be
    reached, the table held is served."""

    def __init__(self, store: ArtifactStore, refresh: float = 0.0):
        self.store, self.refresh = store, refresh
        self._sequence, self._table = 0, EMPTY
        self._checked = -math.inf
        self._lock = threading.Lock()

    def current(self) -> RouteTable:
        """The latest published table (empty before the first is published)."""
        now = time.monotonic()
        if now - self._checked < self.refresh:
            return self._table
        with self._lock:
            self._checked = now
            try:
                if self._sequence == 0 or self.store.record(_record_key(self._sequence + 1)):
                    self._sequence, self._table = latest(self.store)
            except ArtifactError as exc:  # the store is unreachable: serve the table held
                log.warning("could not look for a new routing table: %s", exc)
        return self._table
