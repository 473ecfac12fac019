"""Custom modules: discovery, validation errors naming file and field, digest, execution."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from designer.engine.artifacts import decode, encode
from designer.engine.compile import compile_document
from designer.engine.hashing import sha256_hex
from designer.engine.registry import load_implementation
from designer.engine.store import ArtifactStore
from designer.engine.types import PortType
from designer.engine.worker import make_task, run_step
from designer.modules import load_registry
from designer.modules.custom import CustomModuleError
from designer.modules.plugins.entry import SandboxedEntry
from tests.support.graphs import graph, node
from tests.unit.modules.harness import ModuleContext, ModuleRunner

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "custom_modules"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "modules"
    shutil.copytree(EXAMPLE, target)
    return target


def write_spec(folder: Path, text: str, name: str = "broken.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_custom_module_is_registered_and_runs(folder: Path, tmp_path: Path) -> None:
    registry = load_registry([folder])
    spec = registry.get("custom.clip_values@1")
    assert spec is not None and spec.category == "Custom"
    assert registry.get("ml.train_model@1") is not None  # built-ins are there too
    assert [p.name for p in spec.params] == ["columns", "lower", "upper"]
    run = ModuleRunner(tmp_path, registry)
    out = run("custom.clip_values@1", {"upper": 2.0}, dataset=pd.DataFrame({"x": [-1.0, 1.5, 3.0]}))
    assert out["dataset"]["x"].tolist() == [0.0, 1.5, 2.0]


def test_editing_the_code_changes_the_digest(folder: Path) -> None:
    before = load_registry([folder]).implementation_digest("custom.clip_values@1")
    code = folder / "clip_values.py"
    code.write_text(code.read_text() + "\n# edited\n")
    assert load_registry([folder]).implementation_digest("custom.clip_values@1") != before


def test_implementation_path_names_the_files_function_run_in_the_sandbox(folder: Path) -> None:
    spec = load_registry([folder]).get("custom.clip_values@1")
    func = load_implementation(spec.implementation)
    assert func.__module__.startswith("designer.modules.plugins.m_") and func.__name__ == "run"
    assert isinstance(func, SandboxedEntry) and func.file == folder / "clip_values.py"


def test_problems_name_file_and_field(folder: Path) -> None:
    path = write_spec(
        folder,
        """
        name: Bad Name
        version: 0
        entry_point: missing.py:run
        inputs:
          - {name: dataset, type: Table}
        params:
          - {name: mode, type: enum, default: fast, choices: [slow]}
          - {name: n, type: int, default: 3, minimum: 5, maximum: 1}
        requirements: ["pandas>=2", "not a requirement!"]
        colour: blue
        """,
    )
    with pytest.raises(CustomModuleError) as err:
        load_registry([folder])
    problems = "\n".join(err.value.problems)
    for expected in [
        f"{path}: name: 'Bad Name' must be dotted lowercase words",
        f"{path}: version: must be a positive integer, got 0",
        f"{path}: entry_point: file 'missing.py' does not exist beside the spec",
        f"{path}: inputs[0].type: must be one of DataFrame, Model, Transform, Recommender, "
        "Metrics, Figures, Any, got 'Table'",
        f"{path}: params[0].default: 'fast' is not one of the choices ['slow']",
        f"{path}: params[1].minimum: 5 is greater than maximum 1",
        f"{path}: colour: is not a known field",
        f"{path}: requirements[1]: `not a requirement!` is not a valid requirement: ",
    ]:
        assert expected in problems


def test_entry_function_must_exist_and_yaml_must_parse(folder: Path) -> None:
    (folder / "clip_values.yaml").write_text(
        (folder / "clip_values.yaml")
        .read_text()
        .replace("clip_values.py:run", "clip_values.py:nope")
    )
    write_spec(folder, "name: [unclosed\n", "garbled.yml")
    with pytest.raises(CustomModuleError) as err:
        load_registry([folder])
    problems = "\n".join(err.value.problems)
    assert (
        "clip_values.yaml: entry_point: clip_values.py defines no top-level function 'nope'"
        in problems
    )
    assert "garbled.yml: not valid YAML" in problems


def test_builtin_names_cannot_be_reused(folder: Path) -> None:
    spec = folder / "clip_values.yaml"
    spec.write_text(spec.read_text().replace("custom.clip_values", "ml.train_model"))
    with pytest.raises(CustomModuleError, match=r"ml\.train_model@1 is already registered"):
        load_registry([folder])


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CustomModuleError, match="custom module folder does not exist"):
        load_registry([tmp_path / "nowhere"])


def test_a_sandboxed_module_stores_what_it_would_have_stored_in_process(
    folder: Path, tmp_path: Path
) -> None:
    """The module runs in the sandbox (the worker never imports its file), and its output's
    bytes are those of the same function run in this process."""
    registry = load_registry([folder])
    step = compile_document(
        graph(
            [
                node("data", "data.enter_data@1", csv="x,y\n-1,a\n1.5,b\n3,c\n"),
                node("clip", "custom.clip_values@1", upper=2.0),
            ],
            [("data.dataset", "clip.dataset")],
        ),
        registry,
    )
    store = ArtifactStore(tmp_path / "store")
    first = run_step(make_task(step.step("data"), {}, run_id="r", attempt=1, store=store.root))
    source = first["outputs"]["dataset"]
    inputs = {"dataset": {"digest": source["digest"], "kind": source["kind"]}}
    task = make_task(step.step("clip"), inputs, run_id="r", attempt=1, store=store.root)
    sandboxed = run_step(task)
    assert sandboxed["status"] == "succeeded", sandboxed
    code = str(folder / "clip_values.py")
    assert not any(getattr(m, "__file__", None) == code for m in list(sys.modules.values()))
    spec = importlib.util.spec_from_file_location("clip_in_process", folder / "clip_values.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frame = decode(store.get(source["digest"]), source["kind"])
    ctx = ModuleContext(
        {"columns": [], "lower": 0.0, "upper": 2.0}, {"dataset": frame}, tmp_path, None
    )
    expected = encode(module.run(ctx)["dataset"], PortType.DATAFRAME)
    assert sandboxed["outputs"]["dataset"]["digest"] == sha256_hex(expected.data)
