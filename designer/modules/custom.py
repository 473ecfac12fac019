"""Custom modules: YAML spec files beside Python code, discovered from folders and validated."""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from designer.engine.registry import Environment, ModuleSpec, ParamSpec, PortSpec
from designer.engine.requirements import invalid as invalid_requirement
from designer.engine.types import ParamType, PortType
from designer.modules.plugins import module_name_for

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
TOP_FIELDS = {
    "name", "version", "display_name", "category", "description", "entry_point",
    "inputs", "outputs", "params", "requirements", "image", "deterministic", "timeout",
}  # fmt: skip
PORT_FIELDS = {"name", "type", "description", "optional"}
PARAM_FIELDS = {
    "name", "type", "default", "label", "description", "minimum", "maximum", "choices",
    "language", "nullable",
}  # fmt: skip
_PYTHON_TYPES: dict[ParamType, tuple[type, ...]] = {
    ParamType.INT: (int,),
    ParamType.FLOAT: (int, float),
    ParamType.BOOL: (bool,),
    ParamType.STRING: (str,),
    ParamType.ENUM: (str,),
    ParamType.COLUMNS: (list,),
    ParamType.COLUMN: (str,),
    ParamType.CODE: (str,),
}


class CustomModuleError(ValueError):
    """One or more custom module spec files are invalid; `problems` names each file and field."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid custom modules:\n" + "\n".join(f"  {p}" for p in problems))
        self.problems = problems


class _Spec:
    """Reads one spec file, collecting every problem as "file: field: message"."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.path}: {where}: {message}")

    def text(self, data: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}{key}", "must be a non-empty string")
            return ""
        return value.strip()

    def unknown(self, data: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(data) - allowed):
            self.fail(
                f"{where}{key}", f"is not a known field (known: {', '.join(sorted(allowed))})"
            )

    def port(self, raw: Any, where: str, names: set[str]) -> PortSpec | None:
        if not isinstance(raw, dict):
            self.fail(where, "must be a mapping with name and type")
            return None
        self.unknown(raw, PORT_FIELDS, f"{where}.")
        name = self.text(raw, "name", f"{where}.")
        if name and not name.isidentifier():
            self.fail(f"{where}.name", f"'{name}' must be an identifier")
        if name in names:
            self.fail(f"{where}.name", f"'{name}' is used twice")
        names.add(name)
        kinds = [t.value for t in PortType]
        if raw.get("type") not in kinds:
            self.fail(
                f"{where}.type", f"must be one of {', '.join(kinds)}, got {raw.get('type')!r}"
            )
            return None
        return PortSpec(
            name,
            PortType(raw["type"]),
            str(raw.get("description", "")),
            bool(raw.get("optional", False)),
        )

    def param(self, raw: Any, where: str, names: set[str]) -> ParamSpec | None:
        if not isinstance(raw, dict):
            self.fail(where, "must be a mapping with name and type")
            return None
        self.unknown(raw, PARAM_FIELDS, f"{where}.")
        name = self.text(raw, "name", f"{where}.")
        if name and (not name.isidentifier() or keyword.iskeyword(name)):
            self.fail(f"{where}.name", f"'{name}' must be an identifier")
        if name in names:
            self.fail(f"{where}.name", f"'{name}' is used twice")
        names.add(name)
        kinds = [t.value for t in ParamType]
        if raw.get("type") not in kinds:
            self.fail(
                f"{where}.type", f"must be one of {', '.join(kinds)}, got {raw.get('type')!r}"
            )
            return None
        kind = ParamType(raw["type"])
        choices = raw.get("choices", [])
        if kind == ParamType.ENUM and (not isinstance(choices, list) or not choices):
            self.fail(f"{where}.choices", "an enum param needs a non-empty list of choices")
            choices = []
        minimum, maximum = raw.get("minimum"), raw.get("maximum")
        for key, bound in (("minimum", minimum), ("maximum", maximum)):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, (int, float))
            ):
                self.fail(f"{where}.{key}", "must be a number")
        if (
            isinstance(minimum, (int, float))
            and isinstance(maximum, (int, float))
            and minimum > maximum
        ):
            self.fail(f"{where}.minimum", f"{minimum} is greater than maximum {maximum}")
        nullable = bool(raw.get("nullable", False))
        if "default" not in raw:
            default: Any = ParamSpec.__dataclass_fields__["default"].default
        else:
            default = raw["default"]
            self.check_default(
                default, kind, [str(c) for c in choices], nullable, f"{where}.default"
            )
            if kind == ParamType.COLUMNS and isinstance(default, list):
                default = tuple(default)
        return ParamSpec(
            name,
            kind,
            default,
            label=str(raw.get("label", "")),
            description=str(raw.get("description", "")),
            minimum=minimum,
            maximum=maximum,
            choices=tuple(str(c) for c in choices),
            language=raw.get("language"),
            nullable=nullable,
        )

    def check_default(
        self, value: Any, kind: ParamType, choices: list[str], nullable: bool, where: str
    ) -> None:
        if value is None:
            if not nullable:
                self.fail(where, "is null but the param is not nullable")
            return
        types = _PYTHON_TYPES[kind]
        if not isinstance(value, types) or (kind != ParamType.BOOL and isinstance(value, bool)):
            self.fail(where, f"{value!r} is not a valid {kind.value} value")
        elif kind == ParamType.ENUM and value not in choices:
            self.fail(where, f"{value!r} is not one of the choices {choices}")

    def entry(self, raw: str) -> tuple[Path | None, str]:
        file_name, sep, function = raw.partition(":")
        if not sep or not file_name or not function.isidentifier():
            self.fail("entry_point", f"'{raw}' must look like 'file.py:function'")
            return None, ""
        file = (self.path.parent / file_name).resolve()
        if not file.is_file():
            self.fail("entry_point", f"file '{file_name}' does not exist beside the spec")
            return None, function
        try:
            tree = ast.parse(file.read_text(), str(file))
        except SyntaxError as exc:
            self.fail("entry_point", f"{file_name} line {exc.lineno}: {exc.msg}")
            return None, function
        if not any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body):
            self.fail("entry_point", f"{file_name} defines no top-level function '{function}'")
        return file, function


def read_spec(path: Path) -> tuple[ModuleSpec | None, list[str]]:
    """Read and validate one YAML spec file; return the spec (or None) and every problem found."""
    spec = _Spec(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        return None, [f"{path}: not valid YAML: {exc}"]
    if not isinstance(data, dict):
        return None, [f"{path}: expected a mapping of fields at the top level"]
    spec.unknown(data, TOP_FIELDS, "")
    name = spec.text(data, "name", "")
    if name and not NAME_RE.match(name):
        spec.fail("name", f"'{name}' must be dotted lowercase words, e.g. 'acme.add_constant'")
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        spec.fail("version", f"must be a positive integer, got {version!r}")
    file, function = spec.entry(spec.text(data, "entry_point", ""))
    ports: dict[str, list[PortSpec]] = {}
    for side in ("inputs", "outputs"):
        raw = data.get(side, [])
        if not isinstance(raw, list):
            spec.fail(side, "must be a list")
            raw = []
        names: set[str] = set()
        ports[side] = [p for i, r in enumerate(raw) if (p := spec.port(r, f"{side}[{i}]", names))]
    raw_params = data.get("params", [])
    if not isinstance(raw_params, list):
        spec.fail("params", "must be a list")
        raw_params = []
    param_names: set[str] = set()
    params = [
        q for i, r in enumerate(raw_params) if (q := spec.param(r, f"params[{i}]", param_names))
    ]
    requirements = data.get("requirements", [])
    if not isinstance(requirements, list) or not all(isinstance(r, str) for r in requirements):
        spec.fail("requirements", "must be a list of requirement strings")
        requirements = []
    for i, requirement in enumerate(requirements):
        if (problem := invalid_requirement(requirement)) is not None:
            spec.fail(
                f"requirements[{i}]", f"`{requirement}` is not a valid requirement: {problem}"
            )
    image = data.get("image")
    if image is not None and not isinstance(image, str):
        spec.fail("image", "must be a string")
    timeout = data.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        spec.fail("timeout", "must be a number of seconds above 0")
    if spec.problems or file is None:
        return None, spec.problems
    return (
        ModuleSpec(
            name=name,
            version=int(version),
            display_name=spec.text(data, "display_name", "", required=False) or name,
            category=spec.text(data, "category", "", required=False) or "Custom",
            description=" ".join(str(data.get("description", "")).split()),
            implementation=f"{module_name_for(file)}:{function}",
            inputs=tuple(ports["inputs"]),
            outputs=tuple(ports["outputs"]),
            params=tuple(params),
            environment=Environment(image=image, requirements=tuple(requirements)),
            deterministic=bool(data.get("deterministic", True)),
            source_files=(str(path.resolve()), str(file)),
            timeout=None if timeout is None else float(timeout),
        ),
        [],
    )


def spec_files(folders: Iterable[str | Path]) -> list[Path]:
    """Return every *.yaml / *.yml file under the folders, sorted."""
    found: list[Path] = []
    for folder in folders:
        root = Path(folder)
        if not root.is_dir():
            raise CustomModuleError([f"{root}: custom module folder does not exist"])
        found += [p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(found)


def discover(folders: Sequence[str | Path]) -> list[ModuleSpec]:
    """Read every spec file under the folders; raise CustomModuleError naming every problem."""
    specs, problems = [], []
    for path in spec_files(folders):
        spec, found = read_spec(path)
        problems += found
        if spec is not None:
            specs.append(spec)
    if problems:
        raise CustomModuleError(problems)
    return specs
