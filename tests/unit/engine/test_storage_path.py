"""The storage path: Parquet options, sampled summaries, stored summaries, the table cache."""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from designer.engine import staging, worker
from designer.engine.artifacts import (
    KIND_PARQUET,
    SUMMARY_SAMPLE_ROWS,
    decode,
    encode,
    summarize_frame,
)
from designer.engine.hashing import json_safe
from designer.engine.held import Held, Parents, RecentTables, provisional, recent_tables
from designer.engine.runners.local import LocalRunner
from designer.engine.staging import Staged, stage_step
from designer.engine.store import ArtifactStore
from designer.engine.types import PortType
from designer.engine.worker import make_task, run_step

IMPLEMENTATIONS = """
import os
import pandas as pd


def produce(ctx):
    n = ctx.params["rows"]
    df = pd.DataFrame({"x": range(n), "y": [i / 2 for i in range(n)]})
    return {"dataset": df, "info": {"pid": os.getpid()}}


def mutate(ctx):
    df = ctx.input("dataset")
    df["x"] = -1
    df.iloc[0, 1] = 99.0
    return {"dataset": df, "info": {"pid": os.getpid()}}


def consume(ctx):
    df = ctx.input("dataset")
    return {"info": {"pid": os.getpid(), "x": df["x"].tolist(), "y": df["y"].tolist()}}


def wide(ctx):
    n = ctx.params["rows"]
    return {"dataset": pd.DataFrame({f"c{i}": [float(i + j) for j in range(n)] for i in range(4)})}


def touch(ctx):
    df = ctx.input("dataset")
    df["c0"] = -1.0
    return {"dataset": df}


def same(ctx):
    return {"dataset": ctx.input("dataset").drop(columns=[])}


def categories(ctx):
    return {"dataset": pd.DataFrame({"c": pd.Categorical(["a", "b"] * ctx.params["rows"])})}
"""
TABLE = [{"port": "dataset", "type": "DataFrame"}]
BOTH = [{"port": "dataset", "type": "DataFrame"}, {"port": "info", "type": "Metrics"}]
INFO = [{"port": "info", "type": "Metrics"}]


@pytest.fixture
def impl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module of implementations importable in this process and in workers started now."""
    package = tmp_path / "storage_path_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "impl.py").write_text(IMPLEMENTATIONS)
    monkeypatch.syspath_prepend(str(tmp_path))
    recent_tables.clear()
    yield "storage_path_probe.impl"
    recent_tables.clear()


def task(
    impl: str,
    function: str,
    store: Path,
    outputs: list[dict[str, str]],
    rows: int = 5,
    **inputs: Any,
) -> dict[str, Any]:
    step = {
        "key": function,
        "module": f"probe.{function}@1",
        "implementation": f"{impl}:{function}",
        "implementation_digest": "v1",
        "params_json": json.dumps({"rows": rows}),
        "outputs": outputs,
    }
    refs = {port: {"digest": r["digest"], "kind": r["kind"]} for port, r in inputs.items()}
    return make_task(step, refs, run_id="r", attempt=1, store=store)


def succeeded(result: dict[str, Any]) -> dict[str, Any]:
    assert result["status"] == "succeeded", result.get("error")
    outputs: dict[str, Any] = result["outputs"]
    return outputs


def mixed_frame(rows: int) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    floats = rng.normal(size=rows)
    floats[::97] = np.nan
    df = pd.DataFrame(
        {
            "f": floats,
            "i": rng.integers(-5, 50, rows),
            "u": rng.integers(0, 200, rows).astype("uint8"),
            "s": rng.choice(["red", "green", "blue"], rows),
            "c": pd.Categorical(rng.choice(["x", "y"], rows)),
            "t": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, rows), "s"),
            "b": rng.random(rows) < 0.25,
            "n": pd.array(rng.integers(0, 3, rows), dtype="Int64"),
        },
        index=pd.RangeIndex(10, 10 + rows),
    )
    df.attrs["designer_label"] = "b"
    return df


def test_parquet_bytes_are_deterministic_and_decode_to_the_same_frame() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = mixed_frame(500)
    first = encode(df, PortType.DATAFRAME)
    assert encode(df.copy(), PortType.DATAFRAME).data == first.data
    back = decode(first.data, first.kind)
    assert back.equals(df) and back.dtypes.equals(df.dtypes) and back.index.equals(df.index)
    assert back.attrs == {"designer_label": "b"}
    meta = pq.ParquetFile(pa.BufferReader(first.data)).metadata.row_group(0)
    columns = {meta.column(i).path_in_schema: meta.column(i) for i in range(8)}
    assert columns["s"].compression == "LZ4" and columns["s"].has_dictionary_page  # LZ4_RAW


def test_high_cardinality_columns_fall_back_to_plain_encoding_early() -> None:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 50_000
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"dense": rng.normal(size=rows), "flags": rng.integers(0, 2, rows) * 1.0})
    data = encode(df, PortType.DATAFRAME).data
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata.row_group(0)
    dense, flags = meta.column(0), meta.column(1)
    assert dense.total_uncompressed_size < 1.02 * 8 * rows  # no full dictionary on top
    assert flags.has_dictionary_page and flags.total_compressed_size < rows  # 2 values: tiny


def reference(series: Any) -> dict[str, Any]:
    """What a column summary must say, computed the slow, obvious way with pandas."""
    import numpy as np

    finite = series[np.isfinite(series.astype("float64"))]
    return {
        "nulls": int(series.isna().sum()),
        "distinct": int(series.nunique()),
        "min": json_safe(series.min()),
        "max": json_safe(series.max()),
        "mean": float(finite.mean()),
        "total": int(finite.size),
    }


def test_numeric_summaries_match_pandas() -> None:
    import numpy as np
    import pandas as pd

    df = pd.DataFrame(
        {
            "f": [1.5, np.nan, -2.0, 1.5, np.inf, 7.0],
            "g": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            "i": [3, 1, 4, 1, 5, 9],
            "u": np.array([1, 2, 2, 3, 250, 0], dtype="uint8"),
            "n": pd.array([1, None, 3, 3, 5, 6], dtype="Int64"),
        }
    )
    summary = summarize_frame(df)
    assert "sampled" not in summary
    for column in summary["columns"]:
        expected = reference(df[column["name"]])
        got = {k: column[k] for k in ("nulls", "distinct", "min", "max", "mean")}
        assert got == {k: expected[k] for k in got}, column["name"]
        assert sum(column["histogram"]["counts"]) == expected["total"]
    assert type(summary["columns"][2]["min"]) is int
    assert summary["columns"][0]["max"] is None  # inf: not JSON
    json.dumps(summary, allow_nan=False)


def test_large_tables_take_distinct_and_histograms_from_a_sample() -> None:
    import numpy as np

    rows = SUMMARY_SAMPLE_ROWS * 3
    df = mixed_frame(rows)
    summary = summarize_frame(df)
    assert (summary["rows"], summary["sampled"], summary["sample_rows"]) == (
        rows,
        True,
        SUMMARY_SAMPLE_ROWS,
    )
    columns = {c["name"]: c for c in summary["columns"]}
    f = columns["f"]
    values = df["f"].to_numpy()
    assert f["nulls"] == int(np.isnan(values).sum())  # exact
    assert (f["min"], f["max"]) == (float(np.nanmin(values)), float(np.nanmax(values)))
    assert math.isclose(f["mean"], float(np.nanmean(values)))
    assert f["histogram"]["edges"][0] == f["min"] and f["histogram"]["edges"][-1] == f["max"]
    assert 0.95 * SUMMARY_SAMPLE_ROWS < sum(f["histogram"]["counts"]) <= SUMMARY_SAMPLE_ROWS
    assert f["distinct"] <= SUMMARY_SAMPLE_ROWS < rows - f["nulls"]
    assert columns["s"]["distinct"] == 3 and columns["b"]["true"] == int(df["b"].sum())
    assert columns["t"]["min"] == json_safe(df["t"].min())
    assert summarize_frame(df.copy()) == summary  # the sample is fixed


def test_store_accepts_buffers_and_keeps_summaries_beside_artifacts(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    data = b"payload" * 100
    digest = hashlib.sha256(data).hexdigest()
    assert store.put(memoryview(data)) == digest and store.get(digest) == data
    assert store.summary(digest) is None
    store.put_summary(digest, {"rows": 3})
    assert store.summary(digest) == {"rows": 3}
    assert list(store.digests()) == [digest]  # summaries are not artifacts
    (tmp_path / "summaries" / digest[:2] / f"{digest[2:]}.json").write_text("{trunc")
    assert store.summary(digest) is None  # unreadable: computed again, never trusted
    store.put_summary(digest, {"rows": 3})
    store.delete(digest)
    assert not store.exists(digest) and store.summary(digest) is None
    assert not any((tmp_path / "tmp").iterdir())


def test_recent_tables_is_a_byte_bounded_lru() -> None:
    import pyarrow as pa

    table = pa.table({"x": list(range(100))})  # 800 bytes
    cache = RecentTables(limit=2000)
    cache.put("a", table)
    cache.put("b", table)
    assert cache.get("a") is table  # "a" is now the most recent
    cache.put("c", table)
    assert "b" not in cache and "a" in cache and "c" in cache
    cache.put("big", pa.table({"x": list(range(1000))}))
    assert "big" not in cache and "a" in cache


@pytest.fixture
def small_bound() -> Iterator[None]:
    limits = recent_tables.limit, recent_tables.lasting_limit
    recent_tables.limit, recent_tables.lasting_limit = 2000, 2000
    yield
    provisional.clear()
    recent_tables.clear()
    recent_tables.limit, recent_tables.lasting_limit = limits


def test_a_table_too_large_to_keep_is_kept_when_a_run_read_it_from_a_step_it_reused(
    small_bound: None,
) -> None:
    """The recent tables keep nothing larger than their bound, but a table read from a reused
    step (the unchanged part of a pipeline being iterated on) is kept apart under a bound of
    its own, so the next rerun reads it from memory (decision 0106): past that bound the least
    recently used goes; the run's new tables do not push it out, unless one is too large to
    keep (a run making or reading big tables is not iterating downstream of them)."""
    import pyarrow as pa

    def table(rows: int) -> pa.Table:
        return pa.table({"x": list(range(rows))})  # 8 bytes a row

    recent_tables.lasting_limit = 5000
    recent_tables.put("written", table(300))  # 2400 bytes: over the 2000-byte bound
    recent_tables.put("train rows", table(300), lasting=True)
    recent_tables.put("small", table(100), lasting=True)  # within the bound: kept as any
    assert "written" not in recent_tables and "train rows" in recent_tables
    for n in range(4):  # a rerun's new outputs: 3200 bytes through the 2000-byte bound
        recent_tables.put(f"new {n}", table(100))
    assert "train rows" in recent_tables and "small" not in recent_tables
    recent_tables.put("test rows", table(300), lasting=True)
    recent_tables.get("train rows")
    other = table(300)
    recent_tables.put("other rows", other, lasting=True)  # 7200 bytes past 5000
    assert "train rows" in recent_tables and "other rows" in recent_tables
    assert "test rows" not in recent_tables
    reading = recent_tables.watch(Parents({"other rows": other}))  # a step reads it
    provisional.put("split/train", Held(KIND_PARQUET, table=table(100)))
    assert "train rows" in recent_tables  # a small new table leaves them be
    provisional.put("split/test", Held(KIND_PARQUET, table=table(300)))  # too large to keep
    assert "train rows" not in recent_tables and "other rows" in recent_tables
    recent_tables.put("test rows", table(300), lasting=True)
    recent_tables.put("read", table(300))  # a big table read from a step that ran
    assert "test rows" not in recent_tables and "other rows" in recent_tables
    del reading


def test_a_step_reading_a_large_table_from_a_reused_step_leaves_the_lasting_tables_be(
    tmp_path: Path, impl: str, small_bound: None
) -> None:
    """The executor marks an input read from a reused step ("reused" in its ref): the worker
    keeps that table although it is larger than its recent tables' bound, beside the other
    lasting tables (the train rows and the test rows of one iteration), and through the storage
    of a large table the step makes from it (it iterates downstream of it); a large table read
    unmarked drops those no step needs (a run reading big tables that ran is not iterating
    downstream of them), and one made from it does not keep it."""
    recent_tables.limit, recent_tables.lasting_limit = 10_000, 100_000
    refs = []
    for rows in (1000, 1001, 1002):  # 16 kB tables
        made = run_step(task(impl, "produce", tmp_path, BOTH, rows=rows))
        refs.append({"digest": succeeded(made)["dataset"]["digest"], "kind": KIND_PARQUET})
    recent_tables.clear()
    for ref, marked in zip(refs, ({"reused": True}, {"reused": True}, {}), strict=True):
        consume = task(impl, "consume", tmp_path, INFO)
        consume["inputs"] = {"dataset": {**ref, **marked}}
        succeeded(run_step(consume))
    kept = [ref["digest"] in recent_tables for ref in refs]
    assert kept == [False, False, True]
    recent_tables.clear()
    for ref in refs[:2]:
        consume = task(impl, "consume", tmp_path, INFO)
        consume["inputs"] = {"dataset": {**ref, "reused": True}}
        succeeded(run_step(consume))
    assert all(ref["digest"] in recent_tables for ref in refs[:2])
    for marked in ({}, {"reused": True}):  # Split data on Normalize's rows, its fraction changed
        recent_tables.clear()
        mutate = task(impl, "mutate", tmp_path, BOTH)  # makes another 16 kB table
        mutate["inputs"] = {"dataset": {**refs[2], **marked}}
        succeeded(run_step(mutate))
        assert (refs[2]["digest"] in recent_tables) is bool(marked)


def test_a_step_that_reads_a_large_table_and_makes_none_keeps_it(
    tmp_path: Path, impl: str, small_bound: None
) -> None:
    """A step that reads a table too large for the recent tables and makes none ends a chain
    of big tables (Train model on the train rows): the worker keeps what it read as lasting,
    read from the store or, before it was stored, from the step that made it (once stored
    exactly, whichever finishes first), so the next rerun that changes the learner does not
    rebuild it (decision 0107). A step that makes a large table does not keep its input."""
    recent_tables.limit, recent_tables.lasting_limit = 10_000, 100_000
    made = run_step(task(impl, "produce", tmp_path, BOTH, rows=1000))  # a 16 kB table
    digest = succeeded(made)["dataset"]["digest"]
    for function, outputs, kept in (("mutate", BOTH, False), ("consume", INFO, True)):
        recent_tables.clear()
        reader = task(impl, function, tmp_path, outputs)  # mutate makes another 16 kB table
        reader["inputs"] = {"dataset": {"digest": digest, "kind": KIND_PARQUET}}
        succeeded(run_step(reader))
        assert (digest in recent_tables) is kept
    for reader_first in (True, False):
        recent_tables.clear()
        token = f"p{reader_first}"
        producer = stage_step(task(impl, "produce", tmp_path, BOTH, rows=1000), token=token)
        assert isinstance(producer, Staged)
        reader = task(impl, "consume", tmp_path, INFO)
        reader["inputs"] = {"dataset": {"pending": f"{token}/dataset", "kind": KIND_PARQUET}}
        if reader_first:
            staged_reader = stage_step(reader, token=f"c{token}")
            assert digest not in recent_tables  # not stored yet: kept once it is
            assert isinstance(staged_reader, Staged)
            succeeded(staged_reader.finish())
            succeeded(producer.finish())
        else:
            succeeded(producer.finish())
            assert digest not in recent_tables  # over the bound, and no step read it
            staged_reader = stage_step(reader, token=f"c{token}")
            assert isinstance(staged_reader, Staged)
            succeeded(staged_reader.finish())
        assert digest in recent_tables


def test_the_lasting_bound_is_a_share_of_the_hosts_memory_within_a_workers_limit() -> None:
    from designer.engine.held import LASTING_TABLES_BYTES, RECENT_TABLES_BYTES
    from designer.engine.memory import host_memory

    cache = RecentTables()
    cache.configure(workers=2, memory_limit=None)
    assert cache.lasting_limit == min(LASTING_TABLES_BYTES, host_memory() // 8)
    assert cache.limit == RECENT_TABLES_BYTES
    cache.configure(workers=2, memory_limit=512 * 1024 * 1024)
    assert cache.limit == cache.lasting_limit == 128 * 1024 * 1024


def test_tables_held_for_storage_push_out_only_tables_no_step_holds(small_bound: None) -> None:
    """A warm worker's previous tables make room for the ones waiting to be stored; a table a
    step still holds as its input stays (its outputs may be kept as recipes over it)."""
    import pyarrow as pa

    def table() -> pa.Table:
        return pa.table({"x": list(range(100))})  # 800 bytes

    previous, parent, out, other = table(), table(), table(), table()
    recent_tables.put("parent", parent)
    recent_tables.put("previous", previous)  # the more recent of the two
    inputs = recent_tables.watch(Parents({"parent": parent}))
    provisional.put("step/out", Held(KIND_PARQUET, table=out))
    provisional.put("step/other", Held(KIND_PARQUET, table=other))
    assert "previous" not in recent_tables and "parent" in recent_tables  # over the bound
    provisional.resolve("step/out", "out", exact=True)  # stored: no longer held
    provisional.resolve("step/other", "other", exact=True)
    recent_tables.put("out", out)
    assert "parent" in recent_tables and "out" in recent_tables
    del inputs  # the step that held it is done
    provisional.put("step/third", Held(KIND_PARQUET, table=table()))
    assert "parent" not in recent_tables and "out" in recent_tables


def test_an_output_kept_while_still_held_for_storage_counts_once(small_bound: None) -> None:
    """A stored output goes into the recent tables a moment before it stops being held: one
    table in memory, which must not push out another that fits beside it (a 3M-row rerun's
    test rows were pushed out by the scored table that way, and read again every rerun)."""
    import pyarrow as pa

    test_rows, scored = pa.table({"x": list(range(100))}), pa.table({"x": list(range(100))})
    recent_tables.put("test rows", test_rows)  # 800 of the 2000 bytes
    provisional.put("score/dataset", Held(KIND_PARQUET, table=scored))
    recent_tables.put("scored", scored)  # stored, not yet resolved: 1600 bytes in memory
    assert "test rows" in recent_tables and "scored" in recent_tables
    provisional.resolve("score/dataset", "scored", exact=True)
    assert "test rows" in recent_tables and "scored" in recent_tables


def test_a_staged_child_is_kept_as_a_recipe_while_held_tables_fill_the_bound(
    tmp_path: Path, impl: str, small_bound: None
) -> None:
    """The child of a staged parent, read before the parent was stored, is stored as a recipe
    over it although the tables waiting to be stored exceed the recent tables' bound."""
    import pyarrow as pa

    recent_tables.limit = 48_000  # one and a half of the 32 kB tables
    recent_tables.put("previous", pa.table({"x": [0.0] * 4000}))  # a previous run's table
    parent = stage_step(task(impl, "wide", tmp_path, TABLE, rows=1000), token="p")
    child_task = task(impl, "touch", tmp_path, TABLE)
    child_task["inputs"] = {"dataset": {"pending": "p/dataset", "kind": KIND_PARQUET}}
    child = stage_step(child_task, token="c")
    assert isinstance(parent, Staged) and isinstance(child, Staged)
    assert "previous" not in recent_tables
    succeeded(parent.finish())
    digest = succeeded(child.finish())["dataset"]["digest"]
    store = ArtifactStore(tmp_path)
    assert store.recipe(digest) is not None
    frame = decode(store.get(digest), KIND_PARQUET)
    assert list(frame["c0"]) == [-1.0] * 1000 and list(frame["c1"][:2]) == [1.0, 2.0]


def test_a_staged_parent_larger_than_the_recent_tables_bound_is_still_a_recipes_parent(
    tmp_path: Path, impl: str, small_bound: None
) -> None:
    """A table too big for the recent tables (a 3M-row table against their 256 MB) is still
    what its child, read before it was stored, is kept as a recipe over: it was stored
    exactly, and the child holds it as its input."""
    recent_tables.limit = 16_000  # half of one 32 kB table
    parent = stage_step(task(impl, "wide", tmp_path, TABLE, rows=1000), token="p")
    child_task = task(impl, "touch", tmp_path, TABLE)
    child_task["inputs"] = {"dataset": {"pending": "p/dataset", "kind": KIND_PARQUET}}
    child = stage_step(child_task, token="c")
    assert isinstance(parent, Staged) and isinstance(child, Staged)
    parent_digest = succeeded(parent.finish())["dataset"]["digest"]
    assert parent_digest not in recent_tables  # over the bound: not kept
    digest = succeeded(child.finish())["dataset"]["digest"]
    store = ArtifactStore(tmp_path)
    recipe = store.recipe(digest)
    assert recipe is not None and parent_digest in recipe.decode()
    frame = decode(store.get(digest), KIND_PARQUET)
    assert list(frame["c0"]) == [-1.0] * 1000 and list(frame["c1"][:2]) == [1.0, 2.0]


def test_a_staged_step_says_its_tables_are_encoded_while_their_durable_writes_still_run(
    tmp_path: Path, impl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker takes its next step once the tables before it are encoded, not once they are
    durable (decision 0103); the step still reports only when they are."""
    commit, encoded_at, committed = ArtifactStore.commit, threading.Event(), threading.Event()

    def slow_commit(store: ArtifactStore, written: Any) -> str:
        encoded_at.wait(5)  # the fsync and rename of a big table, still running
        digest = commit(store, written)
        committed.set()
        return digest

    def encoded() -> None:
        assert not committed.is_set()
        encoded_at.set()

    monkeypatch.setattr(ArtifactStore, "commit", slow_commit)
    monkeypatch.setattr(worker, "SMALL_TABLE_BYTES", 0)  # a big table: streamed, then committed
    staged = stage_step(task(impl, "wide", tmp_path, TABLE, rows=50_000), token="s")
    assert isinstance(staged, Staged)
    digest = succeeded(staged.finish(encoded))["dataset"]["digest"]
    assert encoded_at.is_set() and committed.is_set()
    assert ArtifactStore(tmp_path).exists(digest)  # durable before the result


def test_a_small_table_is_summarized_once_on_its_steps_thread_unless_its_step_runs_every_time(
    tmp_path: Path, impl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deterministic step's small tables are summarized on its own thread before the next
    step runs, and not again when stored; a step that runs every time (a source read again)
    leaves it to storage, which finds the summary the store holds (decision 0113)."""
    threads: list[str] = []

    def counted(frame: Any) -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        return summarize_frame(frame)

    monkeypatch.setattr(staging, "summarize_frame", counted)
    monkeypatch.setattr(worker, "summarize_frame", counted)
    made = stage_step(task(impl, "wide", tmp_path, TABLE, rows=1000), token="a")
    assert isinstance(made, Staged) and made.summarize_first
    made.summarize()
    assert threads == [threading.current_thread().name]
    with ThreadPoolExecutor(1, thread_name_prefix="storage") as storing:
        record = succeeded(storing.submit(made.finish).result())["dataset"]
        assert len(threads) == 1  # not made again on the storage thread
        assert record["summary"] == summarize_frame(
            decode(ArtifactStore(tmp_path).get(record["digest"]), KIND_PARQUET)
        )

        again = task(impl, "wide", tmp_path, TABLE, rows=1000)
        again["step"]["deterministic"] = False
        read = stage_step(again, token="b")
        assert isinstance(read, Staged) and not read.summarize_first
        assert succeeded(storing.submit(read.finish).result())["dataset"] == record
        assert len(threads) == 1  # the store held its bytes and their summary

        monkeypatch.setattr(staging, "SMALL_TABLE_BYTES", 0)
        big = stage_step(task(impl, "wide", tmp_path, TABLE, rows=1001), token="c")
        assert isinstance(big, Staged) and not big.summarize_first  # summarized while stored
        succeeded(storing.submit(big.finish).result())
        assert threads[1:] == ["storage_0"]


def test_a_worker_hands_its_tables_to_the_next_step_without_the_store(
    tmp_path: Path, impl: str
) -> None:
    made = succeeded(run_step(task(impl, "produce", tmp_path, BOTH)))
    dataset = made["dataset"]
    assert dataset["digest"] in recent_tables
    store = ArtifactStore(tmp_path)
    os.unlink(store.path(dataset["digest"]))  # only the in-process table is left
    read = succeeded(run_step(task(impl, "consume", tmp_path, INFO, dataset=dataset)))
    assert json.loads(store.get(read["info"]["digest"]))["x"] == [0, 1, 2, 3, 4]
    recent_tables.clear()
    missing = run_step(task(impl, "consume", tmp_path, INFO, dataset=dataset))
    assert missing["status"] == "failed" and "is not in the store" in missing["error"]


def test_a_step_that_changes_its_input_in_place_cannot_change_it_for_the_next(
    tmp_path: Path, impl: str
) -> None:
    dataset = succeeded(run_step(task(impl, "produce", tmp_path, BOTH)))["dataset"]
    changed = succeeded(run_step(task(impl, "mutate", tmp_path, BOTH, dataset=dataset)))
    assert changed["dataset"]["digest"] != dataset["digest"]
    read = succeeded(run_step(task(impl, "consume", tmp_path, INFO, dataset=dataset)))
    values = json.loads(ArtifactStore(tmp_path).get(read["info"]["digest"]))
    assert values["x"] == [0, 1, 2, 3, 4] and values["y"][0] == 0.0


def test_stored_summaries_are_reused_for_bytes_already_stored(tmp_path: Path, impl: str) -> None:
    first = succeeded(run_step(task(impl, "produce", tmp_path, BOTH)))["dataset"]
    assert first["summary"]["rows"] == 5
    store = ArtifactStore(tmp_path)
    assert store.summary(first["digest"]) == first["summary"]
    store.put_summary(first["digest"], {**first["summary"], "marker": True})
    again = succeeded(run_step(task(impl, "produce", tmp_path, BOTH)))["dataset"]
    assert again["digest"] == first["digest"] and again["summary"]["marker"] is True


def test_the_runner_gives_a_step_to_the_worker_that_made_its_input(
    tmp_path: Path, impl: str
) -> None:
    def finish(runner: LocalRunner, count: int) -> dict[str, dict[str, Any]]:
        done: dict[str, dict[str, Any]] = {}
        while len(done) < count:
            for message in runner.wait(30):
                if message.kind == "done":
                    done[message.task_id] = succeeded(message.data)
        return done

    def pid(outputs: dict[str, Any]) -> int:
        return int(json.loads(store.get(outputs["info"]["digest"]))["pid"])

    store = ArtifactStore(tmp_path)
    with LocalRunner(2) as runner:
        runner.submit("p1", task(impl, "produce", tmp_path, BOTH, rows=3))
        runner.submit("p2", task(impl, "produce", tmp_path, BOTH, rows=4))
        made = finish(runner, 2)
        assert pid(made["p1"]) != pid(made["p2"])
        for producer in ("p2", "p1"):  # the first idle worker would be the same both times
            dataset = made[producer]["dataset"]
            runner.submit("c", task(impl, "consume", tmp_path, INFO, dataset=dataset))
            assert pid(finish(runner, 1)["c"]) == pid(made[producer])


@pytest.fixture(params=["small", "streamed"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a table is stored: encoded in memory (small), streamed into a temp file."""
    if request.param == "streamed":
        monkeypatch.setattr(worker, "SMALL_TABLE_BYTES", 0)
    return str(request.param)


def test_storing_bytes_the_store_holds_writes_nothing(
    tmp_path: Path, impl: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = succeeded(run_step(task(impl, "produce", tmp_path, BOTH)))["dataset"]
    passed = succeeded(run_step(task(impl, "same", tmp_path, TABLE, dataset=made)))["dataset"]
    assert passed["digest"] == made["digest"]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("the store takes no writes")

    for method in ("write", "put", "commit", "put_recipe", "put_summary"):
        monkeypatch.setattr(ArtifactStore, method, refuse)
    again = run_step(task(impl, "same", tmp_path, TABLE, dataset=made))
    if path == "streamed":  # a big table's bytes are hashed as they are written
        assert again["status"] == "failed" and "the store takes no writes" in again["error"]
        return
    assert succeeded(again)["dataset"] == passed  # same digest, size and summary


def test_a_damaged_object_is_written_again_by_the_next_step_that_makes_it(
    tmp_path: Path, impl: str, path: str
) -> None:
    made = succeeded(run_step(task(impl, "produce", tmp_path, BOTH)))["dataset"]
    store = ArtifactStore(tmp_path)
    whole = store.get(made["digest"])
    store.path(made["digest"]).write_bytes(whole[:-1])  # cut short
    assert not store.holds(made["digest"], made["size"])
    succeeded(run_step(task(impl, "produce", tmp_path, BOTH)))
    assert store.holds(made["digest"], made["size"]) and store.get(made["digest"]) == whole


def test_only_tables_that_read_back_exactly_are_kept_in_memory(
    tmp_path: Path, impl: str, path: str
) -> None:
    # a categorical's dictionary comes back from Parquet with other index types: never kept,
    # however often a table of that schema is stored
    for rows in (3, 3, 4):
        made = succeeded(run_step(task(impl, "categories", tmp_path, TABLE, rows=rows)))
        assert made["dataset"]["digest"] not in recent_tables
    for _ in range(2):
        made = succeeded(run_step(task(impl, "produce", tmp_path, BOTH)))
        assert made["dataset"]["digest"] in recent_tables
