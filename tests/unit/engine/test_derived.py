"""Tables kept as recipes over their parent (decision 0034): outputs that select rows or columns,
or change a few columns, store a reference plus what changed, and read back bit for bit."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from designer.engine.artifacts import decode, encode, frame_to_parquet, frame_to_table
from designer.engine.cache import FileCache
from designer.engine.compile import compile_graph
from designer.engine.derived import Hint, Recipe, assemble, derive
from designer.engine.execute import execute
from designer.engine.held import load_input, recent_tables
from designer.engine.runners.local import LocalRunner
from designer.engine.schema import parse_graph
from designer.engine.store import ArtifactError, ArtifactStore
from designer.engine.types import PortType
from designer.modules import builtin_registry
from tests.unit.engine.test_store_and_codecs import Backend, backend  # noqa: F401
from tests.unit.modules.harness import ModuleRunner

REGISTRY = builtin_registry()


def mixed(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "x": rng.normal(size=rows),
            "n": rng.integers(0, 100, rows),
            "text": [f"row {i}" for i in range(rows)],
            "flag": rng.random(rows) < 0.5,
            "when": pd.date_range("2026-01-01", periods=rows, freq="h"),
            "maybe": pd.array([None if i % 7 == 0 else i for i in range(rows)], dtype="Int64"),
        }
    )


def table(frame: pd.DataFrame) -> Any:
    return frame_to_table(frame)


def stored(store: ArtifactStore, frame: pd.DataFrame) -> str:
    return store.put(frame_to_parquet(frame))


def keep_as_recipe(store: ArtifactStore, frame: pd.DataFrame, parent: str, hint: Hint) -> str:
    """What the worker does for an output: the recipe under the digest of its Parquet bytes."""
    parents = {parent: load_input_table(store, parent)}
    found = derive(table(frame), parents, hint)
    assert found is not None
    patch = None if found.patch is None else store.put(_parquet(found.patch))
    digest = hashlib.sha256(frame_to_parquet(frame)).hexdigest()
    store.put_recipe(digest, found.recipe(patch).to_json())
    return digest


def _parquet(arrow: Any) -> bytes:
    from designer.engine.artifacts import table_to_parquet

    return bytes(table_to_parquet(arrow).to_pybytes())


def load_input_table(store: ArtifactStore, digest: str) -> Any:
    from designer.engine.derived import load_table

    return load_table(store, digest)


def test_rows_columns_and_changed_columns_rebuild_bit_for_bit(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    df = mixed(500)
    parent = stored(store, df)
    positions = np.random.default_rng(1).permutation(500)[:120]
    picked = df.iloc[positions].reset_index(drop=True)
    picked["x"] = picked["x"] * 2  # one changed column
    picked["new"] = 1.5  # and a new one
    digest = keep_as_recipe(store, picked, parent, Hint(parent, rows=positions))
    recipe = Recipe.from_json(store.recipe(digest) or b"")
    sources = dict(zip(picked.columns, recipe.columns, strict=False))
    assert sources["n"] == ["base", "n"] and sources["x"][0] == "patch"
    assert store.get(digest) == frame_to_parquet(picked)  # rebuilt, and checked on the way
    assert store.local_path(digest).read_bytes() == frame_to_parquet(picked)
    recent_tables.clear()
    loaded = load_input(store, digest, "parquet")
    pd.testing.assert_frame_equal(loaded, picked, check_exact=True)
    assert store.requires(digest) == [parent, recipe.patch]
    assert store.size(digest) == len(store.recipe(digest) or b"") < len(frame_to_parquet(picked))
    assert digest in set(store.digests())


def test_a_column_selection_references_every_column(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    df = mixed(50)
    parent = stored(store, df)
    chosen = df[["text", "x"]]
    digest = keep_as_recipe(store, chosen, parent, Hint(parent))
    assert Recipe.from_json(store.recipe(digest) or b"").patch is None
    assert decode(store.get(digest), "parquet").equals(chosen)


@pytest.mark.parametrize(
    ("pandas_metadata", "row_group"), [(True, None), (False, None), (True, 64)]
)
def test_a_table_saved_without_its_index_is_a_parent_with_the_default_one(
    tmp_path: Path, pandas_metadata: bool, row_group: int | None
) -> None:
    """An uploaded dataset's Parquet (its index not saved, or written by another tool without
    pandas metadata; uploads write a row group per chunk read) reads with the index 0..n-1: the
    table read from it, and rows of it, are kept as recipes over it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = ArtifactStore(tmp_path / "store")
    df = mixed(400).drop(columns=["maybe"])
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    if not pandas_metadata:
        arrow = arrow.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    pq.write_table(arrow, sink, row_group_size=row_group)
    parent = store.put(sink.getvalue().to_pybytes())
    read = load_input(store, parent, "parquet")
    pd.testing.assert_frame_equal(read, df, check_exact=True)
    whole = keep_as_recipe(store, read, parent, Hint(parent))
    assert Recipe.from_json(store.recipe(whole) or b"").patch is None
    assert store.get(whole) == frame_to_parquet(read)
    positions = np.arange(0, 400, 3)
    rows = read.iloc[positions].reset_index(drop=True)
    picked = keep_as_recipe(store, rows, parent, Hint(parent, rows=positions))
    assert store.get(picked) == frame_to_parquet(rows)


def test_only_identical_bits_are_referenced() -> None:
    df = pd.DataFrame({"a": [0.0, 1.0, np.nan], "b": [1, 2, 3], "c": [4.0, 5.0, 6.0]})
    parent = table(df)
    out = df.copy()
    out["a"] = [-0.0, 1.0, np.nan]  # equal by value, not by bits
    found = derive(table(out), {"p": parent})
    assert found is not None
    assert found.columns[0][0] == "patch" and found.columns[1] == ["base", "b"]


def test_a_wrong_hint_is_not_believed() -> None:
    df = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10) * 3})
    parent = table(df)
    rows = np.array([3, 1, 4])
    picked = df.iloc[rows].reset_index(drop=True)
    assert derive(table(picked), {"p": parent}, Hint("p", rows=np.array([1, 3, 4]))) is None
    assert derive(table(picked), {"p": parent}, Hint("p", rows=np.array([3, 1, 99]))) is None
    scaled = df.assign(a=(df["a"] - 1.0) / 2.0)
    wrong = derive(table(scaled), {"p": parent}, Hint("p", rescaled={"a": (1.0, 3.0)}))
    assert wrong is not None and wrong.columns[0][0] == "patch"
    right = derive(table(scaled), {"p": parent}, Hint("p", rescaled={"a": (1.0, 2.0)}))
    assert right is not None and right.columns[0][0] == "rescaled" and right.patch is None
    assert assemble(right.recipe(None), lambda _: parent).equals(table(scaled))


def test_a_table_mostly_new_is_stored_whole() -> None:
    df = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0), "c": np.arange(100)})
    out = df.assign(a=df["a"] + 1, b=df["b"] + 1)
    assert derive(table(out), {"p": table(df)}) is None


def test_bytes_rebuilt_wrong_are_refused(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    df = mixed(30)
    parent = stored(store, df)
    digest = keep_as_recipe(store, df[["x", "n"]], parent, Hint(parent))
    other = hashlib.sha256(b"something else").hexdigest()
    store.put_recipe(other, store.recipe(digest) or b"")
    with pytest.raises(ArtifactError, match="does not match"):
        store.get(other)
    store.delete(parent)
    with pytest.raises(ArtifactError):
        store.get(digest)


def test_recipes_in_either_store_are_read_on_another_host(backend: Backend) -> None:  # noqa: F811
    store = backend.store
    df = mixed(200)
    parent = store.put(frame_to_parquet(df))
    positions = np.arange(0, 200, 3)
    picked = df.iloc[positions].reset_index(drop=True)
    found = derive(table(picked), {parent: table(df)}, Hint(parent, rows=positions))
    assert found is not None and found.patch is not None
    patch = store.put(_parquet(found.patch))
    digest = hashlib.sha256(frame_to_parquet(picked)).hexdigest()
    store.put_recipe(digest, found.recipe(patch).to_json())
    elsewhere = backend.reopen()
    assert elsewhere.exists(digest) and elsewhere.requires(digest) == [parent, patch]
    assert elsewhere.get(digest) == frame_to_parquet(picked)
    assert {parent, patch, digest} <= set(elsewhere.digests())
    assert elsewhere.size(digest) == len(found.recipe(patch).to_json())
    elsewhere.delete(digest)
    assert not backend.reopen().exists(digest)


def pipeline() -> Any:
    """iris → normalize → split → filter the test rows → select two columns."""
    nodes = [
        ("data", "data.sample_dataset@1", {"name": "iris"}),
        ("normalize", "transform.normalize@1", {"exclude": ["target"]}),
        ("split", "transform.split_rows@1", {"fraction": 0.3, "seed": 3}),
        ("filter", "transform.filter_rows@1", {"expression": "`sepal length (cm)` > 0"}),
        ("select", "transform.select_columns@1", {"columns": ["target", "petal width (cm)"]}),
    ]
    wires = [("data", "normalize"), ("normalize", "split"), ("split", "filter")]
    wires.append(("filter", "select"))
    document = {
        "schema_version": 1,
        "parameters": {},
        "nodes": [{"id": k, "module": m, "params": p} for k, m, p in nodes],
        "edges": [
            {
                "id": f"{a}-{b}",
                "source": {"node": a, "port": "test" if a == "split" else "dataset"},
                "target": {"node": b, "port": "dataset"},
            }
            for a, b in wires
        ],
        "comments": [],
    }
    return compile_graph(parse_graph(document), REGISTRY, {})


def test_a_run_stores_what_main_stored_under_the_same_digests(tmp_path: Path) -> None:
    """Every output's digest is that of the Parquet the module's table encodes to (as before);
    the derived ones are kept as recipes, and read back equal through a worker and the store."""
    modules = ModuleRunner(tmp_path / "modules")
    data = modules("data.sample_dataset@1", {"name": "iris"})["dataset"]
    normalized = modules("transform.normalize@1", {"exclude": ["target"]}, dataset=data)
    normal = normalized["dataset"]
    split = modules("transform.split_rows@1", {"fraction": 0.3, "seed": 3}, dataset=normal)
    expression = "`sepal length (cm)` > 0"
    kept = modules("transform.filter_rows@1", {"expression": expression}, dataset=split["test"])
    select = {"columns": ["target", "petal width (cm)"]}
    chosen = modules("transform.select_columns@1", select, dataset=kept["dataset"])
    expected = {
        ("normalize", "dataset"): normalized["dataset"],
        ("split", "train"): split["train"],
        ("split", "test"): split["test"],
        ("filter", "dataset"): kept["dataset"],
        ("select", "dataset"): chosen["dataset"],
    }
    store = ArtifactStore(tmp_path / "store")
    with LocalRunner(2) as runner:
        result = execute(pipeline(), runner=runner, cache=FileCache(tmp_path), store=store)
    assert result.status == "succeeded"
    recent_tables.clear()
    for (key, port), frame in expected.items():
        digest = result.steps[key].outputs[port].digest
        assert digest == hashlib.sha256(encode(frame, PortType.DATAFRAME).data).hexdigest()
        assert store.recipe(digest) is not None, (key, port)
        assert store.get(digest) == encode(frame, PortType.DATAFRAME).data
        pd.testing.assert_frame_equal(load_input(store, digest, "parquet"), frame)
    with LocalRunner(1) as runner:  # a rerun reuses every step
        again = execute(pipeline(), runner=runner, cache=FileCache(tmp_path), store=store)
    assert again.counts.get("reused") == len(again.steps)


def test_a_damaged_parent_is_named_and_set_aside_when_a_recipe_is_rebuilt(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    df = mixed(300)
    parent = stored(store, df)
    positions = np.arange(0, 300, 2)
    digest = keep_as_recipe(
        store, df.iloc[positions].reset_index(drop=True), parent, Hint(parent, rows=positions)
    )
    damaged = bytearray(store.path(parent).read_bytes())
    damaged[len(damaged) // 3] ^= 0xFF  # a flipped byte in the column data
    store.path(parent).write_bytes(bytes(damaged))
    with pytest.raises(ArtifactError, match=f"{parent[:12]} is corrupted"):
        store.local_path(digest)
    assert not store.path(parent).exists() and not list(store.built.glob("*/*"))
    assert not list(store.tmp.iterdir())  # the rebuilt bytes were not kept anywhere


def test_two_downloads_of_one_recipe_at_once_rebuild_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    from designer.engine import derived

    store = ArtifactStore(tmp_path / "store")
    df = mixed(200)
    parent = stored(store, df)
    positions = np.arange(0, 200, 2)
    picked = df.iloc[positions].reset_index(drop=True)
    digest = keep_as_recipe(store, picked, parent, Hint(parent, rows=positions))
    rebuilds: list[str] = []
    rebuild = derived.write_rebuilt

    def slow_rebuild(*args: Any) -> None:
        rebuilds.append(threading.current_thread().name)
        time.sleep(0.3)  # the other download asks meanwhile
        rebuild(*args)

    monkeypatch.setattr(derived, "write_rebuilt", slow_rebuild)
    paths: list[Path] = []
    downloads = [
        threading.Thread(target=lambda: paths.append(store.local_path(digest))) for _ in range(2)
    ]
    for thread in downloads:
        thread.start()
    for thread in downloads:
        thread.join()
    assert len(rebuilds) == 1 and len(paths) == 2 and paths[0] == paths[1]
    assert paths[0].read_bytes() == frame_to_parquet(picked)


def test_a_table_read_from_several_row_groups_is_still_kept_as_a_recipe(tmp_path: Path) -> None:
    """A big table is stored in several row groups, so its columns read back in several chunks;
    an output passing them through (text too) is still a recipe, rebuilt bit for bit."""
    import pyarrow.parquet as pq

    from designer.engine.artifacts import PARQUET_ROW_GROUP_ROWS

    store = ArtifactStore(tmp_path / "store")
    rows = PARQUET_ROW_GROUP_ROWS + 5000
    parent = stored(store, mixed(rows))
    assert pq.ParquetFile(store.path(parent)).metadata.num_row_groups == 2
    recent_tables.clear()
    read = load_input(store, parent, "parquet")
    positions = np.sort(np.random.default_rng(3).permutation(rows)[: rows // 2])
    picked = read.iloc[positions].reset_index(drop=True)
    digest = keep_as_recipe(store, picked, parent, Hint(parent, rows=positions))
    sources = Recipe.from_json(store.recipe(digest) or b"").columns
    assert ["base", "text"] in sources and ["base", "x"] in sources
    assert store.local_path(digest).read_bytes() == frame_to_parquet(picked)


def rebuilt_as_stored_before(
    tmp_path: Path, rows: int, step: int, absent: str, **written: Any
) -> tuple[bytes, bytes, dict[str, Any]]:
    """A table derived from a stored parent (every `step`-th of its `rows` rows) kept as a
    recipe stored before the recipe's field `absent` existed, over bytes written with
    `written`: (those bytes, the bytes the store rebuilds from it, the recipe as written now)."""
    import json

    import pyarrow as pa

    from designer.engine.artifacts import write_parquet

    store = ArtifactStore(tmp_path / "store")
    df = mixed(rows)
    parent = stored(store, df)
    positions = np.arange(0, rows, step)
    picked = df.iloc[positions].reset_index(drop=True)
    found = derive(
        table(picked), {parent: load_input_table(store, parent)}, Hint(parent, positions)
    )
    assert found is not None and found.patch is not None
    recipe = json.loads(found.recipe(store.put(_parquet(found.patch))).to_json())
    sink = pa.BufferOutputStream()
    write_parquet(frame_to_table(picked), sink, **written)  # as stored before
    old_bytes = sink.getvalue().to_pybytes()
    old_recipe = {name: value for name, value in recipe.items() if name != absent}
    digest = hashlib.sha256(old_bytes).hexdigest()
    store.put_recipe(digest, json.dumps(old_recipe, sort_keys=True).encode())
    return old_bytes, store.local_path(digest).read_bytes(), recipe


def test_a_recipe_stored_before_row_groups_were_bounded_still_rebuilds(tmp_path: Path) -> None:
    """Recipes stored before decision 0050 name no row group size: their bytes were written in
    pyarrow's default row groups, and are rebuilt so, bit for bit (downloads, previews)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from designer.engine.artifacts import PARQUET_ROW_GROUP_ROWS

    old_bytes, rebuilt, recipe = rebuilt_as_stored_before(
        tmp_path, PARQUET_ROW_GROUP_ROWS + 5000, 2, "row_group_rows", row_group_rows=None
    )
    assert pq.ParquetFile(pa.BufferReader(old_bytes)).metadata.num_row_groups == 1
    assert rebuilt == old_bytes
    assert recipe["row_group_rows"] == PARQUET_ROW_GROUP_ROWS


def test_a_recipe_stored_before_lz4_still_rebuilds_its_snappy_bytes(tmp_path: Path) -> None:
    """Recipes stored before decision 0110 name no codec: their bytes were Snappy's, and are
    rebuilt so, bit for bit; a recipe naming a codec this code does not know is refused."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    old_bytes, rebuilt, recipe = rebuilt_as_stored_before(
        tmp_path, 4000, 3, "compression", compression="snappy"
    )
    column = pq.ParquetFile(pa.BufferReader(old_bytes)).metadata.row_group(0).column(0)
    assert column.compression == "SNAPPY"
    assert rebuilt == old_bytes
    assert recipe["compression"] == "lz4"
    with pytest.raises(ValueError, match="unknown Parquet codec 'brotli'"):
        Recipe.from_json(json.dumps({**recipe, "compression": "brotli"}).encode())
