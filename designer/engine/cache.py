"""Step fingerprints, the result cache, and the human reason behind every run-or-reuse decision.

Fingerprint of a step = SHA-256 of the canonical JSON of: module ref ("name@version"), the
implementation digest, the canonical params, the digest of each input artifact, and the
environment fingerprint. Inputs enter by *content digest*, not by upstream fingerprint, so a
step that re-runs and produces identical bytes leaves its downstream reused (early cutoff).

The public API used by both the local executor and a distributed coordinator:

- ``decide(step, upstream, cache, store, scope=…, requested=…) -> Decision``: look the step up
  and explain the outcome ("reused: key K from run R", "ran: param `x` changed 1 → 2", …);
- ``record_success(cache, decision, outputs, run_id, scope)`` after a step ran;
- ``record_reuse(cache, decision, run_id, scope)`` after a step was reused.

Caches: ``FileCache`` (SQLite index under the store root, safe for several processes) and
``NullCache`` (bypass: never hits, remembers nothing).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic_core import from_json  # reads the index's rows 3x as fast as json.loads

from designer.engine.artifacts import OutputRecord
from designer.engine.hashing import canonical_json, json_text, same_json, sha256_hex
from designer.engine.plan import Step
from designer.engine.registry import split_ref
from designer.engine.store import ArtifactStore

CACHE_FORMAT = 1  # bump to invalidate every fingerprint (e.g. when codecs change)
KEY_CHARS = 12  # how much of a fingerprint reason strings show

REASON_NO_EARLIER = "ran: no earlier result"
REASON_BYPASSED = "ran: cache bypassed"
REASON_EXTERNAL = "ran: reads external data"
REASON_MODULE_VERSION = "ran: module version changed"
REASON_MODULE = "ran: module changed"
REASON_IMPLEMENTATION = "ran: implementation changed"
REASON_GONE = "ran: earlier result is no longer in the store"


@dataclass(frozen=True)
class CacheEntry:
    """A cached result: the outputs a fingerprint produced, and the run that produced them.

    `outputs_json`, when known, is the canonical JSON of the outputs' records (the worker that
    made them encodes it), which an index writes instead of encoding them again.
    """

    fingerprint: str
    run_id: str
    node: str
    outputs: dict[str, OutputRecord]
    created: float = 0.0
    outputs_json: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class Previous:
    """What a node in a scope was last run or reused with (for explaining the next decision).

    `material_json`, when known, is the canonical JSON of `material` (made with the
    fingerprint: `keyed`), which an index writes instead of encoding the material again.
    """

    fingerprint: str
    material: dict[str, Any]
    run_id: str
    material_json: str = field(default="", compare=False, repr=False)


class Cache(Protocol):
    """Where results are looked up by fingerprint and per-node history is kept."""

    bypass: bool

    def get(self, fingerprint: str) -> CacheEntry | None:
        """Return the entry for a fingerprint, or None."""
        ...

    def put(self, entry: CacheEntry) -> None:
        """Store (or replace) an entry."""
        ...

    def previous(self, scope: str, node: str) -> Previous | None:
        """Return what `node` in `scope` was last run or reused with, or None."""
        ...

    def remember(self, scope: str, node: str, previous: Previous) -> None:
        """Record what `node` in `scope` ran or was reused with."""
        ...


class NullCache:
    """The cache for "bypass cache": never hits, remembers nothing."""

    bypass = True

    def get(self, fingerprint: str) -> CacheEntry | None:
        return None

    def put(self, entry: CacheEntry) -> None:
        return None

    def previous(self, scope: str, node: str) -> Previous | None:
        return None

    def remember(self, scope: str, node: str, previous: Previous) -> None:
        return None


class ReadOnlyCache:
    """Looks results up in another cache and never writes to it (a plan preview)."""

    def __init__(self, inner: Cache):
        self.inner = inner
        self.bypass = inner.bypass

    def get(self, fingerprint: str) -> CacheEntry | None:
        return self.inner.get(fingerprint)

    def put(self, entry: CacheEntry) -> None:
        return None

    def previous(self, scope: str, node: str) -> Previous | None:
        return self.inner.previous(scope, node)

    def remember(self, scope: str, node: str, previous: Previous) -> None:
        return None


class MemoryCache:
    """An in-process cache (tests, one-off runs)."""

    bypass = False

    def __init__(self) -> None:
        self.entries: dict[str, CacheEntry] = {}
        self.history: dict[tuple[str, str], Previous] = {}

    def get(self, fingerprint: str) -> CacheEntry | None:
        return self.entries.get(fingerprint)

    def put(self, entry: CacheEntry) -> None:
        self.entries[entry.fingerprint] = entry

    def previous(self, scope: str, node: str) -> Previous | None:
        return self.history.get((scope, node))

    def remember(self, scope: str, node: str, previous: Previous) -> None:
        self.history[(scope, node)] = previous


_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    fingerprint TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    node TEXT NOT NULL,
    outputs TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    scope TEXT NOT NULL,
    node TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    material TEXT NOT NULL,
    run_id TEXT NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (scope, node)
);
"""


LOOKUP_CHUNK = 500  # fingerprints per query of get_many (SQLite's variable limit is 999 or more)


def _enable_wal(db: sqlite3.Connection, attempts: int = 100) -> None:
    """Switch the index to WAL mode (persistent in the file), retrying while another process does.

    Changing the journal mode needs an exclusive lock and SQLite does not apply the busy
    timeout to it, so processes opening a fresh index together would otherwise fail.
    """
    for attempt in range(attempts):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (1 + attempt % 10))


class FileCache:
    """Cache index in SQLite (WAL mode) beside the artifact store; several processes may share it.

    Only the index lives here; output bytes are in the ArtifactStore. Commits do not fsync
    (synchronous=NORMAL in WAL mode): a crash may lose the last index entries, never corrupt
    them, and a lost entry only means a step runs again.

    Inside ``with cache.batch():`` (the executor wraps each run in one) writes are buffered and
    committed together — when the batch ends, every FLUSH_SECONDS, or every FLUSH_MAX writes —
    which saves a transaction per step; reads see buffered writes at once. Outside a batch every
    write commits immediately (e.g. a Celery task recording one step).

    Inside a batch, the first history lookup of a scope also reads that scope's whole history
    and the entries it points at in one query, so an unchanged rerun (every step found under
    the fingerprint its node had last time) costs one query, not two per step. These copies
    are kept current with this instance's writes and dropped when the last batch ends; a row
    another process writes meanwhile is still found by the per-key query on a miss.
    """

    bypass = False
    FLUSH_SECONDS = 0.2
    FLUSH_MAX = 256

    def __init__(self, root: str | os.PathLike[str], filename: str = "cache.sqlite3"):
        self.path = Path(root) / filename
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))  # owner-only, as its -wal/-shm
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        _enable_wal(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
        self._entries: dict[str, CacheEntry] = {}  # buffered writes
        self._history: dict[tuple[str, str], Previous] = {}
        self._since = 0.0
        self._batching = 0
        self._known: dict[str, CacheEntry] = {}  # entries read ahead for the current batch
        self._known_history: dict[tuple[str, str], Previous] = {}
        self._scopes: set[str] = set()  # scopes whose history was read ahead

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Buffer writes until the block ends (or a size/time threshold); reads see them."""
        with self._lock:
            self._batching += 1
        try:
            yield
        finally:
            with self._lock:
                self._batching -= 1
            self.flush()
            with self._lock:
                if not self._batching:
                    self._known, self._known_history, self._scopes = {}, {}, set()

    def flush(self) -> None:
        """Commit buffered writes in one transaction."""
        with self._lock:
            if not self._entries and not self._history:
                return
            entries, self._entries = self._entries, {}
            history, self._history = self._history, {}
            if self._scopes:  # keep the read-ahead copies as current as the buffers were
                self._known.update(entries)
                self._known_history.update(history)
            now = time.time()
            entry_rows = [
                (
                    e.fingerprint,
                    e.run_id,
                    e.node,
                    e.outputs_json
                    or canonical_json({k: o.to_dict() for k, o in e.outputs.items()}),
                    e.created or now,
                )
                for e in entries.values()
            ]
            history_rows = [
                (scope, node, p.fingerprint, p.material_json or canonical_json(p.material),
                 p.run_id, now)
                for (scope, node), p in history.items()
            ]  # fmt: skip
            with self._transaction() as db:
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)", entry_rows)
                db.executemany(
                    "INSERT OR REPLACE INTO history VALUES (?, ?, ?, ?, ?, ?)", history_rows
                )

    def _written(self) -> None:
        """Called with the lock held after buffering a write: flush when it is time."""
        now = time.monotonic()
        if not self._since:
            self._since = now
        if (
            not self._batching
            or len(self._entries) + len(self._history) >= self.FLUSH_MAX
            or now - self._since >= self.FLUSH_SECONDS
        ):
            self._since = 0.0
            self.flush()

    def get(self, fingerprint: str) -> CacheEntry | None:
        with self._lock:
            buffered = self._entries.get(fingerprint) or self._known.get(fingerprint)
            if buffered is not None:
                return buffered
            row = self._db.execute(
                "SELECT run_id, node, outputs, created FROM entries WHERE fingerprint = ?",
                (fingerprint,),
            ).fetchone()
        if row is None:
            return None
        outputs = {k: OutputRecord.from_dict(v) for k, v in from_json(row[2]).items()}
        return CacheEntry(fingerprint, row[0], row[1], outputs, row[3])

    def get_many(self, fingerprints: Iterable[str]) -> dict[str, CacheEntry | None]:
        """get() of several fingerprints in one query (the ready steps of one loop turn)."""
        found: dict[str, CacheEntry | None] = {}
        with self._lock:
            asked = []
            for fp in dict.fromkeys(fingerprints):
                buffered = self._entries.get(fp) or self._known.get(fp)
                found[fp] = buffered
                if buffered is None:
                    asked.append(fp)
            rows = []
            for start in range(0, len(asked), LOOKUP_CHUNK):
                chunk = asked[start : start + LOOKUP_CHUNK]
                rows += self._db.execute(
                    "SELECT fingerprint, run_id, node, outputs, created FROM entries"
                    f" WHERE fingerprint IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
        for fp, run_id, node, raw, created in rows:
            outputs = {k: OutputRecord.from_dict(v) for k, v in from_json(raw).items()}
            found[fp] = CacheEntry(fp, run_id, node, outputs, created)
        return found

    def put(self, entry: CacheEntry) -> None:
        with self._lock:
            self._entries[entry.fingerprint] = entry
            self._written()

    def previous(self, scope: str, node: str) -> Previous | None:
        with self._lock:
            if self._batching and scope not in self._scopes:
                self._read_ahead(scope)
            buffered = self._history.get((scope, node)) or self._known_history.get((scope, node))
            if buffered is not None or scope in self._scopes:  # read ahead: a miss is a miss
                return buffered
            row = self._db.execute(
                "SELECT fingerprint, material, run_id FROM history WHERE scope = ? AND node = ?",
                (scope, node),
            ).fetchone()
        if row is None:
            return None
        return Previous(row[0], from_json(row[1]), row[2])

    def _read_ahead(self, scope: str) -> None:
        """Load a scope's history and the entries it names (called with the lock held)."""
        rows = self._db.execute(
            "SELECT h.node, h.fingerprint, h.material, h.run_id, e.run_id, e.node, e.outputs,"
            " e.created FROM history h LEFT JOIN entries e ON e.fingerprint = h.fingerprint"
            " WHERE h.scope = ?",
            (scope,),
        ).fetchall()
        self._scopes.add(scope)
        for node, fp, mat, run_id, entry_run, entry_node, outputs, created in rows:
            self._known_history[(scope, node)] = Previous(fp, from_json(mat), run_id)
            if outputs is not None:
                records = {k: OutputRecord.from_dict(v) for k, v in from_json(outputs).items()}
                self._known[fp] = CacheEntry(fp, entry_run, entry_node, records, created)

    def remember(self, scope: str, node: str, previous: Previous) -> None:
        with self._lock:
            self._history[(scope, node)] = previous
            self._written()

    def record(self, entry: CacheEntry, scope: str | None, previous: Previous | None) -> None:
        """put() and remember() together (one transaction when not batching)."""
        with self._lock:
            self._entries[entry.fingerprint] = entry
            if scope is not None and previous is not None:
                self._history[(scope, entry.node)] = previous
            self._written()

    def prune(self, keep: Callable[[str], bool]) -> int:
        """Drop the entries with an output whose digest `keep` rejects (collected artifacts);
        how many went."""
        with self._lock:
            self.flush()
            rows = self._db.execute("SELECT fingerprint, outputs FROM entries").fetchall()
            gone = [
                (fp,)
                for fp, outputs in rows
                if not all(keep(o["digest"]) for o in from_json(outputs).values())
            ]
            with self._transaction() as db:
                db.executemany("DELETE FROM entries WHERE fingerprint = ?", gone)
            for (fp,) in gone:
                self._known.pop(fp, None)
        return len(gone)

    def clear(self) -> None:
        """Drop every entry and every history row, buffered or saved (the index stays, empty:
        another process may have it open)."""
        with self._lock:
            self._entries, self._history = {}, {}
            self._known, self._known_history, self._scopes = {}, {}, set()
            with self._transaction() as db:
                db.execute("DELETE FROM entries")
                db.execute("DELETE FROM history")

    def close(self) -> None:
        """Commit buffered writes and close the SQLite connection."""
        with self._lock:
            self.flush()
            self._db.close()


# ---------------------------------------------------------------------------------------------
# Fingerprints and decisions


def material(step: Step, upstream: Mapping[str, Mapping[str, OutputRecord]]) -> dict[str, Any]:
    """What a step's fingerprint is made of, with the source of each input (for explanations).

    `upstream` maps step key -> port -> OutputRecord for the steps already done.
    """
    inputs: dict[str, Any] = {}
    for wire in step.inputs:
        if wire.source_step is None or wire.source_port is None:
            inputs[wire.port] = None
            continue
        record = upstream[wire.source_step][wire.source_port]
        inputs[wire.port] = {
            "digest": record.digest,
            "kind": record.kind,
            "from": f"{wire.source_step}.{wire.source_port}",
        }
    return {
        "module": step.module,
        "implementation": step.implementation_digest,
        "environment": step.environment_fingerprint,
        "params": step.params_json,
        "inputs": inputs,
    }


def keyed(
    step: Step, upstream: Mapping[str, Mapping[str, OutputRecord]]
) -> tuple[dict[str, Any], str, str]:
    """A step's material, its fingerprint and the material's canonical JSON, built around the
    step's own parts encoded once (`Step.material_parts`): the same texts as
    ``fingerprint(material(step, upstream))`` and ``canonical_json(material(...))``, without
    encoding the step's module, digests and params again for each."""
    mat = material(step, upstream)
    module, implementation, environment, params = step.material_parts
    digests: dict[str, str] = {}
    records: dict[str, str] = {}
    for port, value in mat["inputs"].items():
        if value is None:
            digests[port] = records[port] = "null"
        else:
            digest = json_text(value["digest"])
            digests[port] = digest
            records[port] = (
                f'{{"digest":{digest},"from":{json_text(value["from"])},'
                f'"kind":{json_text(value["kind"])}}}'
            )
    ports = [(port, json_text(port)) for port in sorted(mat["inputs"])]
    key_inputs = ",".join(f"{name}:{digests[port]}" for port, name in ports)
    inputs = ",".join(f"{name}:{records[port]}" for port, name in ports)
    key = (
        f'{{"environment":{environment},"format":{CACHE_FORMAT},'
        f'"implementation":{implementation},"inputs":{{{key_inputs}}},"module":{module},'
        f'"params":{params}}}'
    )
    text = (
        f'{{"environment":{environment},"implementation":{implementation},'
        f'"inputs":{{{inputs}}},"module":{module},"params":{params}}}'
    )
    return mat, sha256_hex(key.encode()), text


def fingerprint(mat: Mapping[str, Any]) -> str:
    """The cache key of a step: SHA-256 over module, implementation, params, inputs, environment.

    The definition: the engine computes the same key with `keyed` (from the step's parts encoded
    once), which the property tests hold to this function."""
    key = {
        "format": CACHE_FORMAT,
        "module": mat["module"],
        "implementation": mat["implementation"],
        "environment": mat["environment"],
        "params": mat["params"],
        "inputs": {
            port: None if value is None else value["digest"]
            for port, value in mat["inputs"].items()
        },
    }
    return sha256_hex(canonical_json(key).encode())


def changes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What differs between two materials of a step, one dict per change, most decisive first.

    Kinds: ``module`` / ``module_version`` {old, new}, ``implementation``, ``environment``
    {old, new}, ``param`` {name, old, new} (absent: ``"(unset)"`` is shown), ``input``
    {port, change: disconnected|connected|rewired|changed, source} (source: the upstream node).
    """
    out: list[dict[str, Any]] = []
    if previous.get("module") != current["module"]:
        old_name, _ = split_ref(str(previous.get("module")))
        new_name, _ = split_ref(current["module"])
        kind = "module_version" if old_name == new_name else "module"
        out.append({"kind": kind, "old": previous.get("module"), "new": current["module"]})
    if previous.get("implementation") != current["implementation"]:
        out.append({"kind": "implementation"})
    if previous.get("environment") != current["environment"]:
        out.append({"kind": "environment", "old": previous.get("environment"),
                    "new": current["environment"]})  # fmt: skip
    old_params = _params(previous.get("params"))
    new_params = _params(current["params"])
    for name in [*new_params, *(k for k in old_params if k not in new_params)]:
        old, new = old_params.get(name, _UNSET), new_params.get(name, _UNSET)
        if old is _UNSET or new is _UNSET or not same_json(old, new):
            out.append({"kind": "param", "name": name, "old": _plain(old), "new": _plain(new)})
    old_inputs = previous.get("inputs") or {}
    for port, new_in in current["inputs"].items():
        old_in = old_inputs.get(port)
        if old_in == new_in:
            continue
        if new_in is None:
            change, source = "disconnected", _node(old_in["from"]) if old_in else None
        elif old_in is None:
            change, source = "connected", _node(new_in["from"])
        elif old_in.get("from") != new_in["from"]:
            change, source = "rewired", _node(new_in["from"])
        elif old_in.get("digest") != new_in["digest"]:
            change, source = "changed", _node(new_in["from"])
        else:
            continue
        out.append({"kind": "input", "port": port, "change": change, "source": source})
    return out


def explain(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> str:
    """Why a step whose fingerprint missed the cache runs, compared with its last material."""
    if previous is None:
        return REASON_NO_EARLIER
    found = changes(previous, current)
    kinds = [c["kind"] for c in found]
    if "module" in kinds:
        return REASON_MODULE
    if "module_version" in kinds:
        return REASON_MODULE_VERSION
    if "implementation" in kinds:
        return REASON_IMPLEMENTATION
    if not found:
        return REASON_NO_EARLIER
    return "ran: " + "; ".join(map(_change_text, found))


def _change_text(change: Mapping[str, Any]) -> str:
    if change["kind"] == "environment":
        return "environment changed"
    if change["kind"] == "param":
        return _param_change(change["name"], change["old"], change["new"])
    port, source = change["port"], change["source"]
    return {
        "disconnected": f"input `{port}` disconnected",
        "connected": f"input `{port}` connected to {source}",
        "rewired": f"input `{port}` now from {source}",
        "changed": f"input `{port}` from {source} changed",
    }[change["change"]]


_UNSET: Any = object()


def _params(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return dict(value) if isinstance(value, dict) else {}


def _node(source: str) -> str:
    return source.rpartition(".")[0] or source


def _plain(value: Any) -> Any:
    return UNSET_TEXT if value is _UNSET else value


UNSET_TEXT = "(unset)"


def _show(value: Any) -> str:
    if value == UNSET_TEXT:
        return UNSET_TEXT
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text


def _param_change(name: str, old: Any, new: Any) -> str:
    before, after = _show(old), _show(new)
    if len(before) > 40 or len(after) > 40 or "\n" in before + after:
        return f"param `{name}` changed"
    return f"param `{name}` changed {before} → {after}"


@dataclass(frozen=True)
class Decision:
    """Whether a step runs or is reused, why, and the material its fingerprint came from.

    action: "run" (submit it) or "reuse" (take `entry.outputs`). `material_json`, when
    known, is the canonical JSON of `material` (`keyed`), what the index writes.
    """

    step: str
    action: Literal["run", "reuse"]
    reason: str
    fingerprint: str
    material: dict[str, Any]
    entry: CacheEntry | None = None
    inputs: dict[str, dict[str, str] | None] = field(default_factory=dict)
    material_json: str = field(default="", compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (e.g. to carry a decision inside a distributed task)."""
        entry = None
        if self.entry is not None:
            entry = {
                "fingerprint": self.entry.fingerprint,
                "run_id": self.entry.run_id,
                "node": self.entry.node,
                "outputs": {k: v.to_dict() for k, v in self.entry.outputs.items()},
                "created": self.entry.created,
            }
        return {
            "step": self.step,
            "action": self.action,
            "reason": self.reason,
            "fingerprint": self.fingerprint,
            "material": self.material,
            "entry": entry,
            "inputs": self.inputs,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Rebuild a decision from `to_dict()` output."""
        raw = data.get("entry")
        entry = None
        if raw is not None:
            outputs = {k: OutputRecord.from_dict(v) for k, v in raw["outputs"].items()}
            entry = CacheEntry(
                raw["fingerprint"], raw["run_id"], raw["node"], outputs, raw["created"]
            )
        return cls(
            data["step"],
            data["action"],
            data["reason"],
            data["fingerprint"],
            dict(data["material"]),
            entry,
            dict(data.get("inputs") or {}),
        )


def decide(
    step: Step,
    upstream: Mapping[str, Mapping[str, OutputRecord]],
    cache: Cache,
    store: ArtifactStore,
    *,
    scope: str | None = None,
    requested: str = "ran: requested",
) -> Decision:
    """Decide whether `step` runs or is reused, with the human reason.

    `upstream` holds the outputs of the steps it depends on (step key -> port -> record);
    `scope` (e.g. a graph id) keys the per-node history that explains re-runs; `requested` is
    the reason given to steps the plan forces to run (mode "run").
    """
    mat, fp, text = keyed(step, upstream)
    return _decided(step, (mat, fp, text), cache.get, cache, store, scope, requested)


def decide_all(
    steps: Sequence[Step],
    upstream: Mapping[str, Mapping[str, OutputRecord]],
    cache: Cache,
    store: ArtifactStore,
    *,
    scope: str | None = None,
    requested: str = "ran: requested",
) -> list[Decision]:
    """decide() of steps that are ready together, with one cache query for all of them when the
    cache has ``get_many`` (FileCache); the decisions are the same as one by one."""
    keys = [keyed(step, upstream) for step in steps]
    get_many = getattr(cache, "get_many", None)
    get: Callable[[str], CacheEntry | None] = cache.get
    if len(steps) > 1 and callable(get_many) and not cache.bypass:
        asked = [key[1] for step, key in zip(steps, keys, strict=True) if _looks_up(step)]
        found: dict[str, CacheEntry | None] = get_many(asked) if asked else {}

        def read(fp: str) -> CacheEntry | None:
            return found[fp] if fp in found else cache.get(fp)

        get = read
    return [
        _decided(step, key, get, cache, store, scope, requested)
        for step, key in zip(steps, keys, strict=True)
    ]


def _looks_up(step: Step) -> bool:
    """Whether deciding `step` reads the cache (a step that always runs does not)."""
    return step.mode != "run" and step.deterministic


def _decided(
    step: Step,
    key: tuple[dict[str, Any], str, str],
    get: Callable[[str], CacheEntry | None],
    cache: Cache,
    store: ArtifactStore,
    scope: str | None,
    requested: str,
) -> Decision:
    """decide() once the step's material, fingerprint and material text are known (`keyed`);
    `get` reads the cache."""
    mat, fp, text = key
    inputs = _task_inputs(mat)

    def made(
        action: Literal["run", "reuse"], reason: str, entry: CacheEntry | None = None
    ) -> Decision:
        return Decision(step.key, action, reason, fp, mat, entry, inputs, text)

    if step.mode == "run":
        return made("run", requested)
    if cache.bypass:
        return made("run", REASON_BYPASSED)
    if not step.deterministic:
        return made("run", REASON_EXTERNAL)
    found = get(fp)
    entry = _usable(found, store)
    if entry is not None:
        return made("reuse", _reused(entry), entry)
    if found is not None:
        return made("run", REASON_GONE)
    previous = cache.previous(scope, step.key) if scope is not None else None
    return made("run", explain(previous.material if previous else None, mat))


def run_decision(
    step: Step, upstream: Mapping[str, Mapping[str, OutputRecord]], reason: str
) -> Decision:
    """The "run" decision of a step decided earlier (rebuilt from its inputs, no cache lookup):
    what a coordinator that keeps no decisions in memory records a fresh result with."""
    mat, fp, text = keyed(step, upstream)
    return Decision(step.key, "run", reason, fp, mat, None, _task_inputs(mat), text)


def _task_inputs(mat: Mapping[str, Any]) -> dict[str, dict[str, str] | None]:
    return {
        port: None if value is None else {"digest": value["digest"], "kind": value["kind"]}
        for port, value in mat["inputs"].items()
    }


def _usable(entry: CacheEntry | None, store: ArtifactStore) -> CacheEntry | None:
    if entry is None:
        return None
    for record in entry.outputs.values():
        if not store.exists(record.digest):
            return None
    return entry


def _reused(entry: CacheEntry) -> str:
    return f"reused: key {entry.fingerprint[:KEY_CHARS]} from run {entry.run_id}"


def record_success(
    cache: Cache,
    decision: Decision,
    outputs: Mapping[str, OutputRecord],
    run_id: str,
    scope: str | None,
    outputs_json: str = "",
) -> None:
    """Store a step's fresh result under its fingerprint and remember its material in `scope`
    (`outputs_json`, when known, is the canonical JSON of the outputs' records)."""
    if cache.bypass:
        return
    entry = CacheEntry(
        decision.fingerprint, run_id, decision.step, dict(outputs), time.time(), outputs_json
    )
    previous = Previous(decision.fingerprint, decision.material, run_id, decision.material_json)
    if isinstance(cache, FileCache):
        cache.record(entry, scope, previous)
        return
    cache.put(entry)
    if scope is not None:
        cache.remember(scope, decision.step, previous)


def record_reuse(cache: Cache, decision: Decision, run_id: str, scope: str | None) -> None:
    """Remember that `scope`'s node now stands at this material (so later changes are explained)."""
    if cache.bypass or scope is None or decision.entry is None:
        return
    known = cache.previous(scope, decision.step)
    if (
        known is not None
        and known.fingerprint == decision.fingerprint
        and known.material == decision.material
    ):
        return  # already standing there: skip the write
    previous = Previous(decision.fingerprint, decision.material, run_id, decision.material_json)
    cache.remember(scope, decision.step, previous)
