"""The built-in specs: the refs other layers rely on, valid defaults, light imports, docs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from designer.engine.params import check_value, default_value
from designer.engine.registry import load_implementation
from designer.engine.types import PortType
from designer.modules.catalogue import render
from tests.unit.modules.harness import REGISTRY

ROOT = Path(__file__).resolve().parents[3]

# The table in docs/architecture.md ("Module refs and ports the layers rely on").
CONTRACT = {
    "data.sample_dataset@1": ((), ("dataset",), ("name",)),
    "data.enter_data@1": ((), ("dataset",), ("csv",)),
    "transform.select_columns@1": (("dataset",), ("dataset",), ("columns", "mode")),
    "transform.clean_missing@1": (("dataset",), ("dataset",), ("columns", "strategy")),
    "transform.normalize@1": (("dataset",), ("dataset", "transform"), ("columns", "method")),
    "transform.split_rows@1": (("dataset",), ("train", "test"), ("fraction", "seed", "stratify")),
    "transform.sql@1": (("t1", "t2", "t3"), ("dataset",), ("query",)),
    "script.python@1": (("dataset1", "dataset2"), ("result1", "result2"), ("code", "timeout")),
    "ml.logistic_regression@1": ((), ("model",), ()),
    "ml.train_model@1": (("model", "dataset"), ("model",), ("label",)),
    "ml.score_model@1": (("model", "dataset"), ("dataset",), ()),
    "ml.evaluate_model@1": (("scored", "scored2"), ("metrics",), ()),
}


@pytest.mark.parametrize("ref", sorted(CONTRACT))
def test_contract_refs_ports_and_params(ref: str) -> None:
    spec = REGISTRY.get(ref)
    assert spec is not None
    inputs, outputs, params = CONTRACT[ref]
    assert [p.name for p in spec.inputs] == list(inputs)
    assert [p.name for p in spec.outputs][: len(outputs)] == list(outputs)
    assert set(params) <= {p.name for p in spec.params}


def test_contract_details() -> None:
    assert REGISTRY.get("transform.sql@1").input("t2").optional
    assert REGISTRY.get("script.python@1").input("dataset2").optional
    assert REGISTRY.get("ml.evaluate_model@1").input("scored2").optional
    assert REGISTRY.get("transform.normalize@1").output("transform").type is PortType.TRANSFORM
    assert REGISTRY.get("transform.normalize@1").param("method").choices == (
        "zscore",
        "minmax",
        "robust",
    )
    fraction = REGISTRY.get("transform.split_rows@1").param("fraction")
    assert (fraction.minimum, fraction.maximum) == (0.0, 1.0)
    assert {"iris", "wine", "breast_cancer", "diabetes", "digits"} <= set(
        REGISTRY.get("data.sample_dataset@1").param("name").choices
    )
    assert REGISTRY.get("data.registered_dataset@1").deterministic is False


@pytest.mark.parametrize("spec", list(REGISTRY), ids=lambda s: s.ref)
def test_every_spec_is_complete_and_importable(spec) -> None:
    assert spec.name.split(".")[0] in {"data", "transform", "stats", "script", "ml", "output"}
    assert spec.display_name and spec.category and len(spec.description) > 40
    for param in spec.params:
        if not param.required:
            assert check_value(param, default_value(param)) is None, param.name
    assert all(Path(f).is_file() for f in spec.source_files)
    assert callable(load_implementation(spec.implementation))


def test_learners_output_an_untrained_model() -> None:
    learners = [s for s in REGISTRY if s.implementation.startswith("designer.modules.learners:")]
    assert len(learners) == 24
    for spec in learners:
        assert [(p.name, p.type) for p in spec.outputs] == [("model", PortType.MODEL)]
        wraps = [("model", PortType.MODEL)] if spec.name.startswith("ml.one_vs_") else []
        assert [(p.name, p.type) for p in spec.inputs] == wraps


def test_specs_import_without_pandas_or_sklearn() -> None:
    code = (
        "import sys\n"
        "from designer.modules import builtin_registry\n"
        "r = builtin_registry()\n"
        "[r.implementation_digest(s.ref) for s in r]\n"
        "heavy = [m for m in ('pandas', 'sklearn', 'numpy', 'pyarrow') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_docs_catalogue_is_current() -> None:
    current = (ROOT / "docs" / "modules.md").read_text()
    assert current == render(REGISTRY), (
        "docs/modules.md is stale: run python -m designer.modules.catalogue > docs/modules.md"
    )
