"""The routing table: which real-time endpoints exist, which deployed version answers a call,
how traffic splits between two versions, and which endpoint keys may call.

The control plane (the endpoints app) writes it as `routes.json` beside the bundles, atomically,
after every change it makes (publishing, the default version or split, enabling, keys); each
scoring process re-reads it when the file changes (one stat() a call), so a call never waits on
the database and a switch needs no message to any process. Keys are the endpoint app's
`EndpointKey` rows, projected: the SHA-256 of the raw key (`workspaces.tokens.hash_token`), its
workspace, its endpoint (or none: every endpoint of the workspace) and its rate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from designer.serving.bundles import WatchedFile, write_atomically
from designer.serving.schema import ExtraColumns

ROUTES = "routes.json"
KEY_PREFIX = "dse_"


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
        return cls(endpoints, keys)

    def key(self, raw: str) -> KeyRoute | None:
        """The live key for a raw key, or None."""
        if not raw.startswith(KEY_PREFIX):
            return None
        return self.keys.get(key_hash(raw))


EMPTY = RouteTable({}, {})


def encode(table: RouteTable) -> bytes:
    """The file's bytes for a table (canonical: the same table always gives the same bytes)."""
    return json.dumps(table.to_dict(), sort_keys=True, separators=(",", ":")).encode()


def write_routes(root: Path, table: RouteTable) -> bool:
    """Publish a table (atomically); False when the file already holds exactly it."""
    path = root / ROUTES
    data = encode(table)
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomically(path, data)
    return True


def _parse(source: BinaryIO) -> RouteTable:
    return RouteTable.from_dict(json.loads(source.read()))


class Routes:
    """The table as one process sees it, re-read when the file is replaced."""

    def __init__(self, root: Path):
        self._file = WatchedFile(root / ROUTES, _parse)

    def current(self) -> RouteTable:
        """The latest published table (empty before the first is written)."""
        return self._file.get() or EMPTY
