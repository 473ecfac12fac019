"""What a worker process holds in memory: recent Arrow tables by digest, staged outputs by token.

A process that runs steps keeps the Arrow tables of the DataFrames it recently stored or
loaded (``recent_tables``, keyed by digest, bounded by bytes), so the step after one that
produced a table — usually on the same warm worker — gets it without reading, hashing and
decoding the file again. A table too large for that bound which a run read from a step it
reused (the unchanged part of a pipeline someone is iterating on), or which a step read and
made no table as large (the end of a chain of big tables: Train model's train rows), is kept
under a second bound sized by the host's memory (decisions 0106, 0107), so the next rerun does
not rebuild it. Each step still gets its own DataFrame, equal to what decoding the stored bytes
gives; given a ``keep`` list (a step's context), it is built over the table's memory rather
than copied (``frame_over``).

The outputs of staged steps (staging.py) are held under tokens (``provisional``) until they
are stored, so a step the executor starts speculatively on this process can read them
(``{"pending": token, "kind": kind}`` input refs, ``load_provisional``).
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from designer.engine.artifacts import KIND_PARQUET, decode, table_to_frame
from designer.engine.derived import load_table
from designer.engine.memory import host_memory
from designer.engine.store import ArtifactStore

RECENT_TABLES_BYTES = 256 * 1024 * 1024  # default bound of the in-process table cache
LASTING_TABLES_BYTES = 2 * 1024 * 1024 * 1024  # most a worker keeps of reused steps' tables


class Parents(dict[str, Any]):
    """A step's input Arrow tables by digest or token: what its output tables may be kept as
    recipes over (``stored_parents``); recent tables keep them while the dict lives."""


class _Tier:
    """Tables by digest, least recently used first, and how many bytes they hold."""

    def __init__(self) -> None:
        self.tables: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self.size = 0

    def get(self, digest: str) -> Any:
        found = self.tables.get(digest)
        if found is None:
            return None
        self.tables.move_to_end(digest)
        return found[0]

    def add(self, digest: str, table: Any, size: int) -> None:
        self.tables[digest] = (table, size)
        self.size += size

    def pop(self, digest: str) -> None:
        old = self.tables.pop(digest, None)
        if old is not None:
            self.size -= old[1]

    def drop(self, within: int, needed: set[int]) -> None:
        """Drop the least recently used tables not in `needed` (ids) until within `within` bytes."""
        for digest, (table, size) in list(self.tables.items()):
            if self.size <= within:
                return
            if id(table) not in needed:
                del self.tables[digest]
                self.size -= size

    def clear(self) -> None:
        self.tables.clear()
        self.size = 0


class RecentTables:
    """A thread-safe LRU of Arrow tables by artifact digest, bounded by their size in bytes.

    Tables held for storage (``provisional``) count against the bound too, and push recent
    tables out, least recently used first (a warm worker's previous run goes first), but never
    one a step running or waiting for storage still holds as an input (``watch``): that step's
    outputs may be kept as recipes over it (docs/decisions/0034) only while it is here, and
    the step holds it in memory anyway. A table both held and kept is counted once: it is one
    table in memory (an output is kept once stored, just before it stops being held).

    A table larger than that whole bound is kept only as *lasting*: a table a run read from a
    step it reused (the unchanged part of a pipeline someone iterates on), or one a step read
    and made no table as large from (`keep_big_inputs`), under its own bound `lasting_limit`
    (0: none kept), apart from the others, until a step here makes or reads another table too
    large to keep (a run that does is not iterating downstream of them), unless the step made
    it from them (`lasting_among`): decisions 0106, 0107, 0108.
    """

    def __init__(self, limit: int = RECENT_TABLES_BYTES, lasting_limit: int = 0):
        self.limit = limit
        self.lasting_limit = lasting_limit
        self._recent = _Tier()
        self._lasting = _Tier()
        self._held: dict[int, tuple[Any, int, int]] = {}  # held for storage: table, size, times
        self._parents: dict[int, weakref.ref[Parents]] = {}  # living steps' input tables
        self._lock = threading.Lock()

    def configure(self, workers: int, memory_limit: int | None) -> None:
        """Size the bounds for one of `workers` processes on this host: lasting tables get a
        quarter of the host's memory shared by the workers (at most LASTING_TABLES_BYTES); with
        a worker's `memory_limit`, neither bound passes a quarter of it."""
        lasting = min(LASTING_TABLES_BYTES, host_memory() // (4 * max(1, workers)))
        if memory_limit:
            self.limit = min(self.limit, memory_limit // 4)
            lasting = min(lasting, memory_limit // 4)
        self.lasting_limit = lasting

    def get(self, digest: str) -> Any:
        """The table stored under `digest`, or None."""
        with self._lock:
            found = self._recent.get(digest)
            return self._lasting.get(digest) if found is None else found

    def put(self, digest: str, table: Any, lasting: bool = False) -> None:
        """Keep a table (one larger than the whole bound only if `lasting`, within its own;
        another such table makes room among the lasting ones)."""
        size = int(table.nbytes)
        with self._lock:
            self._recent.pop(digest)
            self._lasting.pop(digest)
            if lasting and self.limit < size <= self.lasting_limit:
                self._lasting.add(digest, table, size)
                self._shrink_lasting(self.lasting_limit)
            elif size <= self.limit:
                self._recent.add(digest, table, size)
                self._shrink()
            else:  # made or read by a run that is not iterating downstream of the lasting ones
                self._shrink_lasting(0)

    def hold(self, table: Any) -> None:
        """`table` is held for storage: make room for it (a table too large to keep makes
        room among the lasting tables too: no step needs them beside it)."""
        size = int(table.nbytes)  # outside the lock, as in `put`: a wide table's sum takes a while
        with self._lock:
            times = self._held.get(id(table), (table, 0, 0))[2]
            self._held[id(table)] = (table, size, times + 1)
            self._shrink()
            if size > self.limit:
                self._shrink_lasting(0)

    def release(self, table: Any) -> None:
        """`table` is no longer held for storage (once for each `hold`)."""
        with self._lock:
            _, size, times = self._held.pop(id(table), (table, 0, 0))
            if times > 1:
                self._held[id(table)] = (table, size, times - 1)

    def watch(self, parents: Parents) -> Parents:
        """Keep the tables in `parents` (a step's inputs) while that dict lives; returns it."""
        key = id(parents)

        def gone(_: object) -> None:
            self._parents.pop(key, None)

        self._parents[key] = weakref.ref(parents, gone)
        return parents

    def lasting_among(self, inputs: Mapping[str, Any]) -> Parents:
        """Those of a step's input tables (`inputs`) kept as lasting, watched as a step's
        inputs are: a step storing what it made from them keeps them (it iterates downstream
        of them, as Split data does on Normalize's rows when its fraction changes)."""
        with self._lock:
            kept = {id(table) for table, _ in self._lasting.tables.values()}
        found = Parents({key: t for key, t in inputs.items() if id(t) in kept})
        return self.watch(found) if found else found

    def _needed(self) -> set[int]:
        """The ids of the tables a living step's `Parents` holds."""
        needed: set[int] = set()
        for ref in list(self._parents.values()):
            parents = ref()
            if parents is not None:
                needed.update(id(table) for table in list(parents.values()))
        return needed

    def _shrink(self) -> None:
        """Drop the least recently used recent tables no step needs until within the bound (a
        table also held for storage stays: dropping it would free nothing)."""
        kept = {id(table) for table, _ in self._recent.tables.values()}
        held = sum(size for key, (_, size, _) in self._held.items() if key not in kept)
        if self._recent.size + held > self.limit:
            self._recent.drop(self.limit - held, self._needed() | self._held.keys())

    def _shrink_lasting(self, limit: int) -> None:
        """Drop the least recently used lasting tables no step needs until within `limit`."""
        if self._lasting.size > limit:
            self._lasting.drop(limit, self._needed())

    def clear(self) -> None:
        """Forget every table."""
        with self._lock:
            self._recent.clear()
            self._lasting.clear()

    def __contains__(self, digest: object) -> bool:
        with self._lock:
            return digest in self._recent.tables or digest in self._lasting.tables


recent_tables = RecentTables()
PROVISIONAL_LIMIT = 64  # tokens a process remembers (the runner's view of them may be older)


class ProvisionalMissing(Exception):
    """A speculative step asked for an in-memory output this process no longer holds."""


@dataclass
class Held:
    """An output held in memory under a token: its table or bytes until stored, then its digest
    (`exact`: the table held was what the stored bytes decode to)."""

    kind: str
    table: Any = None
    data: bytes | memoryview | None = None
    digest: str | None = None
    exact: bool = False
    wanted: bool = False  # a step that read the table asked to keep it as lasting once stored


class Provisional:
    """Outputs of staged steps by token, readable before (and after) they are stored."""

    def __init__(self, limit: int = PROVISIONAL_LIMIT):
        self.limit = limit
        self._held: OrderedDict[str, Held] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, token: str, held: Held) -> None:
        """Hold an output under `token` (the oldest token is forgotten beyond the limit)."""
        if held.table is not None:
            recent_tables.hold(held.table)
        with self._lock:
            _let_go(self._held.pop(token, None))
            self._held[token] = held
            while len(self._held) > self.limit:
                _let_go(self._held.popitem(last=False)[1])

    def resolve(self, token: str, digest: str, exact: bool) -> None:
        """The output is stored (durably) under `digest` (`exact`: as the table held, which a
        step that read it may keep its outputs as recipes over): let go of its table or bytes."""
        with self._lock:
            held = self._held.get(token)
            if held is None:
                return
            kept = held.table if held.wanted and exact else None
            _let_go(held)
            self._held[token] = Held(held.kind, digest=digest, exact=exact)
        if kept is not None:
            recent_tables.put(digest, kept, lasting=True)

    def want(self, token: str) -> str | None:
        """Keep the table held under `token` as lasting once it is stored exactly; its digest
        when it is stored exactly already (then the caller keeps it), else None."""
        with self._lock:
            held = self._held.get(token)
            if held is None:
                return None
            if held.table is None:  # stored already
                return held.digest if held.exact else None
            held.wanted = True
            return None

    def get(self, token: str) -> Held | None:
        """What is held under `token`, or None."""
        with self._lock:
            return self._held.get(token)

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            for held in self._held.values():
                _let_go(held)
            self._held.clear()

    def __contains__(self, token: object) -> bool:
        with self._lock:
            return token in self._held


provisional = Provisional()


def _let_go(held: Held | None) -> None:
    """A held table is no longer held for storage (stored, or forgotten)."""
    if held is not None and held.table is not None:
        recent_tables.release(held.table)


# frame_over's frames hold one block per column on purpose (zero-copy), so pandas' hint that
# a frame of over 100 blocks is "highly fragmented" would come with every column a module adds
# to a wide table: noise in the step's log, not a fault of the module's
warnings.filterwarnings("ignore", message="DataFrame is highly fragmented")


def frame_over(table: Any, keep: list[Any] | None) -> Any:
    """A DataFrame of an Arrow table: over the table's own memory when `keep` is given.

    Zero-copy: each column its own block (Arrow's ``split_blocks``), so columns without nulls
    use the table's buffers, which are read-only. The frame returned is a shallow copy of that
    one, which goes into `keep`: while it is kept, pandas' copy-on-write sees the columns as
    shared and copies one before the first write to it, so modules may change the frame as
    usual. Keep it as long as the frame, or anything made from it, may be written to (a step's
    context keeps it for the step). Without `keep`: a plain new frame (``to_pandas()``).
    Values, dtypes, index and attrs are the same either way.
    """
    if keep is None:
        return table_to_frame(table)
    whole = table.to_pandas(split_blocks=True)
    keep.append(whole)
    return whole.copy(deep=False)


def stored_table(store: ArtifactStore, digest: str, lasting: bool = False) -> Any:
    """The Arrow table of a stored table artifact, from `recent_tables` when it is there (a
    table kept as a recipe is assembled over its parent's table, engine/derived.py); kept
    there after (`lasting`: read from a step the run reused, see `RecentTables`)."""
    table = recent_tables.get(digest)
    if table is None:
        table = load_table(store, digest, recent_tables.get)  # digests checked by get()
        recent_tables.put(digest, table, lasting)
    return table


def load_input(
    store: ArtifactStore,
    digest: str,
    kind: str,
    keep: list[Any] | None = None,
    seen: dict[str, Any] | None = None,
    lasting: bool = False,
) -> Any:
    """Decode a stored artifact, taking DataFrames from `recent_tables` when they are there
    (`keep`: see `frame_over`; `seen` gets the Arrow table of a DataFrame by digest; `lasting`:
    see `stored_table`)."""
    if kind != KIND_PARQUET:
        return decode(store.get(digest), kind)
    table = stored_table(store, digest, lasting)
    if seen is not None:
        seen[digest] = table
    return frame_over(table, keep)


def load_provisional(
    store: ArtifactStore,
    token: str,
    keep: list[Any] | None = None,
    seen: dict[str, Any] | None = None,
) -> Any:
    """A new value of an output held under `token` (ProvisionalMissing when it is not held;
    `keep`: see `frame_over`; `seen` gets the Arrow table of a DataFrame by token)."""
    held = provisional.get(token)
    if held is None:
        raise ProvisionalMissing(f"input {token} is no longer held by this worker")
    if held.data is not None:
        return decode(bytes(held.data), held.kind)
    table = held.table
    if table is None:  # stored since: read by digest
        assert held.digest is not None
        if held.kind != KIND_PARQUET:
            return decode(store.get(held.digest), held.kind)
        table = stored_table(store, held.digest)
    if seen is not None:
        seen[token] = table
    return frame_over(table, keep)


def _is_token(key: str) -> bool:
    """Whether a key of a step's input tables (`Parents`) is a staged output's token
    (``run:step:attempt/port``), not a digest."""
    return "/" in key


def keep_big_inputs(inputs: Mapping[str, Any], made: Iterable[Any]) -> None:
    """A step that read tables too large for the recent tables and made none (`made`: its
    output tables) ends a chain of big tables, where a pipeline is iterated on (the learner,
    the scoring): keep what it read as lasting, by digest, or once stored for a staged output
    read by its token (decision 0107)."""
    limit = recent_tables.limit
    if any(int(table.nbytes) > limit for table in made):
        return
    for key, table in list(inputs.items()):
        if int(table.nbytes) <= limit:
            continue
        digest = provisional.want(key) if _is_token(key) else key
        if digest is not None:
            recent_tables.put(digest, table, lasting=True)


def stored_parents(store: ArtifactStore, seen: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """The input tables of a step (`seen`: by digest or token) that are stored exactly as their
    bytes decode, as (digest, table): what its output tables may be kept as recipes over."""
    parents: dict[str, tuple[str, Any]] = {}
    for key, table in seen.items():
        digest = key
        if _is_token(key):  # a staged output, usable once stored exactly
            held = provisional.get(key)
            if held is None or not held.digest or not held.exact:
                continue
            digest = held.digest
        if store.exists(digest):
            parents[key] = (digest, table)
    return parents
