"""Generate the module catalogue (docs/modules.md) from the built-in specs.

python -m designer.modules.catalogue > docs/modules.md
"""

from __future__ import annotations

import sys
from itertools import groupby
from typing import Any

from designer.engine.registry import REQUIRED, ModuleSpec, ParamSpec, Registry
from designer.modules import builtin_registry

HEADER = """# Module catalogue

Generated from the module specs by `python -m designer.modules.catalogue > docs/modules.md`;
do not edit by hand (a test fails when this file is stale). Custom modules are described in
[architecture.md](architecture.md#modules-designermodules).
"""


def _value(value: Any) -> str:
    if value is REQUIRED:
        return "required"
    if value is None:
        return "empty"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]" if value else "all / none"
    if isinstance(value, str) and "\n" in value:
        return "(code)"
    return f"`{value}`" if value != "" else "empty"


def _range(p: ParamSpec) -> str:
    if p.choices:
        return ", ".join(f"`{c}`" for c in p.choices)
    low = "" if p.minimum is None else f"{p.minimum:g}"
    high = "" if p.maximum is None else f"{p.maximum:g}"
    return f"{low} to {high}" if low or high else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def module_section(spec: ModuleSpec) -> list[str]:
    """Markdown for one module: heading, description, ports and params."""
    lines = [f"### {spec.display_name} (`{spec.ref}`)", "", spec.description, ""]
    if not spec.deterministic:
        lines += [
            "Always re-runs (reads outside data); unchanged output keeps downstream reused.",
            "",
        ]
    if spec.timeout is not None:
        lines += [f"Each attempt may take {spec.timeout / 60:g} minutes unless its node says.", ""]
    ports = [("input", p) for p in spec.inputs] + [("output", p) for p in spec.outputs]
    if ports:
        lines += ["| port | name | type | description |", "|---|---|---|---|"]
        for side, p in ports:
            name = f"`{p.name}`" + (" (optional)" if p.optional else "")
            lines.append(f"| {side} | {name} | {p.type.value} | {_cell(p.description)} |")
        lines.append("")
    if spec.params:
        lines += [
            "| param | type | default | range / choices | description |",
            "|---|---|---|---|---|",
        ]
        for q in spec.params:
            kind = q.type.value + (f" ({q.language})" if q.language else "")
            lines.append(
                f"| `{q.name}` | {kind} | {_cell(_value(q.default))} | {_cell(_range(q))} "
                f"| {_cell(q.description)} |"
            )
        lines.append("")
    return lines


def render(registry: Registry) -> str:
    """Return the whole catalogue as Markdown, grouped by category."""
    specs = list(registry)
    lines = [HEADER, "| module | ref | category |", "|---|---|---|"]
    lines += [f"| {s.display_name} | `{s.ref}` | {s.category} |" for s in specs]
    lines.append("")
    for category, group in groupby(specs, key=lambda s: s.category):
        lines += [f"## {category}", ""]
        for spec in group:
            lines += module_section(spec)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    """Print the catalogue of the built-in modules."""
    sys.stdout.write(render(builtin_registry()))


if __name__ == "__main__":
    main()
