"""Command line: validate, compile and run graph files with the engine (no web server needed).

    python -m designer.engine run GRAPH.json [--param k=v] [--no-cache] [--from NODE]
                                 [--only NODE] [--store DIR] [--registry pkg.mod:function]
    python -m designer.engine validate GRAPH.json [--param k=v]
    python -m designer.engine plan GRAPH.json [--param k=v] [--from NODE | --only NODE]

This is the composition root: the engine never imports the module library; the CLI gets the
built-in registry from designer.modules (or the one `--registry` names) and hands it over.
Exit status: 0 succeeded, 1 a step failed, 2 the graph or the command line is invalid,
130 canceled (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from designer.engine import params as P
from designer.engine.cache import Cache, FileCache, NullCache
from designer.engine.compile import CompileError, compile_graph
from designer.engine.events import Event, EventType
from designer.engine.issues import Issue
from designer.engine.plan import Plan
from designer.engine.registry import Registry
from designer.engine.schema import Graph, GraphFormatError, loads, parse_graph
from designer.engine.validate import validate

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_CANCELED = 0, 1, 2, 130


class UsageError(Exception):
    """A problem with the command line or its files (exit status 2)."""


def default_store() -> Path:
    """`$DESIGNER_DATA_DIR/engine`, or ./var/engine."""
    return Path(os.environ.get("DESIGNER_DATA_DIR", "var")) / "engine"


def module_paths() -> list[str]:
    """The custom module folders DESIGNER_MODULE_PATHS names (comma-separated)."""
    return [p for p in os.environ.get("DESIGNER_MODULE_PATHS", "").split(",") if p]


def load_registry(spec: str | None) -> Registry:
    """The registry named "package.module:function", or the built-in module library."""
    import importlib

    if spec:
        module_name, _, attr = spec.partition(":")
        if not attr:
            raise UsageError(f"--registry must look like package.module:function, got {spec!r}")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
            registry = factory()
        except Exception as exc:
            raise UsageError(f"cannot load registry {spec!r}: {exc}") from exc
    else:
        try:
            modules = importlib.import_module("designer.modules")
        except ImportError as exc:
            raise UsageError(
                f"the built-in module library is not available ({exc}); use --registry"
            ) from exc
        try:
            if hasattr(modules, "load_registry"):
                registry = modules.load_registry(module_paths())
            else:
                registry = modules.builtin_registry()
        except ValueError as exc:  # CustomModuleError: "file: field: message" per problem
            raise UsageError(str(exc)) from exc
        except Exception as exc:
            raise UsageError(f"cannot load the module library: {exc}") from exc
    if not isinstance(registry, Registry):
        raise UsageError(f"the registry factory returned {type(registry).__name__}, not a Registry")
    return registry


def read_graph(path: str) -> Graph:
    """Parse a graph file strictly: a document, or a server export {name, description, document}."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return loads(text)  # its error names the problem
    if isinstance(data, dict) and isinstance(data.get("document"), dict):
        data = data["document"]
    return parse_graph(data)


def parse_params(graph: Graph, pairs: Sequence[str]) -> tuple[dict[str, Any], list[Issue]]:
    """Turn ["k=v", …] into typed pipeline parameter values, by each parameter's declared type."""
    values: dict[str, Any] = {}
    issues: list[Issue] = []
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param must look like name=value, got {pair!r}")
        decl = graph.parameters.get(name)
        if decl is None:
            values[name] = text  # validation names the unknown parameter
            continue
        try:
            values[name] = P.parse_text(decl.type, text)
        except ValueError as exc:
            issues.append(
                Issue(
                    "pipeline_parameter_wrong_type",
                    f"value of pipeline parameter `{name}` ({decl.type}): {exc}",
                    param=name,
                )
            )
    return values, issues


def print_issues(issues: Sequence[Issue], out: TextIO) -> None:
    """List issues one per line, with where they are."""
    out.write(f"the graph has {len(issues)} problem{'s' if len(issues) != 1 else ''}:\n")
    for issue in issues:
        where = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("node", issue.node),
                ("port", issue.port),
                ("param", issue.param),
                ("edge", issue.edge),
            )
            if v
        )
        out.write(f"  [{issue.code}] {issue.message}" + (f"  ({where})" if where else "") + "\n")


def describe_output(record: dict[str, Any]) -> str:
    """A few words about an output: rows and columns, a metrics preview, or a model type."""
    summary = record.get("summary") or {}
    kind = record.get("kind")
    if kind == "parquet":
        return f"{summary.get('rows', '?')} rows x {summary.get('column_count', '?')} cols"
    if kind == "json" and "values" in summary:
        text = json.dumps(summary["values"], sort_keys=True)
        return text if len(text) <= 60 else text[:57] + "..."
    if kind == "pickle":
        return str(summary.get("type", "object")).rsplit(".", 1)[-1]
    return f"{record.get('size', '?')} bytes"


class Printer:
    """Turns events into live status lines."""

    def __init__(self, plan: Plan, out: TextIO, *, logs: bool = True):
        self.out = out
        self.logs = logs
        self.start = time.monotonic()
        self.width = max([len(k) for k in plan.order] + [4])
        self.outputs: dict[str, list[str]] = {}

    def line(self, key: str | None, text: str) -> None:
        stamp = f"[{time.monotonic() - self.start:7.2f}s]"
        self.out.write(f"{stamp} {(key or ''):<{self.width}}  {text}\n")
        self.out.flush()

    def __call__(self, event: Event) -> None:
        d, key = event.data, event.step
        t = event.type
        if t is EventType.STEP_STARTED:
            attempt = f" (attempt {d['attempt']})" if d.get("attempt", 1) > 1 else ""
            self.line(key, f"{'started':<11} {d.get('reason', '')}{attempt}")
        elif t is EventType.STEP_OUTPUT and key is not None:
            self.outputs.setdefault(key, []).append(f"{d['port']}: {describe_output(d)}")
        elif t is EventType.STEP_SUCCEEDED and key is not None:
            duration = d.get("duration")
            took = f" in {duration:.2f}s" if isinstance(duration, (int, float)) else ""
            outs = "; ".join(self.outputs.pop(key, []))
            self.line(key, f"succeeded{took}" + (f"   {outs}" if outs else ""))
        elif t is EventType.STEP_REUSED and key is not None:
            self.outputs.pop(key, None)
            self.line(key, f"reused      {d.get('reason', '')}")
        elif t is EventType.STEP_FAILED:
            self.line(key, f"failed      {d.get('error', '')}")
        elif t is EventType.STEP_RETRYING:
            self.line(key, f"retrying in {d.get('delay', 0):.1f}s   {d.get('error', '')}")
        elif t is EventType.STEP_UPSTREAM_FAILED:
            self.line(key, f"skipped     upstream `{d.get('upstream')}` failed")
        elif t is EventType.STEP_CANCELED:
            self.line(key, "canceled")
        elif t is EventType.STEP_LOG and self.logs:
            for text in d.get("lines", []):
                self.line(key, f"| {text}")
        elif t is EventType.STEP_PROGRESS:
            maximum = d.get("max")
            value = d.get("value")
            shown = f"{value}/{maximum}" if maximum is not None else f"{value}"
            self.line(key, f"progress    {shown}")


def command_validate(args: argparse.Namespace, out: TextIO) -> int:
    registry = load_registry(args.registry)
    graph = read_graph(args.graph)
    values, issues = parse_params(graph, args.param)
    issues += validate(graph, registry, values if args.param else None)
    if issues:
        print_issues(issues, out)
        return EXIT_INVALID
    out.write("the graph is valid\n")
    return EXIT_OK


def _compile(args: argparse.Namespace) -> tuple[Graph, Plan]:
    registry = load_registry(args.registry)
    graph = read_graph(args.graph)
    values, issues = parse_params(graph, args.param)
    if issues:
        raise CompileError(issues)
    plan = compile_graph(graph, registry, values, run_from=args.run_from, run_only=args.run_only)
    return graph, plan


def command_plan(args: argparse.Namespace, out: TextIO) -> int:
    _, plan = _compile(args)
    out.write(json.dumps(plan.to_dict(), indent=2, sort_keys=True) + "\n")
    return EXIT_OK


def command_run(args: argparse.Namespace, out: TextIO) -> int:
    from designer.engine.cancel import CancelToken
    from designer.engine.execute import execute
    from designer.engine.runners.docker import DockerRunner, pin_plan_images
    from designer.engine.runners.local import LocalRunner
    from designer.engine.runners.routing import RoutingRunner
    from designer.engine.store import ArtifactStore

    _, compiled = _compile(args)
    plan = pin_plan_images(compiled)
    # absolute: the workers run each step in a scratch directory of their own
    root = (Path(args.store) if args.store else default_store()).resolve()
    store = ArtifactStore(root / "artifacts")
    cache: Cache = NullCache() if args.no_cache else FileCache(root)
    scope = args.scope or f"file:{Path(args.graph).resolve()}"
    run_id = uuid.uuid4().hex[:12]
    printer = Printer(plan, out, logs=not args.no_logs)
    token = CancelToken()
    previous = _install_sigint(token)
    counts_line = ""
    try:
        target = plan.target
        what = {"all": "", "from": f" from `{target[1]}`", "only": f" only `{target[1]}`"}[
            target[0]
        ]
        out.write(f"run {run_id}{what}: {len(plan)} steps, store {root}\n")
        local = LocalRunner(args.workers)
        containers = partial(DockerRunner, local.capacity, read_only=module_paths())
        with RoutingRunner(local, containers) as runner:
            result = execute(
                plan,
                runner=runner,
                cache=cache,
                store=store,
                emit=printer,
                parallelism=args.workers,
                cancel=token,
                run_id=run_id,
                scope=scope,
                timeout=args.timeout,
                retries=args.retries,
                datasets="cli",
            )
    finally:
        signal.signal(signal.SIGINT, previous)
        token.close()
    counts = result.counts
    counts_line = (
        f"{counts['ran']} ran, {counts['reused']} reused, {counts['failed']} failed"
        + (f", {counts['upstream_failed']} upstream failed" if counts["upstream_failed"] else "")
        + (f", {counts['canceled']} canceled" if counts["canceled"] else "")
    )
    out.write(f"\nrun {run_id} {result.status} in {result.duration:.2f}s: {counts_line}\n")
    width = max(len(k) for k in plan.order)
    mod_width = max(len(s.module) for s in plan.steps)
    for step in plan.steps:
        r = result.steps[step.key]
        why = r.reason if r.status.value in ("succeeded", "reused") else (r.error or r.reason)
        out.write(
            f"  {step.key:<{width}}  {step.module:<{mod_width}}  {r.status.value:<15} {why}\n"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    if isinstance(cache, FileCache):
        cache.close()
    return {"succeeded": EXIT_OK, "canceled": EXIT_CANCELED}.get(result.status, EXIT_FAILED)


def _install_sigint(token: Any) -> Callable[[int, FrameType | None], Any] | int | None:
    def handler(signum: int, frame: FrameType | None) -> None:
        if token.canceled:
            raise KeyboardInterrupt
        sys.stderr.write("\ncanceling (press Ctrl-C again to abort)\n")
        token.cancel()

    return signal.signal(signal.SIGINT, handler)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m designer.engine", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("graph", help="the graph JSON file")
        p.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a pipeline parameter value (repeatable)",
        )
        p.add_argument(
            "--registry",
            metavar="PKG.MOD:FUNC",
            help="a function returning the Registry to use (default: built-in modules)",
        )

    def subset(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument(
            "--from",
            dest="run_from",
            metavar="NODE",
            help="run this node and everything downstream; reuse the rest",
        )
        group.add_argument(
            "--only",
            dest="run_only",
            metavar="NODE",
            help="run only this node; its inputs must be cached",
        )

    run = sub.add_parser("run", help="run a graph and explain every step")
    common(run)
    subset(run)
    run.add_argument("--no-cache", action="store_true", help="bypass the cache: run every step")
    run.add_argument(
        "--store", metavar="DIR", help=f"artifact store and cache (default {default_store()})"
    )
    run.add_argument("--workers", type=int, default=None, help="worker processes (default: CPUs)")
    run.add_argument("--timeout", type=float, default=None, help="seconds per step attempt")
    run.add_argument("--retries", type=int, default=0, help="retries of a failed step")
    run.add_argument("--scope", help="history scope for explanations (default: the graph path)")
    run.add_argument("--no-logs", action="store_true", help="do not print the steps' log lines")
    run.add_argument("--json", metavar="FILE", help="also write the run result as JSON")
    run.set_defaults(func=command_run)

    val = sub.add_parser("validate", help="list every problem in a graph")
    common(val)
    val.set_defaults(func=command_validate)

    plan = sub.add_parser("plan", help="print the compiled plan as JSON")
    common(plan)
    subset(plan)
    plan.set_defaults(func=command_plan)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    stream = out or sys.stdout
    try:
        code: int = args.func(args, stream)
        return code
    except (CompileError, GraphFormatError) as exc:
        print_issues(exc.issues, stream)
        return EXIT_INVALID
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
