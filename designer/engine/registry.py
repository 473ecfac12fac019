"""Module specs (typed ports and params) and the explicit registry that holds them."""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from designer.engine.types import ParamType, PortType

REQUIRED: Any = object()  # sentinel default: the param has no default and must be set


@dataclass(frozen=True)
class PortSpec:
    """A typed input or output port of a module."""

    name: str
    type: PortType
    description: str = ""
    optional: bool = False  # inputs only: may be left unconnected


@dataclass(frozen=True)
class ParamSpec:
    """A typed parameter with its default and the values it accepts."""

    name: str
    type: ParamType
    default: Any = REQUIRED
    label: str = ""
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()  # for ENUM
    language: str | None = None  # for CODE: "python" or "sql"
    nullable: bool = False  # None is an accepted value (e.g. "no seed", "no stratify column")

    @property
    def required(self) -> bool:
        """Whether a node must set this param (it has no default)."""
        return self.default is REQUIRED

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form shown to the palette and inspector."""
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type.value,
            "label": self.label or self.name.replace("_", " ").capitalize(),
            "description": self.description,
            "required": self.required,
            "nullable": self.nullable,
        }
        if not self.required:
            data["default"] = self.default
        if self.minimum is not None:
            data["minimum"] = self.minimum
        if self.maximum is not None:
            data["maximum"] = self.maximum
        if self.choices:
            data["choices"] = list(self.choices)
        if self.language:
            data["language"] = self.language
        return data


@dataclass(frozen=True)
class Environment:
    """Where a step runs: the local worker pool, or a container image with extra requirements."""

    image: str | None = None
    requirements: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """A stable text naming this environment, for cache keys."""
        return f"image={self.image or 'local'};requirements={','.join(sorted(self.requirements))}"


@dataclass(frozen=True)
class ModuleSpec:
    """Everything the designer knows about one module version.

    `implementation` is an import path "package.module:function"; the function takes a
    StepContext and returns a mapping of output port name to value. It is imported only
    inside worker processes.
    """

    name: str
    version: int
    display_name: str
    category: str
    description: str
    implementation: str
    inputs: tuple[PortSpec, ...] = ()
    outputs: tuple[PortSpec, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    environment: Environment = Environment()
    # False: always runs (reads outside data); early cutoff still applies downstream
    deterministic: bool = True
    source_files: tuple[str, ...] = field(default=(), compare=False)  # digest these instead
    timeout: float | None = None  # seconds one attempt may take unless its node says otherwise

    @property
    def ref(self) -> str:
        """The "name@version" string a graph node uses."""
        return f"{self.name}@{self.version}"

    def input(self, name: str) -> PortSpec | None:
        """Return the input port with this name, or None."""
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> PortSpec | None:
        """Return the output port with this name, or None."""
        return next((p for p in self.outputs if p.name == name), None)

    def param(self, name: str) -> ParamSpec | None:
        """Return the param with this name, or None."""
        return next((p for p in self.params if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form served to the palette."""
        return {
            "ref": self.ref,
            "name": self.name,
            "version": self.version,
            "display_name": self.display_name,
            "category": self.category,
            "description": self.description,
            "inputs": [_port_dict(p) for p in self.inputs],
            "outputs": [_port_dict(p) for p in self.outputs],
            "params": [p.to_dict() for p in self.params],
            "environment": {
                "image": self.environment.image,
                "requirements": list(self.environment.requirements),
            },
            "deterministic": self.deterministic,
            "timeout": self.timeout,
        }


def _port_dict(p: PortSpec) -> dict[str, Any]:
    return {
        "name": p.name,
        "type": p.type.value,
        "description": p.description,
        "optional": p.optional,
    }


def split_ref(ref: str) -> tuple[str, int | None]:
    """Split "name@3" into ("name", 3); a ref without a valid version gives (ref, None)."""
    name, sep, version = ref.rpartition("@")
    if not sep or not version.isdigit():
        return ref, None
    return name, int(version)


def load_implementation(path: str) -> Callable[..., Any]:
    """Import "package.module:function" and return the function."""
    module_name, _, attr = path.partition(":")
    func: Callable[..., Any] = getattr(importlib.import_module(module_name), attr)
    return func


def _implementation_files(spec: ModuleSpec) -> list[Path]:
    if spec.source_files:
        return [Path(p) for p in spec.source_files]
    module_name = spec.implementation.partition(":")[0]
    module = importlib.import_module(module_name)
    source = inspect.getsourcefile(module)
    return [Path(source)] if source else []


class Registry:
    """An explicit collection of module specs, passed to whatever needs it (never a global)."""

    def __init__(self, specs: Iterable[ModuleSpec] = ()):
        self._specs: dict[str, ModuleSpec] = {}
        self._digests: dict[str, str] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: ModuleSpec) -> None:
        """Add a spec; registering the same name@version twice is an error."""
        if spec.ref in self._specs:
            raise ValueError(f"module {spec.ref} is registered twice")
        self._specs[spec.ref] = spec

    def get(self, ref: str) -> ModuleSpec | None:
        """Return the spec for "name@version", or None."""
        return self._specs.get(ref)

    def versions(self, name: str) -> list[int]:
        """Return the registered versions of a module name, lowest first."""
        return sorted(s.version for s in self._specs.values() if s.name == name)

    def latest(self, name: str) -> ModuleSpec | None:
        """Return the highest registered version of a module name, or None."""
        versions = self.versions(name)
        return self._specs[f"{name}@{versions[-1]}"] if versions else None

    def __iter__(self) -> Iterator[ModuleSpec]:
        return iter(
            sorted(self._specs.values(), key=lambda s: (s.category, s.display_name, s.version))
        )

    def __len__(self) -> int:
        return len(self._specs)

    def implementation_digest(self, ref: str) -> str:
        """Return a digest of the implementation's source (editing the code invalidates caches)."""
        if ref not in self._digests:
            spec = self._specs[ref]
            h = hashlib.sha256(spec.implementation.encode())
            for path in _implementation_files(spec):
                h.update(path.read_bytes())
            self._digests[ref] = h.hexdigest()
        return self._digests[ref]
