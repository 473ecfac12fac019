"""A deployed version's ONNX model as a download: the bytes its scorer was checked with at
deploy time, and a manifest saying how to feed them to plain onnxruntime and what comes out.

The file holds the trained model alone, so it is offered only when the version's rows reach
the model unchanged (Select columns at most); otherwise `NoOnnxModel` says why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from designer.modules.portable import ABS_TOLERANCE, REL_TOLERANCE, SINGLE_INPUT, OnnxModel
from designer.modules.schemas import ANOMALY_SCORE, SCORED_LABELS, SCORED_PROBABILITIES
from designer.serving.scorer import Scorer

# the module that fitted each transform the real-time kernel replays (kernel.Replayable)
_STEPS = {
    "ScaleTransform": "Normalize data",
    "CleanTransform": "Clean missing data",
    "ClipTransform": "Clip values",
    "PcaTransform": "Principal component analysis",
    "BinTransform": "Group data into bins",
    "TextTransform": "Extract N-gram features from text",
    "TopicTransform": "Latent Dirichlet Allocation",
    "OneHotTransform": "Convert to indicator values",
    "SelectionTransform": "Filter based feature selection",
    "MathOperation": "Apply math operation",
    "TextPreprocessing": "Preprocess text",
    "Hashing": "Feature hashing",
}


class NoOnnxModel(Exception):
    """The version has no ONNX model to download; `code` and the message say why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class OnnxDownload:
    """The ONNX bytes and their manifest (inputs, outputs, check figures)."""

    data: bytes
    manifest: dict[str, Any]


def onnx_download(scorer: Scorer) -> OnnxDownload:
    """The scorer's ONNX model and manifest, or NoOnnxModel naming why there is none."""
    kernel = scorer.kernel
    if kernel is None or kernel.onnx is None:
        raise NoOnnxModel(
            "no_onnx_model",
            f"This version scores without ONNX: {scorer.runtime_reason}. "
            "Download the model as a scikit-learn pipeline instead.",
        )
    if kernel.replayed:
        raise NoOnnxModel(
            "onnx_model_only",
            "This version transforms the rows before its model ("
            + ", ".join(_STEPS[type(step.fitted).__name__] for step in kernel.replayed)
            + "); the ONNX file holds the model alone, so it would not reproduce the "
            "endpoint's scores.",
        )
    model = kernel.onnx.model
    return OnnxDownload(model.data, _manifest(model, kernel.onnx.outputs, scorer))


def _manifest(model: OnnxModel, outputs: list[str], scorer: Scorer) -> dict[str, Any]:
    if model.text_columns:
        inputs = [
            {
                "name": c,
                "shape": ["rows", 1],
                "type": "string" if c in model.text_columns else model.float_type,
            }
            for c in model.features
        ]
    else:
        inputs = [
            {
                "name": SINGLE_INPUT,
                "shape": ["rows", len(model.features)],
                "type": model.float_type,
                "columns": list(model.features),
            }
        ]
    described: list[dict[str, Any]] = [{"name": outputs[0], "response_column": SCORED_LABELS}]
    if model.anomaly_offset is not None:
        described = [
            {**described[0], "values": {"-1": 1, "1": 0}},  # an anomaly is -1 in the file
            {
                "name": outputs[1],
                "shape": ["rows", 1],
                "response_column": ANOMALY_SCORE,
                "offset": model.anomaly_offset,
                "formula": "Anomaly Score = -(scores + offset)",
            },
        ]
    if model.classes:
        columns = (
            {SCORED_PROBABILITIES: 1}
            if len(model.classes) == 2
            else {f"{SCORED_PROBABILITIES}_{c}": i for i, c in enumerate(model.classes)}
        )
        described.append(
            {
                "name": outputs[1],
                "shape": ["rows", len(model.classes)],
                "classes": [_plain(c) for c in model.classes],
                "response_columns": columns,
            }
        )
    return {
        "features": list(model.features),
        "inputs": inputs,
        "outputs": described,
        "float_type": model.float_type,
        "max_difference": scorer.max_difference,
        "tolerance": {"absolute": ABS_TOLERANCE, "relative": REL_TOLERANCE},
        "checked_rows": scorer.checked_rows,
    }


def _plain(value: Any) -> Any:
    """A class label as JSON (numpy scalars as Python ones)."""
    return value.item() if hasattr(value, "item") else value
