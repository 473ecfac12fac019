"""Specs of the frozen modules: outputs of an earlier run's step, used as they are."""

from __future__ import annotations

from designer.engine.registry import ModuleSpec, ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import builtin

FROZEN_MODEL = "ml.frozen_model"
FROZEN_TRANSFORM = "transform.frozen_transform"
FROZEN_RECOMMENDER = "ml.frozen_recommender"
FROZEN_DATASET = "data.frozen_dataset"
FROZEN_KINDS = {
    FROZEN_MODEL: "pickle",
    FROZEN_TRANSFORM: "pickle",
    FROZEN_RECOMMENDER: "pickle",
    FROZEN_DATASET: "parquet",
}

_SOURCE = (
    ParamSpec("run", ParamType.INT, label="Run", description="The run it comes from.", minimum=1),
    ParamSpec("step", ParamType.STRING, label="Step", description="The step (node id) in it."),
    ParamSpec("port", ParamType.STRING, label="Output", description="The step's output port."),
    ParamSpec(
        "digest",
        ParamType.STRING,
        label="Digest",
        description="The stored output's content digest; only outputs of runs in this "
        "workspace can be frozen.",
    ),
)


def _frozen(name: str, display: str, what: str, function: str, port: PortSpec) -> ModuleSpec:
    return builtin(
        name,
        display,
        "Frozen from a run",
        f"""Outputs {what} exactly as a step of an earlier run of this workspace produced it
        (by its stored digest), without running that step again. Create real-time inference
        pipeline puts these in place of the training steps.""",
        f"frozen:{function}",
        outputs=(port,),
        params=_SOURCE,
        helpers=("models",),
    )


SPECS = [
    _frozen(
        FROZEN_MODEL,
        "Frozen trained model",
        "a trained model",
        "frozen_model",
        PortSpec("model", PortType.MODEL, "The trained model."),
    ),
    _frozen(
        FROZEN_TRANSFORM,
        "Frozen fitted transform",
        "a fitted transform (normalizer, cleaning, indicator values, principal components, bins, "
        "bounds, n-grams, topics, feature selection)",
        "frozen_transform",
        PortSpec("transform", PortType.TRANSFORM, "The fitted transform."),
    ),
    _frozen(
        FROZEN_RECOMMENDER,
        "Frozen trained recommender",
        "a trained recommender",
        "frozen_recommender",
        PortSpec("recommender", PortType.RECOMMENDER, "The trained recommender."),
    ),
    _frozen(
        FROZEN_DATASET,
        "Frozen table",
        "a table",
        "frozen_dataset",
        PortSpec("dataset", PortType.DATAFRAME, "The table."),
    ),
]
