"""Spec of the Execute Python script module."""

from __future__ import annotations

from designer.engine.registry import ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import SANDBOX_HELPERS, builtin, sandbox_params

DEFAULT_SCRIPT = '''import pandas as pd


def azureml_main(dataframe1, dataframe2=None):
    """Return one DataFrame, or a tuple of two, optionally followed by a dict of metrics
    ({"auc": 0.93}). Figures left open (matplotlib) are kept."""
    return dataframe1
'''

SPECS = [
    builtin(
        "script.python",
        "Execute Python script",
        "Python language",
        """Runs your Python code on up to two input tables. Define `azureml_main(dataframe1,
        dataframe2=None)` (or `main`) returning a DataFrame or a tuple of one or two DataFrames.
        The code runs in the sandbox: a fresh interpreter with pandas, numpy, scikit-learn and
        matplotlib, no network, no view of the server's files, a private /tmp, a wall-clock
        timeout and a memory limit. Figures the script leaves open (`plt.plot(...)`,
        `plt.show()`) become the `figures` output: up to 20, at most 4000 pixels a side.
        Return a dict of named numbers last (`return df, {"auc": 0.93}`, or the dict alone)
        and it becomes the `metrics` output, shown in the pipeline's Metrics view.
        print() output streams to the step log as it is printed; errors point at your own line
        numbers.""",
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
            PortSpec("figures", PortType.FIGURES, "The figures the script drew, as PNG images."),
            PortSpec(
                "metrics",
                PortType.METRICS,
                "The dict of metrics the script returned (empty if none).",
            ),
        ),
        params=(
            ParamSpec(
                "code", ParamType.CODE, DEFAULT_SCRIPT, language="python", label="Python script"
            ),
            *sandbox_params("the script"),
        ),
        helpers=(
            "_frames",
            *SANDBOX_HELPERS,
            "designer.sandbox.harness.script",
            "designer.sandbox.harness.script_metrics",
        ),
    ),
]
