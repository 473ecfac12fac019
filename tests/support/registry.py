"""The registry of test-only modules (tests/support/modules.py).

Use it from the CLI with `--registry tests.support.registry:registry`.
"""

from __future__ import annotations

from designer.engine.registry import REQUIRED, ModuleSpec, ParamSpec, PortSpec, Registry
from designer.engine.types import ParamType, PortType

ANY_OUT = (PortSpec("out", PortType.ANY),)
IMPL = "tests.support.modules"


def _spec(name: str, func: str, **kw: object) -> ModuleSpec:
    defaults: dict[str, object] = {
        "display_name": name,
        "category": "Test",
        "description": f"test module {name}",
        "outputs": ANY_OUT,
    }
    defaults.update(kw)
    return ModuleSpec(name=name, version=1, implementation=f"{IMPL}:{func}", **defaults)  # type: ignore[arg-type]


def specs() -> list[ModuleSpec]:
    """Every test module spec."""
    opt_in = (PortSpec("in", PortType.ANY, optional=True),)
    frame_in = (PortSpec("dataset", PortType.DATAFRAME),)
    return [
        _spec("test.noop", "noop", inputs=opt_in),
        _spec(
            "test.noop2",
            "noop",
            inputs=(
                PortSpec("a", PortType.ANY, optional=True),
                PortSpec("b", PortType.ANY, optional=True),
            ),
        ),
        _spec("test.const", "const", params=(ParamSpec("value", ParamType.INT, 1),)),
        _spec(
            "test.add",
            "add",
            inputs=(PortSpec("in", PortType.ANY),),
            params=(ParamSpec("amount", ParamType.INT, 1, minimum=-100, maximum=100),),
        ),
        _spec(
            "test.join",
            "join",
            inputs=(PortSpec("a", PortType.ANY), PortSpec("b", PortType.ANY, optional=True)),
        ),
        _spec(
            "test.sleep",
            "sleep",
            inputs=opt_in,
            params=(ParamSpec("seconds", ParamType.FLOAT, 0.1, minimum=0),),
        ),
        _spec(
            "test.blas_threads",
            "blas_threads",
            inputs=opt_in,
            params=(
                ParamSpec("seconds", ParamType.FLOAT, 0.0, minimum=0),
                ParamSpec("imports", ParamType.STRING, ""),
            ),
        ),
        _spec(
            "test.flaky",
            "flaky",
            params=(
                ParamSpec("times", ParamType.INT, 1, minimum=0),
                ParamSpec("marker_dir", ParamType.STRING, REQUIRED),
            ),
        ),
        _spec(
            "test.fail", "fail", inputs=opt_in, params=(ParamSpec("user", ParamType.BOOL, False),)
        ),
        _spec("test.chatty", "chatty"),
        _spec("test.where", "where", inputs=opt_in),
        _spec(
            "test.spawn",
            "spawn",
            params=(
                ParamSpec("pid_file", ParamType.STRING, REQUIRED),
                ParamSpec("seconds", ParamType.FLOAT, 300.0),
            ),
        ),
        _spec("test.crash", "crash"),
        _spec("test.hoard", "hoard", params=(ParamSpec("mb", ParamType.INT, 16, minimum=0),)),
        _spec("test.exits", "exits"),
        _spec(
            "test.frame",
            "frame",
            outputs=(PortSpec("dataset", PortType.DATAFRAME),),
            params=(ParamSpec("rows", ParamType.INT, 10, minimum=0),),
        ),
        _spec(
            "test.head",
            "head",
            inputs=frame_in,
            outputs=(
                PortSpec("dataset", PortType.DATAFRAME),
                PortSpec("metrics", PortType.METRICS),
            ),
            params=(ParamSpec("n", ParamType.INT, 5, minimum=0),),
        ),
        _spec(
            "test.external",
            "external",
            deterministic=False,
            params=(ParamSpec("path", ParamType.STRING, REQUIRED),),
        ),
        _spec("test.bad_output", "bad_output", outputs=(PortSpec("dataset", PortType.DATAFRAME),)),
        _spec("test.cwd", "cwd"),
        _spec(
            "test.dataset_io",
            "dataset_io",
            inputs=frame_in,
            outputs=(
                PortSpec("dataset", PortType.DATAFRAME),
                PortSpec("metrics", PortType.METRICS),
            ),
            params=(ParamSpec("name", ParamType.STRING, "things"),),
        ),
        _spec(
            "test.model",
            "noop",
            inputs=(PortSpec("in", PortType.MODEL, optional=True),),
            outputs=(PortSpec("out", PortType.MODEL),),
        ),
        _spec(
            "test.kitchen",
            "noop",
            outputs=(PortSpec("out", PortType.METRICS),),
            params=(
                ParamSpec("count", ParamType.INT, 3, minimum=0, maximum=10),
                ParamSpec("ratio", ParamType.FLOAT, 0.5, minimum=0.0, maximum=1.0),
                ParamSpec("flag", ParamType.BOOL, False),
                ParamSpec("title", ParamType.STRING, "x"),
                ParamSpec("color", ParamType.ENUM, "red", choices=("red", "green")),
                ParamSpec("columns", ParamType.COLUMNS, ()),
                ParamSpec("label", ParamType.COLUMN, ""),
                ParamSpec("code", ParamType.CODE, "", language="python"),
                ParamSpec("seed", ParamType.INT, None, nullable=True),
                ParamSpec("needed", ParamType.STRING, REQUIRED),
            ),
        ),
    ]


def registry() -> Registry:
    """A fresh registry of the test modules."""
    return Registry(specs())
