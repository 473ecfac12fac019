"""What an endpoint version takes and returns, derived from its graph document, and call checks.

- Parameters: the graph's pipeline parameters (typed JSON values; one without a default must
  be given).
- Inputs: one per Web service input node, named by its label (lower-case, `_` for other
  characters) or else its node id. A call gives each a registered dataset version or a file;
  an input whose node has data connected in the graph may be left out (the connected data is
  used, as in a canvas run).
- Outputs: one per Web service output node, named the same way: the table on its port.

Pure functions over plain JSON (no Django), so the checks are the same for every caller.
"""

from __future__ import annotations

import re
from typing import Any

from designer.engine.params import check_pipeline_value
from designer.modules.specs.output import WEB_SERVICE_INPUT, WEB_SERVICE_OUTPUT

RESERVED_NAMES = {"parameters", "inputs"}  # multipart field names of a call
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
Issue = dict[str, str]


def _module_name(node: dict[str, Any]) -> str:
    return str(node.get("module", "")).rpartition("@")[0]


def _name(node: dict[str, Any]) -> str:
    label = re.sub(r"[^a-z0-9]+", "_", str(node.get("label") or "").lower()).strip("_")
    return label if _NAME.match(label) else str(node["id"])


def derive(document: dict[str, Any]) -> tuple[dict[str, Any], list[Issue]]:
    """The interface of a graph document, and the problems that stop it being published."""
    fed = {(e["target"]["node"], e["target"]["port"]) for e in document.get("edges", [])}
    parameters = {
        name: {
            "type": spec["type"],
            "default": spec.get("default"),
            "description": spec.get("description", ""),
            "required": spec.get("default") is None,
        }
        for name, spec in document.get("parameters", {}).items()
    }
    inputs, outputs = [], []
    for node in document.get("nodes", []):
        module = _module_name(node)
        title = str(node.get("label") or node["id"])
        if module == WEB_SERVICE_INPUT:
            required = (node["id"], "dataset") not in fed
            inputs.append(
                {"name": _name(node), "node": node["id"], "title": title, "required": required}
            )
        elif module == WEB_SERVICE_OUTPUT:
            outputs.append(
                {"name": _name(node), "node": node["id"], "port": "dataset", "title": title}
            )
    issues: list[Issue] = []
    for kind, entries in (("input", inputs), ("output", outputs)):
        seen: dict[str, str] = {}
        for entry in entries:
            name, node = entry["name"], entry["node"]
            if name in RESERVED_NAMES:
                issues.append(
                    _issue(
                        f"nodes.{node}.label",
                        "reserved_name",
                        f"{kind} name {name!r} (node `{node}`) is reserved; "
                        "label the node differently",
                    )
                )
            elif name in seen:
                issues.append(
                    _issue(
                        f"nodes.{node}.label",
                        "duplicate_name",
                        f"nodes `{seen[name]}` and `{node}` are both the {kind} "
                        f"{name!r}; give them different labels",
                    )
                )
            seen[name] = node
    return {"parameters": parameters, "inputs": inputs, "outputs": outputs}, issues


def _issue(field: str, code: str, message: str) -> Issue:
    return {"field": field, "code": code, "message": message}


def check_parameters(interface: dict[str, Any], values: Any) -> list[Issue]:
    """Every problem with a call's parameter values: unknown, mistyped, missing."""
    if not isinstance(values, dict):
        return [_issue("parameters", "invalid", "parameters must be a JSON object")]
    declared: dict[str, Any] = interface["parameters"]
    issues = [
        _issue(
            f"parameters.{name}",
            "unknown_parameter",
            f"no parameter {name!r}; this endpoint takes {sorted(declared) or 'none'}",
        )
        for name in sorted(set(values) - set(declared))
    ]
    for name, spec in sorted(declared.items()):
        if name not in values:
            if spec["required"]:
                issues.append(
                    _issue(
                        f"parameters.{name}",
                        "required",
                        f"parameter {name!r} ({spec['type']}) is required",
                    )
                )
            continue
        problem = check_pipeline_value(spec["type"], values[name])
        if values[name] is None:
            problem = "must be set (null is not allowed)"
        if problem:
            issues.append(
                _issue(
                    f"parameters.{name}",
                    "wrong_type",
                    f"parameter {name!r} ({spec['type']}) {problem}",
                )
            )
    return issues


def check_inputs(interface: dict[str, Any], datasets: Any, files: set[str] | None) -> list[Issue]:
    """Every problem with a call's inputs: `datasets` maps names to {dataset, version?}, `files`
    names the inputs sent as files (None: a schedule's inputs, which cannot be files)."""
    sent = files or set()
    how = "send a file or a dataset" if files is not None else "choose a registered dataset"
    if not isinstance(datasets, dict):
        return [_issue("inputs", "invalid", "inputs must be a JSON object")]
    known = {entry["name"]: entry for entry in interface["inputs"]}
    issues = [
        _issue(
            f"inputs.{name}",
            "unknown_input",
            f"no input {name!r}; this endpoint takes {sorted(known) or 'none'}",
        )
        for name in sorted((set(datasets) | sent) - set(known))
    ]
    for name, entry in sorted(known.items()):
        given = datasets.get(name)
        if name in sent and given is not None:
            issues.append(
                _issue(
                    f"inputs.{name}",
                    "ambiguous",
                    f"input {name!r} was given both as a file and as a dataset",
                )
            )
        elif given is not None:
            issues += _check_reference(name, given)
        elif name not in sent and entry["required"]:
            issues.append(
                _issue(
                    f"inputs.{name}",
                    "required",
                    f"input {name!r} is required: {how}",
                )
            )
    return issues


def _check_reference(name: str, value: Any) -> list[Issue]:
    where = f"inputs.{name}"
    if not isinstance(value, dict):
        return [
            _issue(
                where,
                "invalid",
                f'input {name!r} must be an object {{"dataset": name, "version"?}}',
            )
        ]
    issues = [
        _issue(f"{where}.{key}", "unknown_field", f"unknown field {key!r}; use dataset, version")
        for key in sorted(set(value) - {"dataset", "version"})
    ]
    if not isinstance(value.get("dataset"), str) or not value.get("dataset"):
        issues.append(
            _issue(
                f"{where}.dataset",
                "required",
                f"input {name!r} needs the registered dataset's name",
            )
        )
    version = value.get("version")
    if version is not None and (not isinstance(version, str) or len(version) < 8):
        issues.append(
            _issue(
                f"{where}.version",
                "invalid",
                "version must be a version digest (8 characters or more)",
            )
        )
    return issues
