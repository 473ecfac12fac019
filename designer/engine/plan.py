"""The execution plan: immutable steps in topological order, with an exact JSON round trip.

A plan is what the compiler produces and what executors (local loop, Celery coordinator) run.
It is plain data: `Plan.from_dict(plan.to_dict()) == plan`, and the dict is JSON-ready.

Step modes:

- ``auto``: reuse a cached result when the fingerprint matches, else run;
- ``run``: always run (the node picked by "run from here" and everything downstream of it,
  or the node picked by "run only this node").

The steps a subset needs upstream are ``auto``: reused when cached, run when not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

from designer.engine.hashing import canonical_json, json_text
from designer.engine.schema import closed_object
from designer.engine.types import PortType

PLAN_VERSION = 1
StepMode = Literal["auto", "run"]
STEP_MODES: tuple[str, ...] = ("auto", "run")


class PlanError(ValueError):
    """A plan document or subset request that does not make sense."""


@dataclass(frozen=True)
class InputWire:
    """An input port of a step and where its value comes from (None: optional, unconnected)."""

    port: str
    type: PortType
    source_step: str | None = None
    source_port: str | None = None


@dataclass(frozen=True)
class OutputPort:
    """An output port of a step."""

    port: str
    type: PortType


@dataclass(frozen=True)
class Step:
    """One node of the graph, ready to execute: everything a worker needs, as plain data.

    `params_json` is the canonical JSON of the resolved params (pipeline parameters substituted,
    defaults filled in); `params` decodes a fresh copy, so a plan cannot be changed through it.
    """

    key: str
    module: str  # "name@version"
    implementation: str  # "package.module:function"
    implementation_digest: str
    params_json: str
    inputs: tuple[InputWire, ...] = ()
    outputs: tuple[OutputPort, ...] = ()
    dependencies: tuple[str, ...] = ()
    environment_image: str | None = None
    environment_image_id: str | None = None  # what the image resolved to for this run (pinned)
    environment_requirements: tuple[str, ...] = ()
    deterministic: bool = True
    mode: StepMode = "auto"
    timeout: float | None = None  # seconds per attempt: the node's, else its module's default
    retries: int | None = None  # the node's retries of a failed attempt (None: the run's)
    label: str = ""  # the node's name as people see it (in no fingerprint)

    @property
    def params(self) -> dict[str, Any]:
        """The resolved params (a fresh copy)."""
        value: dict[str, Any] = json.loads(self.params_json)
        return value

    @property
    def environment_fingerprint(self) -> str:
        """A stable text naming the environment (same form as registry.Environment)."""
        reqs = ",".join(sorted(self.environment_requirements))
        image = self.environment_image or "local"
        if self.environment_image_id:
            image += f"@{self.environment_image_id}"
        return f"image={image};requirements={reqs}"

    @cached_property
    def material_parts(self) -> tuple[str, str, str, str]:
        """The canonical JSON of the step's own part of its fingerprint material: its module,
        implementation digest, environment and params, encoded once (cache.keyed builds its
        fingerprint and material texts around them)."""
        own = (self.module, self.implementation_digest, self.environment_fingerprint)
        module, implementation, environment = map(json_text, own)  # texts: JSON strings
        return module, implementation, environment, json_text(self.params_json)

    def output(self, port: str) -> OutputPort | None:
        """Return the output port with this name, or None."""
        return next((o for o in self.outputs if o.port == port), None)

    def _identity(self) -> dict[str, Any]:
        """What names the step and its code: key, module, implementation (and its digest),
        environment (its image, the image's id once built, and requirements)."""
        return {
            "key": self.key,
            "module": self.module,
            "implementation": self.implementation,
            "implementation_digest": self.implementation_digest,
            "environment": {
                "image": self.environment_image,
                "requirements": list(self.environment_requirements),
                **({"image_id": self.environment_image_id} if self.environment_image_id else {}),
            },
        }

    def _outputs(self) -> list[dict[str, str]]:
        return [{"port": o.port, "type": o.type.value} for o in self.outputs]

    def task_form(self) -> dict[str, Any]:
        """What a worker reads of the step (worker.make_task), and a runner choosing its image:
        no wiring, and the params as their JSON text, decoded where the step runs."""
        return {
            **self._identity(),
            "params_json": self.params_json,
            "outputs": self._outputs(),
            "label": self.label,
            "deterministic": self.deterministic,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form."""
        return {
            **self._identity(),
            "deterministic": self.deterministic,
            "mode": self.mode,
            "params": json.loads(self.params_json),
            "dependencies": list(self.dependencies),
            "inputs": [
                {
                    "port": w.port,
                    "type": w.type.value,
                    "from": None
                    if w.source_step is None
                    else {"step": w.source_step, "port": w.source_port},
                }
                for w in self.inputs
            ],
            "outputs": self._outputs(),
            **({"timeout": self.timeout} if self.timeout is not None else {}),
            **({"retries": self.retries} if self.retries is not None else {}),
            **({"label": self.label} if self.label else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        """Rebuild a step from `to_dict()` output; raises PlanError on malformed data."""
        try:
            env = data["environment"]
            mode = data["mode"]
            if mode not in STEP_MODES:
                raise PlanError(f"step {data['key']!r}: unknown mode {mode!r}")
            inputs = []
            for w in data["inputs"]:
                src = w["from"]
                inputs.append(
                    InputWire(
                        port=w["port"],
                        type=PortType(w["type"]),
                        source_step=None if src is None else src["step"],
                        source_port=None if src is None else src["port"],
                    )
                )
            return cls(
                key=data["key"],
                module=data["module"],
                implementation=data["implementation"],
                implementation_digest=data["implementation_digest"],
                params_json=canonical_json(data["params"]),
                inputs=tuple(inputs),
                outputs=tuple(OutputPort(o["port"], PortType(o["type"])) for o in data["outputs"]),
                dependencies=tuple(data["dependencies"]),
                environment_image=env["image"],
                environment_image_id=env.get("image_id"),
                environment_requirements=tuple(env["requirements"]),
                deterministic=bool(data["deterministic"]),
                mode=mode,
                timeout=None if data.get("timeout") is None else float(data["timeout"]),
                retries=None if data.get("retries") is None else int(data["retries"]),
                label=str(data.get("label") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, PlanError):
                raise
            raise PlanError(f"malformed plan step: {exc!r}") from exc


@dataclass(frozen=True)
class Plan:
    """Steps in topological order, the pipeline parameter values used, and what was asked for.

    `target` is ("all", None), ("from", node) or ("only", node).
    """

    steps: tuple[Step, ...]
    parameters_json: str = "{}"
    target: tuple[str, str | None] = ("all", None)
    _index: dict[str, Step] = field(default_factory=dict, init=False, repr=False, compare=False)
    _order: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Step] = {}
        for step in self.steps:
            if step.key in index:
                raise PlanError(f"step key {step.key!r} appears twice")
            for dep in step.dependencies:
                if dep not in index:
                    raise PlanError(
                        f"step {step.key!r} depends on {dep!r}, which does not come first"
                    )
            index[step.key] = step
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_order", tuple(index))

    @property
    def order(self) -> tuple[str, ...]:
        """Step keys in topological order (made once: the plan never changes)."""
        return self._order

    @property
    def parameters(self) -> dict[str, Any]:
        """The pipeline parameter values the params were resolved with (a fresh copy)."""
        value: dict[str, Any] = json.loads(self.parameters_json)
        return value

    def step(self, key: str) -> Step:
        """Return the step with this key (KeyError if none)."""
        return self._index[key]

    def position(self, step: Step) -> int:
        """The index of a step in the topological order."""
        return self._positions[step.key]

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {s.key: i for i, s in enumerate(self.steps)}

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __len__(self) -> int:
        return len(self.steps)

    @cached_property
    def dependents(self) -> dict[str, tuple[str, ...]]:
        """Step key -> keys of the steps that consume its outputs, in plan order."""
        out: dict[str, list[str]] = {s.key: [] for s in self.steps}
        for s in self.steps:
            for dep in s.dependencies:
                out[dep].append(s.key)
        return {k: tuple(v) for k, v in out.items()}

    def downstream(self, key: str) -> list[str]:
        """Keys of every step that (transitively) depends on `key`, in plan order."""
        found: set[str] = set()
        frontier = [key]
        while frontier:
            for nxt in self.dependents[frontier.pop()]:
                if nxt not in found:
                    found.add(nxt)
                    frontier.append(nxt)
        return [s.key for s in self.steps if s.key in found]

    def upstream(self, key: str) -> list[str]:
        """Keys of every step that `key` (transitively) depends on, in plan order."""
        found: set[str] = set()
        frontier = [key]
        while frontier:
            for dep in self._index[frontier.pop()].dependencies:
                if dep not in found:
                    found.add(dep)
                    frontier.append(dep)
        return [s.key for s in self.steps if s.key in found]

    def run_from(self, key: str) -> Plan:
        """The "run from this node" plan: `key` and everything downstream run; the rest is auto.

        Upstream steps are reused from the cache when their fingerprint matches (and run
        otherwise, since their outputs are needed); unrelated branches are left out.
        """
        self._require(key)
        forced = {key, *self.downstream(key)}
        needed = set(forced)
        for k in forced:
            needed.update(self.upstream(k))
        steps = tuple(
            replace(s, mode="run" if s.key in forced else "auto")
            for s in self.steps
            if s.key in needed
        )
        return Plan(steps, self.parameters_json, ("from", key))

    def run_only(self, key: str) -> Plan:
        """The "run only this node" plan: `key` runs; what it needs upstream is reused from the
        cache, or runs when it was never computed (or changed since)."""
        self._require(key)
        needed = {key, *self.upstream(key)}
        steps = tuple(
            replace(s, mode="run" if s.key == key else "auto")
            for s in self.steps
            if s.key in needed
        )
        return Plan(steps, self.parameters_json, ("only", key))

    def _require(self, key: str) -> None:
        if key not in self._index:
            raise PlanError(f"there is no node `{key}` in this pipeline")

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form (`Plan.from_dict` inverts it exactly)."""
        mode, node = self.target
        return {
            "plan_version": PLAN_VERSION,
            "target": {"mode": mode, "node": node},
            "parameters": json.loads(self.parameters_json),
            "order": list(self.order),
            "steps": [s.to_dict() for s in self.steps],
        }

    def to_json(self) -> str:
        """Canonical JSON text of the plan."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from `to_dict()` output; raises PlanError on malformed data."""
        try:
            if data["plan_version"] != PLAN_VERSION:
                raise PlanError(f"plan_version {data['plan_version']!r} is not supported")
            steps = tuple(Step.from_dict(s) for s in data["steps"])
            target = data["target"]
            if target["mode"] not in ("all", "from", "only"):
                raise PlanError(f"unknown plan target {target['mode']!r}")
            plan = cls(steps, canonical_json(data["parameters"]), (target["mode"], target["node"]))
            if list(data["order"]) != list(plan.order):
                raise PlanError("plan order does not match its steps")
            return plan
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, PlanError):
                raise
            raise PlanError(f"malformed plan: {exc!r}") from exc

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parse plan JSON text."""
        return cls.from_dict(json.loads(text))


def topological_order(keys: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """Kahn's algorithm; ties broken by the order of `keys`. Raises PlanError on a cycle."""
    import heapq

    keys = list(keys)
    rank = {k: i for i, k in enumerate(keys)}
    indegree = dict.fromkeys(keys, 0)
    succ: dict[str, set[str]] = {k: set() for k in keys}
    for a, b in edges:
        if b not in succ[a]:
            succ[a].add(b)
            indegree[b] += 1
    heap = [rank[k] for k in keys if indegree[k] == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        key = keys[heapq.heappop(heap)]
        order.append(key)
        for nxt in succ[key]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(heap, rank[nxt])
    if len(order) != len(keys):
        raise PlanError("the graph has a cycle")
    return order


def plan_schemas(ref: str = "#/components/schemas/") -> dict[str, dict[str, Any]]:
    """The JSON form of a plan (`Plan.to_dict`) as OpenAPI 3.0 schema objects, referring to
    the graph document's `ParamValue` (and to each other) as `ref` + name."""

    def obj(props: dict[str, Any], optional: tuple[str, ...], description: str) -> dict[str, Any]:
        return closed_object(props, [name for name in props if name not in optional], description)

    text = {"type": "string"}
    texts = {"type": "array", "items": text}
    port_type = {"type": "string", "enum": [t.value for t in PortType]}
    scalar = [{"type": "string", "nullable": True}, {"type": "number"}, {"type": "boolean"}]
    wire_from = {
        "oneOf": [
            obj({"step": text, "port": text}, (), "The step and output port it reads."),
            {"enum": [None]},
        ],
        "description": "Null: the input is not wired.",
    }
    return {
        "CompiledPlan": obj(
            {
                "plan_version": {"type": "integer", "enum": [PLAN_VERSION]},
                "target": obj(
                    {
                        "mode": {"type": "string", "enum": ["all", "from", "only"]},
                        "node": {**text, "nullable": True},
                    },
                    (),
                    "What runs: everything, from a node on, or only a node.",
                ),
                "parameters": {"type": "object", "additionalProperties": {"oneOf": scalar}},
                "order": texts,
                "steps": {"type": "array", "items": {"$ref": ref + "CompiledStep"}},
            },
            (),
            "The engine's execution plan: the steps in order, with resolved params.",
        ),
        "CompiledStep": obj(
            {
                "key": text,
                "module": text,
                "implementation": {**text, "description": "package.module:function"},
                "implementation_digest": text,
                "environment": obj(
                    {"image": {**text, "nullable": True}, "requirements": texts, "image_id": text},
                    ("image_id",),
                    "Where the step runs.",
                ),
                "deterministic": {"type": "boolean"},
                "mode": {"type": "string", "enum": list(STEP_MODES)},
                "params": {"type": "object", "additionalProperties": {"$ref": ref + "ParamValue"}},
                "dependencies": texts,
                "inputs": {
                    "type": "array",
                    "items": obj(
                        {"port": text, "type": port_type, "from": wire_from}, (), "An input port."
                    ),
                },
                "outputs": {
                    "type": "array",
                    "items": obj({"port": text, "type": port_type}, (), "An output port."),
                },
                "timeout": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
                "retries": {"type": "integer", "minimum": 0},
                "label": text,
            },
            ("timeout", "retries", "label"),
            "One step of a compiled plan: its module, params (pipeline parameters resolved), "
            "wiring and limits.",
        ),
    }
