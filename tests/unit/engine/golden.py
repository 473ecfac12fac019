"""Golden compiler fixtures: tests/fixtures/graphs/<case>.json → <case>.plan.json.

    python -m tests.unit.engine.golden            # check: list cases whose output differs
    python -m tests.unit.engine.golden --refresh  # rewrite every <case>.plan.json (make golden)

A case is a graph document `<case>.json`, optionally with `<case>.args.json`:
``{"registry": "pkg.mod:function", "parameters": {...}, "from": node, "only": node}``
(default registry: the built-in modules). The expected file holds ``{"plan": Plan.to_dict()}``
for a graph that compiles, or ``{"issues": [Issue.to_dict(), ...]}`` for one that does not.
Implementation digests are replaced by a placeholder, so editing a module's code does not
churn the fixtures (the fingerprint tests cover digests).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from designer.engine.compile import CompileError, compile_document
from designer.engine.registry import Registry

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "graphs"
BUILTIN = "designer.modules:builtin_registry"
DIGEST = "<implementation digest>"


def cases() -> list[str]:
    """Names of every case, sorted."""
    return sorted(
        p.name[: -len(".json")]
        for p in CASES.glob("*.json")
        if not p.name.endswith((".plan.json", ".args.json"))
    )


def args_of(case: str) -> dict[str, Any]:
    """The case's compile arguments (empty when it has no args file)."""
    path = CASES / f"{case}.args.json"
    return json.loads(path.read_text()) if path.exists() else {}


def registry_of(case: str) -> Registry:
    """The registry a case compiles against (raises ImportError when it is unavailable)."""
    module_name, _, attr = args_of(case).get("registry", BUILTIN).partition(":")
    registry: Registry = getattr(importlib.import_module(module_name), attr)()
    return registry


def compile_case(case: str) -> dict[str, Any]:
    """The expected-file content for a case, computed now."""
    args = args_of(case)
    data = json.loads((CASES / f"{case}.json").read_text())
    try:
        plan = compile_document(
            data,
            registry_of(case),
            args.get("parameters", {}),
            run_from=args.get("from"),
            run_only=args.get("only"),
        )
    except CompileError as exc:
        return {"issues": [i.to_dict() for i in exc.issues]}
    out = plan.to_dict()
    for step in out["steps"]:
        step["implementation_digest"] = DIGEST
    return {"plan": out}


def render(value: dict[str, Any]) -> str:
    """Stable text of an expected file."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expected_path(case: str) -> Path:
    """Where a case's expected output lives."""
    return CASES / f"{case}.plan.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="check or refresh the golden compiler fixtures")
    parser.add_argument("--refresh", action="store_true", help="rewrite every <case>.plan.json")
    args = parser.parse_args(argv)
    stale = []
    for case in cases():
        text = render(compile_case(case))
        path = expected_path(case)
        if args.refresh:
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                print(f"wrote {path.relative_to(CASES.parents[2])}")
        elif not path.exists() or path.read_text() != text:
            stale.append(case)
    if stale:
        print("out of date: " + ", ".join(stale) + " (refresh with `make golden`)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
