"""Artifact store (content addressing, atomic writes, digest checks), codecs and datasets.

The store tests run against both backends: the local folder, and the S3-compatible object
store `make test` starts (moto's server, TEST_S3_ENDPOINT), each object store seen from two
"hosts" with caches of their own.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from designer.engine.artifacts import (
    MAX_COLUMN_NAME_CHARS,
    MAX_FIGURES,
    MAX_JSON_BYTES,
    SUMMARY_KEY_CHARS,
    SUMMARY_TEXT_CHARS,
    OutputTooLarge,
    OutputTypeError,
    decode,
    encode,
    output_table,
    summarize_frame,
)
from designer.engine.cache import MemoryCache
from designer.engine.compile import compile_document
from designer.engine.context import StepError
from designer.engine.datasets import (
    DatasetNotFound,
    StoredDatasets,
    dataset_digests,
    prune_indexes,
)
from designer.engine.execute import execute
from designer.engine.metrics import MAX_METRICS
from designer.engine.objectstore import ObjectStore, store_environment
from designer.engine.registry import Registry
from designer.engine.runners.local import LocalRunner
from designer.engine.store import ArtifactError, ArtifactStore, open_store
from designer.engine.types import PortType
from tests.support.graphs import graph, node
from tests.support.objectstore import object_store_env, object_store_url


@dataclass
class Backend:
    """A store, how to open it again elsewhere, and how to damage one of its objects."""

    store: ArtifactStore
    reopen: Callable[[], ArtifactStore]
    damage: Callable[[str, bytes], None]
    corrupt: Callable[[str], bytes]


def _folder(tmp_path: Path) -> Backend:
    store = ArtifactStore(tmp_path / "store")
    return Backend(
        store,
        lambda: ArtifactStore(tmp_path / "store"),
        lambda digest, data: store.path(digest).write_bytes(data),
        lambda digest: (tmp_path / "store" / "corrupt" / digest).read_bytes(),
    )


def _object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Backend:
    import obstore

    url = object_store_url(monkeypatch, tmp_path / "host-cache")
    store = ObjectStore(url, tmp_path / "cache-a")
    hosts = iter(range(1, 1000))

    def damage(digest: str, data: bytes) -> None:  # in the bucket, and no cached copy
        obstore.put(store.bucket, store._key(digest), data)
        store.path(digest).unlink(missing_ok=True)

    return Backend(
        store,
        lambda: ObjectStore(url, tmp_path / f"cache-{next(hosts)}"),
        damage,
        lambda digest: bytes(obstore.get(store.bucket, f"corrupt/{digest}").bytes()),
    )


@pytest.fixture(params=["folder", "object"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    yield _folder(tmp_path) if request.param == "folder" else _object(tmp_path, monkeypatch)


def test_put_get_content_addressed(backend: Backend) -> None:
    store = backend.store
    digest = store.put(b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert store.get(digest) == b"hello" and store.exists(digest)
    assert store.mapped(digest) == b"hello"  # the file mapped, not read: checked all the same
    assert store.put(b"hello") == digest and list(store.digests()) == [digest]
    assert store.size(digest) == 5
    assert store.local_path(digest).read_bytes() == b"hello"
    assert not any(store.tmp.iterdir())  # no temp files left behind
    store.put_summary(digest, {"rows": 1})
    elsewhere = backend.reopen()  # another process, or another host with a cache of its own
    assert open_store(store.root).get(digest) == b"hello"
    assert elsewhere.get(digest) == b"hello" and elsewhere.summary(digest) == {"rows": 1}
    assert elsewhere.mapped(digest) == b"hello"
    assert store.mapped(store.put(b"")) == b""  # an empty file cannot be mapped: no map needed


def test_the_folder_store_is_sharded(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    digest = store.put(b"hello")
    assert store.path(digest) == tmp_path / "objects" / digest[:2] / digest[2:]


def test_every_folder_a_stored_object_needs_is_made_durable_in_its_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash must not lose a stored object's folder: each folder made for one is synced in
    its parent, not only the object in its folder (POSIX promises no more than that)."""
    synced: list[str] = []
    fsync = os.fsync

    def noting(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", noting)
    root = tmp_path / "new" / "artifacts"
    store = ArtifactStore(root)  # a new store: its folders and all 256 shards, synced at once
    assert {str(tmp_path), str(tmp_path / "new"), str(root), str(root / "objects")} <= set(synced)
    assert sorted(p.name for p in (root / "objects").iterdir()) == [f"{i:02x}" for i in range(256)]
    synced.clear()
    digest = store.put(b"payload")  # its shard is there: only the object and its shard synced
    assert str(root / "objects") not in synced and str(store.path(digest).parent) in synced
    store.path(digest).unlink()
    store.path(digest).parent.rmdir()  # a store made before shards were made at once
    synced.clear()
    store.put(b"payload")
    assert str(root / "objects") in synced  # the shard made now is synced in its parent
    synced.clear()
    store.create_record("runs/7/a", b"{}")
    records = root / "records"
    assert {str(root), str(records), str(records / "runs"), str(records / "runs" / "7")} <= set(
        synced
    )


def test_corruption_and_absence_are_reported(backend: Backend, tmp_path: Path) -> None:
    store = backend.store
    digest = store.put(b"data")
    backend.damage(digest, b"dat4")
    with pytest.raises(ArtifactError, match="corrupted"):
        store.get(digest)
    assert not store.exists(digest)  # moved aside: it counts as missing and gets produced again
    assert backend.corrupt(digest) == b"dat4"
    digest = store.put(b"data")
    backend.damage(digest, b"dat5")
    with pytest.raises(ArtifactError, match="corrupted"):
        store.copy_to(digest, tmp_path / "copy")
    assert not (tmp_path / "copy").exists() and not store.exists(digest)
    digest = store.put(b"data")
    backend.damage(digest, b"dat6")
    with pytest.raises(ArtifactError, match="corrupted"):
        store.mapped(digest)
    assert not store.exists(digest)
    with pytest.raises(ArtifactError, match="not in the store"):
        store.get("0" * 64)
    with pytest.raises(ArtifactError, match="not in the store"):
        store.local_path("0" * 64)
    with pytest.raises(ArtifactError, match="not a SHA-256"):
        store.get("../../etc/passwd")


def test_a_damaged_object_of_the_wrong_size_is_rewritten(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    digest = store.put(b"payload")
    store.path(digest).write_bytes(b"pay")
    assert store.put(b"payload") == digest
    assert store.get(digest) == b"payload"


def test_a_damaged_cache_is_never_believed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _object(tmp_path, monkeypatch)
    digest = backend.store.put(b"the real bytes")
    backend.store.path(digest).write_bytes(b"the fake bytes")  # same size, wrong content
    assert backend.store.get(digest) == b"the real bytes"
    backend.store.path(digest).write_bytes(b"the fake bytes")
    assert backend.store.mapped(digest) == b"the real bytes"
    backend.store.path(digest).unlink()  # an evicted cache file: fetched again
    assert backend.store.local_path(digest).read_bytes() == b"the real bytes"


def test_put_file_streams_and_dedupes(backend: Backend, tmp_path: Path) -> None:
    store = backend.store
    src = tmp_path / "big"
    src.write_bytes(os.urandom(3 * (1 << 20) + 7))
    digest = store.put_file(src)
    assert store.get(digest) == src.read_bytes()
    assert store.put_file(src) == digest
    assert backend.reopen().get(digest) == src.read_bytes()
    assert not any(store.tmp.iterdir())


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ArtifactStore(tmp_path)

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"payload")
    monkeypatch.undo()
    assert not store.exists(hashlib.sha256(b"payload").hexdigest())
    assert not any((tmp_path / "tmp").iterdir())


def test_an_unreachable_object_store_fails_the_write_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in object_store_env("http://127.0.0.1:9", tmp_path).items():
        monkeypatch.setenv(name, value)  # nothing listens on the discard port
    store = ObjectStore("s3://nowhere/x", tmp_path / "cache")
    with pytest.raises(ArtifactError, match=r"cannot write .* to the object store s3://nowhere"):
        store.put(b"payload")
    assert not any(store.objects.glob("*/*"))  # not even cached: the bucket is the truth


def test_a_full_cache_drops_the_least_recently_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _object(tmp_path, monkeypatch).store
    store.cache_limit = 3000
    digests = []
    for age in range(5):
        digests.append(store.put(os.urandom(1000)))
        os.utime(store.path(digests[-1]), (1000 + age, 1000 + age))  # a clear order of use
        cached = [d for d in digests if store.path(d).exists()]
        assert sum(store.path(d).stat().st_size for d in cached) <= store.cache_limit
    assert not store.path(digests[0]).exists()  # the oldest went first…
    assert store.path(digests[-1]).exists()
    assert all(len(store.get(d)) == 1000 for d in digests)  # …from this host's cache only


def _writer(root: str, n: int) -> None:
    store = open_store(root)
    for i in range(50):
        store.put(f"shared {i % 10}".encode())
        store.put(f"own {n} {i}".encode())


def test_concurrent_writers_from_several_processes(backend: Backend) -> None:
    ctx = multiprocessing.get_context("spawn")
    root = os.fspath(backend.store.root)
    procs = [ctx.Process(target=_writer, args=(root, n)) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = backend.reopen()
    digests = list(store.digests())
    assert len(digests) == 10 + 150
    for d in digests:
        store.get(d)


def test_codecs_round_trip_by_port_type() -> None:
    import pandas as pd

    df = pd.DataFrame(
        {"a": [1, 2, None], "b": ["x", "y", "x"], "t": pd.to_datetime(["2024-01-01"] * 3)}
    )
    enc = encode(df, PortType.DATAFRAME, "dataset")
    assert enc.kind == "parquet"
    assert decode(enc.data, enc.kind).equals(df)
    assert encode(df.copy(), PortType.DATAFRAME).data == enc.data  # deterministic bytes
    metrics = encode(
        {"b": 1.5, "a": float("nan"), "n": __import__("numpy").int64(3)}, PortType.METRICS
    )
    assert (metrics.kind, metrics.data) == ("json", b'{"a":null,"b":1.5,"n":3}')
    assert metrics.summary == {"values": {"a": None, "b": 1.5, "n": 3}}
    model = encode({"weights": [1, 2]}, PortType.MODEL)
    assert model.kind == "pickle" and decode(model.data, "pickle") == {"weights": [1, 2]}
    assert encode([1, 2], PortType.ANY).kind == "json"
    assert encode({1, 2}, PortType.ANY).kind == "pickle"
    assert encode(df, PortType.ANY).kind == "parquet"


def test_codec_type_errors() -> None:
    with pytest.raises(OutputTypeError, match="must be a pandas DataFrame"):
        encode([1], PortType.DATAFRAME, "dataset")
    with pytest.raises(OutputTypeError, match="dict of metrics"):
        encode(3, PortType.METRICS)
    with pytest.raises(OutputTypeError, match="cannot be pickled"):
        encode(lambda: 1, PortType.MODEL)
    with pytest.raises(ValueError):
        decode(b"", "zip")


def test_json_outputs_past_their_bounds_are_refused_naming_the_port_and_the_bound() -> None:
    """Every JSON output (a built-in's, a script's, a custom module's in its container) is
    checked where it is encoded; the most allowed still encode (decision 0089)."""
    blob = "x" * (MAX_JSON_BYTES - len('{"blob":""}'))
    assert encode({"blob": blob}, PortType.METRICS).kind == "json"
    for port_type in (PortType.METRICS, PortType.ANY):
        with pytest.raises(
            OutputTooLarge, match=f"output `out` is {MAX_JSON_BYTES + 1:,} bytes"
        ) as e:
            encode({"blob": blob + "x"}, port_type, "out")
        assert e.value.port == "out"
    most = {f"m{i}": i for i in range(MAX_METRICS)}
    assert encode({"metrics": most}, PortType.METRICS).kind == "json"
    evaluated = {"results": [{"input": "a", "metrics": most}, {"input": "b", "metrics": {"x": 1}}]}
    with pytest.raises(OutputTooLarge, match=f"holds {MAX_METRICS + 1:,} metrics"):
        encode(evaluated, PortType.METRICS, "out")
    assert encode(evaluated, PortType.ANY).kind == "json"  # metrics are counted on Metrics ports


def test_a_table_with_a_column_name_past_its_bound_is_refused_naming_the_port() -> None:
    """A column's, an index's or a struct field's name; the longest allowed still encodes
    (decision 0098)."""
    import pandas as pd

    most = "n" * MAX_COLUMN_NAME_CHARS
    assert encode(pd.DataFrame({most: [1]}), PortType.DATAFRAME).kind == "parquet"
    too_long = most + "x"
    for frame in (
        pd.DataFrame({"a": [1], too_long: [2]}),
        pd.DataFrame({"a": [1]}, index=pd.Index([7], name=too_long)),
        pd.DataFrame({"a": [[{too_long: 1}]]}),  # a list of structs: a field's name
    ):
        for port_type in (PortType.DATAFRAME, PortType.ANY):
            with pytest.raises(OutputTooLarge) as e:
                encode(frame, port_type, "out")
            assert e.value.port == "out"
            assert str(e.value) == (
                f"output `out` has a column named {too_long[:40]!r}… of 1,001 characters; a "
                f"column's name may be at most {MAX_COLUMN_NAME_CHARS:,} characters"
            )
        with pytest.raises(OutputTooLarge):
            output_table(frame, "out")


_Named = type("N" * 10_000, (), {"__module__": __name__})  # a type with a 10,000-character name
globals()[_Named.__name__] = _Named  # where pickle finds it


def test_a_summary_holds_the_start_of_each_text_a_step_chose() -> None:
    """A figure's title, a JSON output's keys, a pickled value's type, a column's dtype
    (decision 0100)."""
    import pandas as pd
    import pyarrow as pa

    figure = {"title": "t" * 10_000, "width": 1, "height": 1, "png": ""}
    titled = encode({"figures": [figure]}, PortType.FIGURES).summary
    assert titled["figures"][0]["title"] == "t" * (SUMMARY_TEXT_CHARS - 1) + "…"
    keyed = encode({"k" * 5_000 + str(i): "v" * 10 for i in range(5)}, PortType.ANY).summary
    assert [len(key) for key in keyed["keys"]] == [SUMMARY_KEY_CHARS] * 5
    assert len(encode(_Named(), PortType.MODEL).summary["type"]) == SUMMARY_TEXT_CHARS
    fields = pa.struct([(f"f{i}", pa.int64()) for i in range(200)])
    wide = pd.DataFrame({"s": pd.array([{f"f{i}": i for i in range(200)}], pd.ArrowDtype(fields))})
    dtype = summarize_frame(wide)["columns"][0]["dtype"]
    assert len(dtype) == SUMMARY_TEXT_CHARS and dtype.startswith("struct<f0: int64")
    with pytest.raises(OutputTooLarge, match=f"at most {MAX_FIGURES}"):
        encode({"figures": [figure] * (MAX_FIGURES + 1)}, PortType.FIGURES, "plots")


def test_figures_are_json_summarised_without_their_images() -> None:
    import numpy as np

    figure = {"title": "loss", "width": np.int64(640), "height": 480, "png": "iVBORw0K"}
    encoded = encode({"figures": [figure]}, PortType.FIGURES, "figures")
    assert encoded.kind == "json"
    assert decode(encoded.data, "json") == {"figures": [{**figure, "width": 640}]}
    assert encoded.summary == {"figures": [{"title": "loss", "width": 640, "height": 480}]}
    for wrong in ({"figures": [{"title": "no image", "width": 1, "height": 1}]}, [figure], {}):
        with pytest.raises(OutputTypeError, match="each figure a dict of title \\(str\\)"):
            encode(wrong, PortType.FIGURES, "figures")


def test_frame_summary() -> None:
    import pandas as pd

    df = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, None], "s": ["a", "b", "a", None], "flag": [True, False, True, True]}
    )
    summary = summarize_frame(df)
    assert summary["rows"] == 4 and summary["column_count"] == 3
    x, s, flag = summary["columns"]
    assert (x["name"], x["dtype"], x["nulls"], x["distinct"], x["min"], x["max"], x["mean"]) == (
        "x",
        "float64",
        1,
        3,
        1.0,
        3.0,
        2.0,
    )
    assert sum(x["histogram"]["counts"]) == 3 and len(x["histogram"]["edges"]) == 11
    assert (s["nulls"], s["distinct"]) == (1, 2) and "histogram" not in s
    assert flag["true"] == 3


def test_a_column_of_nearly_equal_numbers_is_summarised_in_as_many_bins_as_fit() -> None:
    import pandas as pd

    close = [1.0, 1.0000000000000002, 1.0000000000000002]  # one float apart: no 10 bins between
    summary = summarize_frame(pd.DataFrame({"x": close, "n": pd.array(close, dtype="Float64")}))
    for column in summary["columns"]:
        assert column["histogram"] == {"edges": [1.0, 1.0000000000000002], "counts": [3]}


def test_model_summary_names_the_estimator() -> None:
    from sklearn.linear_model import LogisticRegression

    enc = encode(LogisticRegression(C=0.5), PortType.MODEL)
    assert enc.summary["type"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert enc.summary["params"]["C"] == 0.5


def test_dataset_versions(backend: Backend, tmp_path: Path) -> None:
    store = StoredDatasets(backend.store, "7")
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    one.write_bytes(b"first")
    two.write_bytes(b"second")
    v1 = store.write("customers", one, "initial")
    v2 = store.write("customers", two)
    assert v1 == hashlib.sha256(b"first").hexdigest()
    path, latest = StoredDatasets(backend.reopen(), "7").read("customers")  # another host
    assert (path.read_bytes(), latest) == (b"second", v2)
    assert store.read("customers", v1[:10])[1] == v1
    assert store.write("customers", one) == v1  # identical content: reused, latest again
    assert [v["version"] for v in store.versions("customers")] == [v2, v1]
    step = {"run": "12", "node": "export", "label": "Export customers"}
    three = tmp_path / "three.parquet"
    three.write_bytes(b"third")
    v3 = store.write("customers", three, writer=step)
    later = {"run": "13", "node": "export", "label": "Export customers"}
    assert store.write("customers", three, writer=later) == v3  # the version keeps its first writer
    assert store.write("customers", one, writer=later) == v1  # and an upload stays an upload
    assert [(v["version"], v.get("written_by")) for v in store.versions("customers")] == [
        (v2, None),
        (v3, step),
        (v1, None),
    ]
    assert store.read("customers")[1] == v1
    assert store.names() == ["customers"] and StoredDatasets(backend.store, "8").names() == []
    assert dataset_digests(backend.store) == {v1, v2, v3}
    with pytest.raises(DatasetNotFound):
        store.read("nobody")
    with pytest.raises(DatasetNotFound):
        store.read("customers", "ffffffffff")
    with pytest.raises(StepError, match="invalid dataset name"):
        store.write("../escape", one)
    store.delete("customers")
    assert store.names() == [] and store.versions("customers") == []


def test_concurrent_dataset_writers_on_two_hosts_lose_no_version(
    backend: Backend, tmp_path: Path
) -> None:
    files = []
    for i in range(16):
        files.append(tmp_path / f"{i}.parquet")
        files[-1].write_bytes(f"version {i}".encode())
    hosts = [StoredDatasets(backend.store, "7"), StoredDatasets(backend.reopen(), "7")]
    with ThreadPoolExecutor(8) as pool:
        written = set(pool.map(lambda i: hosts[i % 2].write("shared", files[i]), range(16)))
    assert {v["version"] for v in hosts[0].versions("shared")} == written
    assert len(written) == 16


def test_a_record_is_created_once(backend: Backend) -> None:
    store = backend.store
    assert store.create_record("a/b/1.json", b"one") is True
    assert store.create_record("a/b/1.json", b"two") is False  # the first writer wins
    assert backend.reopen().record("a/b/1.json") == b"one"
    assert [key for key, _ in store.records("a/")] == ["a/b/1.json"]
    assert store.record("a/b/2.json") is None
    with pytest.raises(ArtifactError, match="not a record key"):
        store.record("../escape")
    store.delete_record("a/b/1.json")
    assert store.records("a/") == []


def test_collection_prunes_only_old_superseded_dataset_indexes(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    datasets = StoredDatasets(store, "7")
    for i in range(3):
        (tmp_path / "t.parquet").write_bytes(b"v%d" % i)
        datasets.write("t", tmp_path / "t.parquet")
    folder = store.record_folder / "datasets" / "7" / "t"
    indexes = sorted(folder.iterdir())
    for index in (indexes[0], indexes[2]):  # the current one is kept, however old
        os.utime(index, (time.time() - 7200, time.time() - 7200))
    assert prune_indexes(store, before=time.time() - 3600) == 1
    assert sorted(folder.iterdir()) == indexes[1:]
    assert len(datasets.versions("t")) == 3


def test_a_table_streamed_into_the_store_has_the_bytes_encode_gives(tmp_path: Path) -> None:
    import pandas as pd

    from designer.engine.artifacts import frame_to_table, write_parquet

    frame = pd.DataFrame({"x": [1.0, None, 3.0], "name": ["a", "b", None]})
    store = ArtifactStore(tmp_path)
    table = frame_to_table(frame)
    written = store.write(lambda sink: write_parquet(table, sink))
    data = encode(frame, PortType.DATAFRAME).data
    assert (written.digest, written.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert not store.exists(written.digest)  # nothing is stored before the commit
    assert store.commit(written) == written.digest and store.get(written.digest) == data
    again = store.write(lambda sink: write_parquet(table, sink))
    assert store.commit(again) == written.digest  # already there: the temp file is dropped
    store.discard(store.write(lambda sink: sink.write(b"not wanted")))

    def broken(sink: Any) -> None:
        sink.write(b"half")
        raise RuntimeError("the encoder failed")

    with pytest.raises(RuntimeError):
        store.write(broken)
    assert not any((tmp_path / "tmp").iterdir())  # no temp files left behind


def test_a_streamed_write_keeps_every_byte_in_order_and_ends_its_thread_when_a_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed write hashes and writes on its own thread (decision 0103): what it stores is
    what the producer wrote, even from a buffer the producer reuses, and a failed write fails
    it with nothing left behind, neither a temp file nor the thread."""
    buffer = bytearray(300_000)
    expected = hashlib.sha256()

    def produce(sink: Any) -> None:
        for i in range(60):  # 18 MB: several batches in flight
            buffer[:] = bytes([i]) * len(buffer)  # the same buffer, refilled after each write
            sink.write(buffer if i % 2 else memoryview(buffer))
            expected.update(buffer)

    store = ArtifactStore(tmp_path)
    written = store.write(produce)
    assert (written.digest, written.size) == (expected.hexdigest(), 60 * len(buffer))
    assert hashlib.sha256(Path(written.path).read_bytes()).hexdigest() == written.digest

    real_write, calls = os.write, []

    def disk_full_after_a_while(fd: int, data: Any) -> int:
        calls.append(fd)
        if len(calls) > 20:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr("designer.engine.store.os.write", disk_full_after_a_while)
    with pytest.raises(OSError, match="No space left"):
        store.write(produce)
    assert [p.name for p in store.tmp.iterdir()] == [Path(written.path).name]
    assert not [t for t in threading.enumerate() if t.name == "hashing-writer"]


def test_input_frames_over_arrow_memory_are_equal_and_writable() -> None:
    """A step's input frame shares the held table's memory, yet writes never reach the table."""
    import pandas as pd
    import pyarrow as pa

    from designer.engine.held import frame_over

    original = pd.DataFrame({"x": [1.0, 2.0, 3.0], "n": [1, None, 3], "s": ["a", "b", "c"]})
    original.attrs["designer_label"] = "x"
    table = pa.Table.from_pandas(original)
    keep: list[object] = []
    frame = frame_over(table, keep)
    plain = table.to_pandas()
    pd.testing.assert_frame_equal(frame, plain)
    assert frame.attrs == plain.attrs and len(keep) == 1
    frame.loc[0, "x"] = 10.0
    frame["n"] = frame["n"] + 1
    frame.iloc[1, 0] *= 2
    assert frame["x"].tolist() == [10.0, 4.0, 3.0]
    assert table.column("x").to_pylist() == [1.0, 2.0, 3.0]  # the held table is unchanged
    pd.testing.assert_frame_equal(frame_over(table, None), plain)


def test_a_column_added_to_a_wide_held_frame_warns_of_nothing() -> None:
    """A wide table (hashed text: 1,024 columns) read zero-copy is one block per column; a
    module adding a column to it leaves no pandas "fragmented" warning in the step's log. In a
    process of its own, as a worker is (pytest resets warning filters around collection)."""
    code = (
        "import pyarrow as pa\n"
        "from designer.engine.held import frame_over\n"
        "frame = frame_over(pa.table({f'c{i}': [1.0] * 3 for i in range(200)}), [])\n"
        "frame['Scored Labels'] = [1, 0, 1]\n"
        "print(frame.shape)\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "(3, 201)" and done.stderr == ""


def test_a_run_on_the_object_store_goes_on_on_another_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reg: Registry
) -> None:
    """Worker processes write outputs to the bucket; on a second host (its own cache folder and
    workers, the first host's cache gone) the run reuses them and a new step reads them."""
    url = object_store_url(monkeypatch, tmp_path / "host-cache")
    chain = [node("a", "test.const@1", value=20), node("b", "test.add@1", amount=22)]
    longer = [*chain, node("c", "test.add@1", amount=1)]
    docs = {
        "one": graph(chain, [("a.out", "b.in")]),
        "two": graph(longer, [("a.out", "b.in"), ("b.out", "c.in")]),
    }
    index = MemoryCache()  # the shared cache index (the database, in the product)
    results = {}
    for host, doc in docs.items():
        monkeypatch.setenv("DESIGNER_STORE_CACHE", str(tmp_path / host))
        with LocalRunner(1, env=store_environment()) as runner:
            results[host] = execute(
                compile_document(doc, reg, {}),
                runner=runner,
                cache=index,
                store=open_store(url),
                emit=lambda event: None,
            )
        shutil.rmtree(tmp_path / host)  # this host's cache goes away with it
    one, two = results["one"], results["two"]
    assert one.status == two.status == "succeeded"
    assert {k: s.status.value for k, s in two.steps.items()} == {
        "a": "reused",
        "b": "reused",
        "c": "succeeded",
    }
    out = two.steps["c"].outputs["out"].digest
    assert json.loads(ObjectStore(url, tmp_path / "three").get(out)) == {"value": 43}
