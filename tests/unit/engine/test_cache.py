"""Fingerprints, explanations and the caches."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import (
    CacheEntry,
    FileCache,
    MemoryCache,
    NullCache,
    Previous,
    decide,
    decide_all,
    explain,
    fingerprint,
    material,
    record_reuse,
    record_success,
)
from designer.engine.compile import compile_document
from designer.engine.registry import Registry
from designer.engine.store import ArtifactStore
from tests.support.graphs import graph, node


def _material(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "module": "transform.split_rows@1",
        "implementation": "d1",
        "environment": "image=local;requirements=",
        "params": '{"fraction":0.2,"seed":1}',
        "inputs": {"dataset": {"digest": "a" * 64, "kind": "parquet", "from": "n2.dataset"}},
    }
    base.update(changes)
    return base


def test_fingerprint_covers_module_code_params_inputs_environment() -> None:
    base = fingerprint(_material())
    assert base == fingerprint(_material())
    for change in (
        {"module": "transform.split_rows@2"},
        {"implementation": "d2"},
        {"params": '{"fraction":0.3,"seed":1}'},
        {"inputs": {"dataset": {"digest": "b" * 64, "kind": "parquet", "from": "n2.dataset"}}},
        {"environment": "image=python:3.11;requirements="},
    ):
        assert fingerprint(_material(**change)) != base, change
    # where an input comes from does not matter, only its content
    moved = {"dataset": {"digest": "a" * 64, "kind": "parquet", "from": "n9.dataset"}}
    assert fingerprint(_material(inputs=moved)) == base


def test_explanations() -> None:
    now = _material()
    assert explain(None, now) == "ran: no earlier result"
    assert explain(now, now) == "ran: no earlier result"
    assert explain(_material(module="transform.split_rows@0"), now) == "ran: module version changed"
    assert explain(_material(module="transform.other@1"), now) == "ran: module changed"
    assert explain(_material(implementation="d0"), now) == "ran: implementation changed"
    assert (
        explain(_material(params='{"fraction":0.3,"seed":1}'), now)
        == "ran: param `fraction` changed 0.3 → 0.2"
    )
    assert (
        explain(
            _material(params='{"fraction":0.2,"seed":1,"old":true}'),
            _material(params='{"fraction":0.5,"seed":1}'),
        )
        == "ran: param `fraction` changed 0.2 → 0.5; param `old` changed true → (unset)"
    )
    assert (
        explain(_material(params='{"name":"iris"}'), _material(params='{"name":"wine"}'))
        == 'ran: param `name` changed "iris" → "wine"'
    )
    long_code = '{"code":"' + "x" * 100 + '"}'
    assert (
        explain(_material(params='{"code":"a"}'), _material(params=long_code))
        == "ran: param `code` changed"
    )
    changed = {"dataset": {"digest": "c" * 64, "kind": "parquet", "from": "n2.dataset"}}
    assert explain(now, _material(inputs=changed)) == "ran: input `dataset` from n2 changed"
    rewired = {"dataset": {"digest": "c" * 64, "kind": "parquet", "from": "n7.dataset"}}
    assert explain(now, _material(inputs=rewired)) == "ran: input `dataset` now from n7"
    assert (
        explain(_material(environment="image=x;requirements="), now) == "ran: environment changed"
    )


def test_file_cache_round_trip(tmp_path: Path) -> None:
    cache = FileCache(tmp_path)
    summary = {  # what a summary can hold reads back exactly: floats, big integers, any text
        "values": {"x": 1, "big": 10**30, "floats": [0.1, 2.4000000000000004, 5e-324, -0.0]},
        "columns": [{"name": "prix (€) 😀", "mean": 1.7976931348623157e308}],
    }
    record = OutputRecord("a" * 64, "json", 3, summary)
    cache.put(CacheEntry("f" * 64, "run1", "n1", {"out": record}, 1.0))
    entry = cache.get("f" * 64)
    assert entry is not None and entry.outputs == {"out": record} and entry.run_id == "run1"
    assert cache.get("0" * 64) is None
    cache.remember("graph-1", "n1", Previous("f" * 64, {"module": "m@1"}, "run1"))
    assert cache.previous("graph-1", "n1") == Previous("f" * 64, {"module": "m@1"}, "run1")
    assert cache.previous("graph-2", "n1") is None
    cache.close()
    reopened = FileCache(tmp_path)
    assert reopened.get("f" * 64) == entry
    read = reopened.get("f" * 64)
    exact = json.dumps(summary, sort_keys=True)  # tells -0.0 from 0.0, which == does not
    assert read is not None and json.dumps(read.outputs["out"].summary, sort_keys=True) == exact
    reopened.close()


def _hammer(root: str, n: int) -> None:
    cache = FileCache(root)
    for i in range(100):
        key = f"{n:02d}{i:062d}"
        cache.record(
            CacheEntry(key, f"run{n}", "node", {"out": OutputRecord("a" * 64, "json", 1, {})}, 0.0),
            "scope",
            Previous(key, {"i": i}, f"run{n}"),
        )
        assert cache.get(key) is not None
    cache.close()


def test_file_cache_is_safe_for_several_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path), n)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = FileCache(tmp_path)
    assert all(cache.get(f"{n:02d}{i:062d}") for n in range(4) for i in range(100))
    cache.close()


def test_decide(tmp_path: Path, reg: Registry) -> None:
    plan = compile_document(graph([node("a", "test.const@1")]), reg)
    step = plan.step("a")
    store = ArtifactStore(tmp_path)
    cache = MemoryCache()
    first = decide(step, {}, cache, store, scope="g")
    assert (first.action, first.reason) == ("run", "ran: no earlier result")
    digest = store.put(b'{"value":1}')
    record_success(cache, first, {"out": OutputRecord(digest, "json", 11, {})}, "r1", "g")
    again = decide(step, {}, cache, store, scope="g")
    assert (again.action, again.reason) == (
        "reuse",
        f"reused: key {first.fingerprint[:12]} from run r1",
    )
    record_reuse(cache, again, "r2", "g")
    assert decide(step, {}, NullCache(), store).reason == "ran: cache bypassed"
    store.delete(digest)
    gone = decide(step, {}, cache, store, scope="g")
    assert (gone.action, gone.reason) == ("run", "ran: earlier result is no longer in the store")


def test_material_records_where_inputs_come_from(reg: Registry) -> None:
    plan = compile_document(
        graph([node("a", "test.const@1"), node("b", "test.add@1")], [("a.out", "b.in")]), reg
    )
    up = {"a": {"out": OutputRecord("e" * 64, "json", 2, {})}}
    mat = material(plan.step("b"), up)
    assert mat["inputs"] == {"in": {"digest": "e" * 64, "kind": "json", "from": "a.out"}}
    assert mat["params"] == '{"amount":1}'


def test_decisions_round_trip_through_json(tmp_path: Path, reg: Registry) -> None:
    import json

    from designer.engine.cache import Decision

    plan = compile_document(graph([node("a", "test.const@1")]), reg)
    store = ArtifactStore(tmp_path)
    cache = MemoryCache()
    first = decide(plan.step("a"), {}, cache, store)
    assert Decision.from_dict(json.loads(json.dumps(first.to_dict()))) == first
    record_success(cache, first, {"out": OutputRecord(store.put(b"x"), "json", 1, {})}, "r1", None)
    reused = decide(plan.step("a"), {}, cache, store)
    assert Decision.from_dict(json.loads(json.dumps(reused.to_dict()))) == reused


def test_file_cache_batches_writes_inside_a_run(tmp_path: Path) -> None:
    writer, reader = FileCache(tmp_path), FileCache(tmp_path)
    record = OutputRecord("a" * 64, "json", 1, {})
    writer.put(CacheEntry("1" * 64, "r", "n", {"out": record}, 1.0))
    assert reader.get("1" * 64) is not None  # outside a batch: committed at once
    with writer.batch():
        writer.record(
            CacheEntry("2" * 64, "r", "n", {"out": record}, 1.0), "s", Previous("2" * 64, {}, "r")
        )
        assert writer.get("2" * 64) is not None and writer.previous("s", "n") is not None
        assert reader.get("2" * 64) is None  # buffered
    assert reader.get("2" * 64) is not None and reader.previous("s", "n") is not None
    writer.close()
    reader.close()


def test_a_cleared_file_cache_forgets_everything_for_every_process(tmp_path: Path) -> None:
    other, cleared = FileCache(tmp_path), FileCache(tmp_path)
    record = OutputRecord("a" * 64, "json", 1, {})
    other.record(
        CacheEntry("1" * 64, "r", "n", {"out": record}, 1.0), "s", Previous("1" * 64, {}, "r")
    )
    with cleared.batch():
        cleared.record(
            CacheEntry("2" * 64, "r", "m", {"out": record}, 1.0), "s", Previous("2" * 64, {}, "r")
        )  # buffered, not saved yet
        cleared.clear()
    for cache in (other, cleared):
        assert cache.get("1" * 64) is None and cache.get("2" * 64) is None
        assert cache.previous("s", "n") is None and cache.previous("s", "m") is None
    other.close()
    cleared.close()


def test_file_cache_reads_a_scope_ahead_inside_a_batch_and_stays_current(tmp_path: Path) -> None:
    writer, reader = FileCache(tmp_path), FileCache(tmp_path)
    record = OutputRecord("a" * 64, "json", 1, {"rows": 1})
    for node_id, fp in (("a", "1" * 64), ("b", "2" * 64)):
        writer.record(
            CacheEntry(fp, "r1", node_id, {"out": record}, 1.0), "g", Previous(fp, {"n": 1}, "r1")
        )
    selects: list[str] = []
    reader._db.set_trace_callback(lambda sql: selects.append(sql) if "SELECT" in sql else None)
    with reader.batch():
        assert reader.previous("g", "a") == Previous("1" * 64, {"n": 1}, "r1")
        assert len(selects) == 1  # the whole scope, with its entries, in one query
        assert reader.get("2" * 64) == CacheEntry("2" * 64, "r1", "b", {"out": record}, 1.0)
        assert reader.previous("g", "b") == Previous("2" * 64, {"n": 1}, "r1")
        assert len(selects) == 1
        writer.put(CacheEntry("3" * 64, "r2", "c", {"out": record}, 2.0))
        assert reader.get("3" * 64) is not None  # written elsewhere meanwhile: a miss asks
        reader.remember("g", "a", Previous("4" * 64, {"n": 2}, "r3"))
        reader.flush()
        assert reader.previous("g", "a") == Previous("4" * 64, {"n": 2}, "r3")
    writer.remember("g", "b", Previous("5" * 64, {"n": 3}, "r4"))
    assert reader.previous("g", "b") == Previous("5" * 64, {"n": 3}, "r4")  # copies dropped
    writer.close()
    reader.close()


def test_steps_ready_together_are_decided_as_one_by_one_in_one_query(
    tmp_path: Path, reg: Registry
) -> None:
    """A fan-out's middles: the cached one is reused, one whose bytes are gone and the new
    ones run, each with the reason and fingerprint it gets alone; one SELECT for them all."""
    nodes = [node("src", "test.const@1")]
    nodes += [node(f"m{i}", "test.add@1", amount=i) for i in range(5)]
    plan = compile_document(graph(nodes, [("src.out", f"m{i}.in") for i in range(5)]), reg)
    store = ArtifactStore(tmp_path / "artifacts")
    cache = FileCache(tmp_path)
    up = {"src": {"out": OutputRecord(store.put(b"1"), "json", 1, {})}}
    middles = [plan.step(f"m{i}") for i in range(5)]
    kept = store.put(b"2")
    for step, digest in ((middles[0], kept), (middles[1], store.put(b"3"))):
        first = decide(step, up, cache, store, scope="g")
        record_success(cache, first, {"out": OutputRecord(digest, "json", 1, {})}, "r1", "g")
    store.delete(store.put(b"3"))
    alone = [decide(step, up, cache, store, scope="g") for step in middles]
    selects: list[str] = []
    cache._db.set_trace_callback(lambda sql: selects.append(sql) if "SELECT" in sql else None)
    with cache.batch():  # as in a run: the scope's history is read ahead once
        together = decide_all(middles, up, cache, store, scope="g")
    assert together == alone
    assert [d.action for d in together] == ["reuse", "run", "run", "run", "run"]
    assert len(selects) == 2  # the scope's history, then one query for every middle
    cache.close()
