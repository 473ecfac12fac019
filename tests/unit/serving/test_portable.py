"""Portable models: a trained model as a plain scikit-learn Pipeline (joblib) and as ONNX bytes,
both loadable in a fresh interpreter that cannot import this package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from designer.engine.artifacts import encode
from designer.engine.types import PortType
from designer.modules.fitted import CleanTransform, OneHotTransform, ScaleTransform
from designer.modules.portable import NotPortable, to_onnx, to_sklearn
from tests.unit.serving.harness import train, training_document

LOAD = """
import json, sys
try:
    import designer
except ImportError:
    pass
else:
    raise SystemExit("designer is importable")
import joblib, numpy as np, onnxruntime, pandas as pd
model = joblib.load(sys.argv[1])
rows = pd.read_json(sys.argv[2], orient="records")
session = onnxruntime.InferenceSession(open(sys.argv[3], "rb").read())
onnx = session.run(None, {"X": rows[json.loads(sys.argv[4])].to_numpy(dtype="float64")})
print(json.dumps({"proba": model.predict_proba(rows)[:, 1].tolist(),
                  "labels": model.predict(rows).tolist(),
                  "onnx": np.asarray(onnx[1])[:, 1].tolist()}))
"""


def test_a_trained_model_loads_and_scores_without_this_package(tmp_path: Path) -> None:
    document = training_document("ml.logistic_regression", {}, "breast_cancer")
    trained = train(document, tmp_path)
    model = trained.run.values["train"]["model"]
    rows = trained.test_rows()  # the whole table: the pipeline picks the features itself
    joblib.dump(to_sklearn(model), tmp_path / "model.joblib")
    (tmp_path / "model.onnx").write_bytes(to_onnx(model, rows).data)
    rows.to_json(tmp_path / "rows.json", orient="records", double_precision=15)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD,
            str(tmp_path / "model.joblib"),
            str(tmp_path / "rows.json"),
            str(tmp_path / "model.onnx"),
            json.dumps(model.features),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # not the repository: `designer` must not be importable
        check=False,
    )
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout)
    scored = trained.scored()
    reread = pd.read_json(tmp_path / "rows.json", orient="records")
    assert loaded["labels"] == scored["Scored Labels"].tolist()
    expected = model.estimator.predict_proba(reread[model.features])[:, 1]
    assert loaded["proba"] == expected.tolist()
    assert np.allclose(loaded["onnx"], expected, rtol=1e-5, atol=1e-5)


def test_fitted_transforms_become_column_transformers_where_expressible() -> None:
    table = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [4.0, 5.0, 6.0], "c": ["x", "y", "x"]})
    scale = ScaleTransform("zscore", {"a": 2.0, "b": 5.0}, {"a": 0.5, "b": 2.0})
    fill = CleanTransform("mean", ["a"], {"a": 2.0})
    for fitted in (scale, fill, CleanTransform("remove_columns", ["c"])):
        expected = fitted.apply(table)
        got = to_sklearn(fitted, table.columns).transform(table)[list(expected.columns)]
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    with pytest.raises(NotPortable, match="removes rows"):
        to_sklearn(CleanTransform("remove_rows", ["a"]), table.columns)
    with pytest.raises(NotPortable, match="column-category"):
        to_sklearn(OneHotTransform({"c": ["x", "y"]}), table.columns)
    with pytest.raises(NotPortable, match="needs the columns"):
        to_sklearn(scale)


def test_a_model_of_this_packages_own_estimator_is_neither_exported_nor_converted(
    tmp_path: Path,
) -> None:
    """PCA-based anomaly detection is our class: a joblib copy would not load without this
    package, and skl2onnx has no converter; both say so by the learner's name."""
    document = training_document(
        "ml.pca_anomaly_detection", {}, "breast_cancer", task="anomaly_detection"
    )
    trained = train(document, tmp_path)
    model = trained.run.values["train"]["model"]
    for convert in (to_sklearn, lambda m: to_onnx(m, trained.test_rows())):
        with pytest.raises(NotPortable, match="PCA-based anomaly detection is this package's"):
            convert(model)
    assert "export" not in encode(model, PortType.MODEL).summary
    forest = train(
        training_document("ml.isolation_forest", {}, "breast_cancer", task="anomaly_detection"),
        tmp_path / "forest",
    ).run.values["train"]["model"]
    assert "export" in encode(forest, PortType.MODEL).summary
