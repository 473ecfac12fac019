"""Compile an inference graph into an in-memory scorer, once: JSON rows in, scored rows out.

`build_scorer(document, registry, artifacts)` loads the frozen models and transforms, computes
the training rows that reach the Web service input (its batch side) to fix the input schema,
and scores them through the graph path (every node's module called in process: the reference,
the same code as a run). It then tries the fused kernel with scikit-learn (kept only when
bit-identical to the graph path on those rows) and with ONNX (kept only when within the
portable module's tolerance), and keeps the fastest that passed, saying why the others did not.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.compile import CompileError, compile_graph
from designer.engine.context import StepError
from designer.engine.plan import Plan
from designer.engine.registry import Registry
from designer.engine.schema import GraphFormatError, parse_graph
from designer.modules import hashing, math_ops, text_cleaning
from designer.modules.models import TrainedModel
from designer.modules.portable import ABS_TOLERANCE, REL_TOLERANCE, NotPortable, OnnxPredictor
from designer.modules.portable import to_onnx as onnx_of
from designer.modules.schemas import ANOMALY_SCORE, SCORED_LABELS, SCORED_PROBABILITIES
from designer.modules.specs.frozen import FROZEN_KINDS
from designer.modules.specs.output import WEB_SERVICE_INPUT as WEB_INPUT
from designer.modules.specs.output import WEB_SERVICE_OUTPUT as WEB_OUTPUT
from designer.serving.graph import Artifacts, NoArtifacts, Node, NodeError, evaluate
from designer.serving.kernel import Keep, Kernel, NotFusable, Replay, as_arrays
from designer.serving.schema import (
    ExtraColumns,
    InputError,
    RowSchema,
    check_rows,
    request_rows,
    to_frame,
)

CONSTANT = (*FROZEN_KINDS, "data.enter_data")
# modules that run user code: called through their own entry, which runs it in the sandbox
SANDBOXED = ("script.python", "transform.sql")
SERVABLE = (
    *SANDBOXED,
    "transform.select_columns",
    "transform.edit_metadata",
    "transform.clean_missing",
    "transform.normalize",
    "transform.apply_transform",
    "transform.remove_duplicates",
    "transform.filter_rows",
    "transform.join",
    "transform.add_rows",
    "transform.add_columns",
    "transform.one_hot",
    "transform.math",
    "transform.preprocess_text",
    "transform.feature_hashing",
    "ml.score_model",
    "ml.assign_clusters",
    "ml.score_svd_recommender",
    WEB_OUTPUT,
)
# steps fitted on nothing: resolved against the training rows, then replayed in the kernel
STATELESS_MODULES = {
    "transform.math": math_ops.resolve,
    "transform.preprocess_text": text_cleaning.resolve,
    "transform.feature_hashing": hashing.resolve,
}
CHECK_ROWS = 5000  # training rows the runtimes are checked on
EXAMPLE_ROWS = 3
MAX_ROWS = 1000  # rows per call
log = logging.getLogger(__name__)


class BuildError(Exception):
    """The graph cannot be served; `issues` name the nodes (and what to change)."""

    def __init__(self, message: str, issues: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.issues = issues or []


@dataclass
class Scorer:
    """A compiled inference graph: validates rows, scores them, reports how."""

    schema: RowSchema  # the request rows' columns
    nodes: list[Node]  # the graph path: nodes downstream of the Web service input, in order
    constants: dict[tuple[str, str], Any]  # frozen values and other constant outputs
    web_input: str
    web_output: str
    kernel: Kernel | None
    runtime_reason: str
    sandboxed: list[str]
    examples: list[dict[str, Any]]
    checked_rows: int
    output_schema: RowSchema = field(default_factory=lambda: RowSchema(()))
    max_difference: float | None = None
    max_rows: int = MAX_ROWS
    dtypes: dict[str, str] = field(default_factory=dict)
    profile: dict[str, dict[str, float]] = field(default_factory=dict)  # numeric inputs: mean, std

    @property
    def runtime(self) -> str:
        """ "onnx", "sklearn" (the fused kernel) or "graph" (module by module)."""
        return self.kernel.runtime if self.kernel is not None else "graph"

    def info(self) -> dict[str, Any]:
        """What the endpoint page and the API show about this scorer."""
        return {
            "runtime": self.runtime,
            "runtime_reason": self.runtime_reason,
            "max_difference": self.max_difference,
            "onnx_model": self.kernel is not None
            and self.kernel.onnx is not None
            and not self.kernel.replayed,
            "tolerance": {"absolute": ABS_TOLERANCE, "relative": REL_TOLERANCE},
            "checked_rows": self.checked_rows,
            "sandboxed_steps": self.sandboxed,
            "latency_note": (
                f"steps {', '.join(self.sandboxed)} run user code in the sandbox on every "
                "call, which adds the sandbox's start-up time (tens to hundreds of "
                "milliseconds) to each call"
                if self.sandboxed
                else ""
            ),
            "input_schema": self.schema.to_dict(),
            "output_schema": self.output_schema.to_dict(),
            "max_rows": self.max_rows,
            "examples": self.examples,
            "input_profile": self.profile,
        }

    def score_body(self, body: Any, extra_columns: ExtraColumns = "ignore") -> list[dict[str, Any]]:
        """Score a decoded JSON request body; InputError (4xx) for anything wrong with it."""
        rows = request_rows(body, self.max_rows)
        return self.score(rows, extra_columns)

    def score(
        self, rows: Sequence[Mapping[str, Any]], extra_columns: ExtraColumns = "ignore"
    ) -> list[dict[str, Any]]:
        """Scored rows (the Web service output's columns) for request rows; columns the
        schema does not name are ignored or refused (422) as `extra_columns` says."""
        columns = check_rows(rows, self.schema, extra_columns)
        if self.kernel is not None:
            try:
                scored = self.kernel.score(as_arrays(columns, self.dtypes))
            except Exception:  # the graph path is the reference: it scores or names the step
                log.warning("the fused kernel failed; scoring through the graph", exc_info=True)
                scored = None
            if scored is not None:
                return _records(scored)
        return _frame_records(self.run_graph(to_frame(columns, self.schema)))

    def run_graph(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The Web service output table for a request table, module by module."""
        values = dict(self.constants)
        values[(self.web_input, "dataset")] = frame
        try:
            out = evaluate(self.nodes, values, NoArtifacts())
        except NodeError as exc:
            raise InputError(
                422,
                "scoring_failed",
                f"The rows cannot be scored: {exc}",
                [{"node": exc.node, "code": "step_failed", "message": str(exc)}],
            ) from exc
        except Exception as exc:  # a module's own error on these rows: name it, never a 500
            log.warning("scoring through the graph failed", exc_info=True)
            raise InputError(
                422, "scoring_failed", f"The rows cannot be scored: {type(exc).__name__}: {exc}"
            ) from exc
        result: pd.DataFrame = out[(self.web_output, "dataset")]
        return result


def _json_value(value: Any) -> Any:
    if (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value


def _records(columns: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    names = list(columns)
    lists = [columns[n].tolist() for n in names]
    return [
        {n: _json_value(v) for n, v in zip(names, values, strict=True)}
        for values in zip(*lists, strict=True)
    ]


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return _records({str(c): frame[c].to_numpy(dtype=object) for c in frame.columns})


def build_scorer(
    document: Mapping[str, Any],
    registry: Registry,
    artifacts: Artifacts,
    *,
    onnx: bool = True,
    max_rows: int = MAX_ROWS,
) -> Scorer:
    """Compile an inference graph (see the module docstring); BuildError naming nodes."""
    try:
        plan = compile_graph(parse_graph(document), registry)
    except (CompileError, GraphFormatError) as exc:
        raise BuildError(
            f"The inference graph cannot run: {exc}", [i.to_dict() for i in exc.issues]
        ) from exc
    steps = {step.key: step for step in plan.steps}
    web_input = _only(plan, WEB_INPUT)
    web_output = _only(plan, WEB_OUTPUT)
    upstream = set(plan.upstream(web_input))
    downstream = set(plan.downstream(web_input))
    batch, constants, served, problems = [], [], [], []
    for step in plan.steps:  # topological order
        name = step.module.rpartition("@")[0]
        node = Node(
            step.key,
            step.module,
            step.implementation,
            step.params,
            {
                w.port: None if w.source_step is None else (w.source_step, str(w.source_port))
                for w in step.inputs
            },
        )
        if step.key in upstream:
            batch.append(node)
        elif step.key == web_input:
            continue
        elif step.key in downstream and name in SERVABLE:
            served.append(node)
        elif step.key not in downstream and name in CONSTANT:
            constants.append(node)
        else:
            where = "is neither on the path from the Web service input nor a frozen input"
            problems.append(
                {
                    "node": step.key,
                    "code": "not_servable",
                    "message": f"node {step.key}: {name} "
                    + (where if step.key not in downstream else "cannot run in an endpoint"),
                }
            )
    if web_output not in downstream:
        problems.append(
            {
                "node": web_output,
                "code": "not_servable",
                "message": "the Web service output does not follow the Web service input",
            }
        )
    if problems:
        raise BuildError(problems[0]["message"], problems)
    source = next(w for w in steps[web_input].inputs if w.port == "dataset")
    if source.source_step is None:
        raise BuildError(
            "the Web service input has no batch input: connect the training rows (a frozen "
            "table) to it so that the input schema can be taken from them",
            [{"node": web_input, "port": "dataset", "code": "unconnected", "message": ""}],
        )
    try:
        values = evaluate(constants + batch, {}, artifacts)
    except NodeError as exc:
        raise BuildError(
            str(exc), [{"node": exc.node, "code": "build_failed", "message": str(exc)}]
        ) from exc
    rows: pd.DataFrame = values[(source.source_step, str(source.source_port))]
    rows = rows.reset_index(drop=True)
    schema = RowSchema.from_frame(rows)
    constant_ids = {n.id for n in constants}
    scorer = Scorer(
        schema=schema,
        nodes=served,
        constants={k: v for k, v in values.items() if k[0] in constant_ids},
        web_input=web_input,
        web_output=web_output,
        kernel=None,
        runtime_reason="",
        sandboxed=[n.id for n in served if n.name in SANDBOXED],
        examples=_frame_records(rows.head(EXAMPLE_ROWS)),
        checked_rows=min(len(rows), CHECK_ROWS),
        max_rows=max_rows,
        dtypes={c.name: c.dtype for c in schema.columns},
        profile=input_profile(rows, schema),
    )
    sample = rows.head(CHECK_ROWS)
    try:
        reference = scorer.run_graph(sample)
    except InputError as exc:
        raise BuildError(f"the training rows cannot be scored: {exc}", exc.issues) from exc
    scorer.output_schema = RowSchema.from_frame(reference)
    _choose_runtime(scorer, sample, reference, onnx)
    return scorer


def input_profile(rows: pd.DataFrame, schema: RowSchema) -> dict[str, dict[str, float]]:
    """Mean and standard deviation of each numeric input column over the training rows (the
    reference monitoring compares live inputs with; columns without finite figures left out)."""
    profile = {}
    for column in schema.columns:
        if column.type in ("number", "integer"):
            values = pd.to_numeric(rows[column.name], errors="coerce").astype("float64")
            mean, std = float(values.mean()), float(values.std(ddof=0))
            if math.isfinite(mean) and math.isfinite(std):
                profile[column.name] = {"mean": mean, "std": std}
    return profile


def _choose_runtime(
    scorer: Scorer, sample: pd.DataFrame, reference: pd.DataFrame, onnx: bool
) -> None:
    """Set the scorer's kernel (ONNX, else scikit-learn) when it passes its check on `sample`."""
    if scorer.sandboxed:
        scorer.runtime_reason = "graph: steps run user code in the sandbox: " + ", ".join(
            scorer.sandboxed
        )
        return
    try:
        kernel = _kernel(scorer, sample, reference)
    except NotFusable as exc:
        scorer.runtime_reason = f"graph: {exc}"
        return
    columns = as_arrays({c: sample[c].tolist() for c in sample.columns}, scorer.dtypes)
    got = kernel.score(columns)
    if got is None or not _identical(reference, got):
        scorer.runtime_reason = "graph: the fused scikit-learn path differs from the graph path"
        return
    scorer.kernel = kernel
    scorer.runtime_reason = "sklearn: ONNX export is off"
    if not onnx:
        return
    features = kernel.features(columns)
    assert features is not None
    try:
        model = onnx_of(kernel.trained, pd.DataFrame(features))
    except NotPortable as exc:
        scorer.runtime_reason = f"sklearn: no ONNX conversion passed its check ({exc})"
        return
    fused = Kernel(
        kernel.before, kernel.trained, kernel.response, kernel.nullable, OnnxPredictor(model)
    )
    got = fused.score(columns)
    difference = None if got is None else _within_tolerance(reference, got)
    if difference is None:
        scorer.runtime_reason = "sklearn: the ONNX scores differ beyond tolerance after the steps"
        return
    scorer.kernel = fused
    scorer.max_difference = difference
    scorer.runtime_reason = (
        f"onnx: {model.float_type} inputs, largest difference from scikit-learn "
        f"{difference:.3g} on {len(sample)} training rows"
    )


def _kernel(scorer: Scorer, sample: pd.DataFrame, reference: pd.DataFrame) -> Kernel:
    """The kernel form of the served nodes, or NotFusable naming the step that has none."""
    before: list[Keep | Replay] = []
    trained: TrainedModel | None = None
    values: dict[tuple[str, str], Any] = dict(scorer.constants)
    values[(scorer.web_input, "dataset")] = sample
    above = (scorer.web_input, "dataset")
    for node in scorer.nodes:
        if node.name == WEB_OUTPUT:
            continue
        if node.inputs.get("dataset") != above:
            raise NotFusable(f"step {node.id} does not read the previous step's rows")
        if node.name == "transform.select_columns":
            out = evaluate([node], dict(values), NoArtifacts())[(node.id, "dataset")]
            if trained is None:
                before.append(Keep([str(c) for c in out.columns]))
            values[(node.id, "dataset")] = out
        elif node.name == "transform.apply_transform" and trained is None:
            fitted = values.get(node.inputs["transform"] or ("", ""))
            before.append(Replay.of(fitted))
            values.update(evaluate([node], dict(values), NoArtifacts()))
        elif node.name in STATELESS_MODULES and trained is None:
            try:
                before.append(Replay.of(STATELESS_MODULES[node.name](node.params, values[above])))
            except StepError as exc:  # the training rows cannot take it: the graph path says so
                raise NotFusable(f"step {node.id}: {exc}") from exc
            values.update(evaluate([node], dict(values), NoArtifacts()))
        elif node.name == "ml.score_model" and trained is None:
            model = values.get(node.inputs["model"] or ("", ""))
            if not isinstance(model, TrainedModel):
                raise NotFusable(f"step {node.id} scores with a model computed per call")
            trained = model
            values.update(evaluate([node], dict(values), NoArtifacts()))
        else:
            raise NotFusable(f"step {node.id} ({node.name}) has no fused form")
        above = (node.id, "dataset")
    if trained is None:
        raise NotFusable("the graph has no Score model step")
    response = [str(c) for c in reference.columns]
    if not response:
        raise NotFusable("the response has no columns")
    scored = {SCORED_LABELS, ANOMALY_SCORE}
    scored |= {c for c in response if c.startswith(SCORED_PROBABILITIES)}
    if not set(response) <= scored:
        raise NotFusable(
            "the response returns columns other than the scores: "
            + ", ".join(c for c in response if c not in scored)[:200]
        )
    nullable = frozenset(c.name for c in scorer.schema.columns if c.nullable)
    return Kernel(before, trained, response, nullable)


def _identical(reference: pd.DataFrame, got: Mapping[str, np.ndarray]) -> bool:
    return list(reference.columns) == list(got) and all(
        np.array_equal(reference[c].to_numpy(), got[c]) for c in got
    )


def _within_tolerance(reference: pd.DataFrame, got: Mapping[str, np.ndarray]) -> float | None:
    """The largest difference of the numeric scores, or None when beyond tolerance (or labels
    differ)."""
    largest = 0.0
    for column, values in got.items():
        expected = reference[column].to_numpy()
        if column == SCORED_LABELS and expected.dtype.kind not in "f":
            if expected.tolist() != values.tolist():
                return None
            continue
        expected = expected.astype("float64")
        difference = np.abs(values.astype("float64") - expected)
        if np.any(difference > ABS_TOLERANCE + REL_TOLERANCE * np.abs(expected)):
            return None
        largest = max(largest, float(difference.max(initial=0.0)))
    return largest


def _only(plan: Plan, module: str) -> str:
    found = [s.key for s in plan.steps if s.module.rpartition("@")[0] == module]
    if len(found) != 1:
        title = "Web service input" if module == WEB_INPUT else "Web service output"
        role = "callers' rows come in" if module == WEB_INPUT else "the scored rows go out"
        raise BuildError(
            f"A real-time endpoint needs exactly one {title}, where {role}; this graph has "
            f"{len(found)}. To make one from a pipeline, open a run that trained its model and "
            "press “Create inference graph”, then publish that graph.",
            [{"node": n, "code": "web_service", "message": title} for n in found],
        )
    return found[0]
