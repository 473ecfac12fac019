"""Specs of the output modules: export to a registered dataset, web service markers."""

from __future__ import annotations

from designer.engine.registry import ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import builtin

WEB_SERVICE_INPUT = "output.web_service_input"
WEB_SERVICE_OUTPUT = "output.web_service_output"

SPECS = [
    builtin(
        "output.export_data",
        "Export data",
        "Data output",
        """Registers the input table as a new version of a workspace dataset (an identical table
        reuses the existing version). Registered datasets can be read back with the Registered
        dataset module.""",
        "output:export_data",
        inputs=(PortSpec("dataset", PortType.DATAFRAME, "The table to register."),),
        outputs=(PortSpec("dataset", PortType.DATAFRAME, "The same table, passed through."),),
        params=(
            ParamSpec(
                "name", ParamType.STRING, label="Dataset name", description="Registered name."
            ),
            ParamSpec(
                "description", ParamType.STRING, "", description="Shown in the dataset list."
            ),
        ),
    ),
    builtin(
        WEB_SERVICE_INPUT,
        "Web service input",
        "Web service",
        """Marks where a published endpoint feeds the caller's data into the pipeline: a call
        sends a file or names a registered dataset version, which this step then reads. Without
        one (a canvas run, or a call that leaves the input out) it passes its connected data
        through unchanged.""",
        "output:web_service_input",
        inputs=(
            PortSpec("dataset", PortType.DATAFRAME, "Data used in batch runs.", optional=True),
        ),
        outputs=(PortSpec("dataset", PortType.DATAFRAME, "Request rows (batch: the input)."),),
        params=(
            ParamSpec(
                "dataset",
                ParamType.STRING,
                "",
                label="Dataset (set by calls)",
                description="A registered dataset read instead of the connected data; an "
                "endpoint call sets it. Leave empty to use the connected data.",
            ),
            ParamSpec(
                "version",
                ParamType.STRING,
                None,
                description="The version digest of that dataset (required with a dataset).",
                nullable=True,
            ),
        ),
    ),
    builtin(
        WEB_SERVICE_OUTPUT,
        "Web service output",
        "Web service",
        """Marks the table a published real-time endpoint returns as its response. In a batch
        run it passes its input through unchanged.""",
        "output:web_service_output",
        inputs=(PortSpec("dataset", PortType.DATAFRAME, "The response rows."),),
        outputs=(PortSpec("dataset", PortType.DATAFRAME, "The same rows."),),
    ),
]
