"""Spec of the Execute Python script module."""

from __future__ import annotations

from designer.engine.registry import ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import builtin

DEFAULT_SCRIPT = '''import pandas as pd


def azureml_main(dataframe1, dataframe2=None):
    """Return one DataFrame, or a tuple of two."""
    return dataframe1
'''

SPECS = [
    builtin(
        "script.python",
        "Execute Python script",
        "Python language",
        """Runs your Python code on up to two input tables. Define `azureml_main(dataframe1,
        dataframe2=None)` (or `main`) returning a DataFrame or a tuple of one or two DataFrames.
        The code runs in a separate sandboxed process: a fresh interpreter with pandas, numpy
        and scikit-learn, a wall-clock timeout, a memory limit, no secrets in its environment,
        its own temporary working directory and no write access elsewhere. print() output
        streams to the step log; errors point at your own line numbers.""",
        "script:python_script",
        inputs=(
            PortSpec("dataset1", PortType.DATAFRAME, "Passed as dataframe1."),
            PortSpec("dataset2", PortType.DATAFRAME, "Passed as dataframe2.", optional=True),
        ),
        outputs=(
            PortSpec("result1", PortType.DATAFRAME, "The first returned DataFrame."),
            PortSpec(
                "result2", PortType.DATAFRAME, "The second returned DataFrame (empty if none)."
            ),
        ),
        params=(
            ParamSpec(
                "code", ParamType.CODE, DEFAULT_SCRIPT, language="python", label="Python script"
            ),
            ParamSpec(
                "timeout",
                ParamType.INT,
                120,
                description="Seconds of wall-clock time before the script is stopped.",
                minimum=1,
                maximum=3600,
            ),
            ParamSpec(
                "memory_mb",
                ParamType.INT,
                2048,
                label="Memory limit (MB)",
                description="Address-space limit of the script process.",
                minimum=256,
                maximum=65536,
            ),
        ),
        helpers=("_frames", "sandbox", "sandbox_harness"),
    ),
]
