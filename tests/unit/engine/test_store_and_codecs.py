"""Artifact store (content addressing, atomic writes, digest checks), codecs and datasets."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

from designer.engine.artifacts import OutputTypeError, decode, encode, summarize_frame
from designer.engine.context import StepError
from designer.engine.datasets import DatasetNotFound, FileDatasetStore
from designer.engine.store import ArtifactError, ArtifactStore
from designer.engine.types import PortType


def test_put_get_content_addressed_and_sharded(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    digest = store.put(b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert store.path(digest) == tmp_path / "objects" / digest[:2] / digest[2:]
    assert store.get(digest) == b"hello"
    assert store.put(b"hello") == digest and list(store.digests()) == [digest]
    assert store.size(digest) == 5
    assert not any((tmp_path / "tmp").iterdir())  # no temp files left behind


def test_corruption_and_absence_are_reported(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    digest = store.put(b"data")
    store.path(digest).write_bytes(b"dat4")
    with pytest.raises(ArtifactError, match="corrupted"):
        store.get(digest)
    assert not store.exists(digest)  # moved aside: it counts as missing and gets produced again
    assert (tmp_path / "corrupt" / digest).read_bytes() == b"dat4"
    digest = store.put(b"data")
    store.path(digest).write_bytes(b"dat5")
    with pytest.raises(ArtifactError, match="corrupted"):
        store.copy_to(digest, tmp_path / "copy")
    assert not (tmp_path / "copy").exists() and not store.exists(digest)
    with pytest.raises(ArtifactError, match="not in the store"):
        store.get("0" * 64)
    with pytest.raises(ArtifactError, match="not a SHA-256"):
        store.path("../../etc/passwd")


def test_a_damaged_object_of_the_wrong_size_is_rewritten(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    digest = store.put(b"payload")
    store.path(digest).write_bytes(b"pay")
    assert store.put(b"payload") == digest
    assert store.get(digest) == b"payload"


def test_put_file_streams_and_dedupes(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "s")
    src = tmp_path / "big"
    src.write_bytes(os.urandom(3 * (1 << 20) + 7))
    digest = store.put_file(src)
    assert store.get(digest) == src.read_bytes()
    assert store.put_file(src) == digest
    assert not any((tmp_path / "s" / "tmp").iterdir())


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


def _writer(root: str, n: int) -> None:
    store = ArtifactStore(root)
    for i in range(50):
        store.put(f"shared {i % 10}".encode())
        store.put(f"own {n} {i}".encode())


def test_concurrent_writers_from_several_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), n)) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = ArtifactStore(tmp_path)
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


def test_model_summary_names_the_estimator() -> None:
    from sklearn.linear_model import LogisticRegression

    enc = encode(LogisticRegression(C=0.5), PortType.MODEL)
    assert enc.summary["type"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert enc.summary["params"]["C"] == 0.5


def test_dataset_versions(tmp_path: Path) -> None:
    store = FileDatasetStore(tmp_path / "datasets")
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    one.write_bytes(b"first")
    two.write_bytes(b"second")
    v1 = store.write("customers", one, "initial")
    v2 = store.write("customers", two)
    assert v1 == hashlib.sha256(b"first").hexdigest()
    assert store.read("customers") == (tmp_path / "datasets" / "customers" / f"{v2}.parquet", v2)
    assert store.read("customers", v1[:10])[1] == v1
    assert store.write("customers", one) == v1  # identical content: reused, latest again
    assert [v["version"] for v in store.versions("customers")] == [v2, v1]
    assert store.read("customers")[1] == v1
    assert store.names() == ["customers"]
    with pytest.raises(DatasetNotFound):
        store.read("nobody")
    with pytest.raises(DatasetNotFound):
        store.read("customers", "ffffffffff")
    with pytest.raises(StepError, match="invalid dataset name"):
        store.write("../escape", one)


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
