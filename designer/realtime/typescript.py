"""Generates the front end's TypeScript protocol types from the pydantic models.

`python -m designer.realtime.typescript > frontend/src/protocol.gen.ts` (`make types`).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from designer.realtime import collab_protocol, protocol

HEADER = """\
// Generated from designer/realtime/protocol.py by `make types`. Do not edit by hand.
/* eslint-disable */
"""


def schemas() -> dict[str, dict[str, Any]]:
    """Every named model's JSON schema (serialization mode: fields always present are required)."""
    adapter: TypeAdapter[Any] = TypeAdapter(
        protocol.ServerMessage
        | protocol.ResumeRequest
        | collab_protocol.CollabServerMessage
        | collab_protocol.CollabClientMessage
        | collab_protocol.PresenceState
    )
    return dict(adapter.json_schema(mode="serialization", ref_template="{model}")["$defs"])


def ts_type(schema: dict[str, Any]) -> str:
    """The TypeScript type of a JSON schema fragment."""
    if "$ref" in schema:
        return str(schema["$ref"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "anyOf" in schema or "oneOf" in schema:
        return " | ".join(ts_type(part) for part in schema.get("anyOf") or schema["oneOf"])
    kind = schema.get("type")
    if kind == "array":
        item = ts_type(schema.get("items", {}))
        return f"({item})[]" if " " in item else f"{item}[]"
    if kind == "object":
        values = schema.get("additionalProperties")
        value = ts_type(values) if isinstance(values, dict) else "unknown"
        return f"{{ [key: string]: {value} }}"
    return {
        "string": "string",
        "integer": "number",
        "number": "number",
        "boolean": "boolean",
        "null": "null",
    }.get(str(kind), "unknown")


def _comment(text: str, indent: str = "") -> str:
    return f"{indent}/** {' '.join(text.split())} */\n" if text else ""


def interface(name: str, schema: dict[str, Any]) -> str:
    """One `export interface` for a model schema."""
    required = set(schema.get("required", []))
    lines = [_comment(schema.get("description", "")), f"export interface {name} {{\n"]
    for field, spec in schema.get("properties", {}).items():
        lines.append(_comment(spec.get("description", ""), "  "))
        optional = "" if field in required else "?"
        lines.append(f"  {field}{optional}: {ts_type(spec)};\n")
    lines.append("}\n")
    return "".join(lines)


def generate() -> str:
    """The whole protocol.gen.ts file."""
    parts = [HEADER]
    parts.append(f"\nexport const PROTOCOL_VERSION = {protocol.PROTOCOL_VERSION};\n")
    parts.append(f"export const SUBPROTOCOL = {json.dumps(protocol.SUBPROTOCOL)};\n")
    for name in (
        "TOKEN_SUBPROTOCOL_PREFIX",
        "LOG_BATCH_SECONDS",
        "LOG_MAX_LINES",
        "LOG_MAX_LINE_CHARS",
        "LOG_MAX_CHARS",
    ):
        parts.append(f"export const {name} = {json.dumps(getattr(protocol, name))};\n")
    codes = ", ".join(f"{code.name}: {int(code)}" for code in protocol.CloseCode)
    parts.append(f"\n{_comment(protocol.CloseCode.__doc__ or '')}")
    parts.append(f"export const CloseCode = {{ {codes} }} as const;\n")
    for name, schema in sorted(schemas().items()):
        parts.append("\n" + interface(name, schema))
    messages = " | ".join(model.__name__ for model in protocol.SERVER_MESSAGES)
    events = " | ".join(
        model.__name__
        for model in protocol.SERVER_MESSAGES
        if model.model_fields["type"].annotation.__args__[0] in protocol.EVENT_DATA  # type: ignore[union-attr]
    )
    parts.append("\n/** Every message the server sends. */\n")
    parts.append(f"export type ServerMessage = {messages};\n")
    parts.append("\n/** The stored run events (they carry a seq). */\n")
    parts.append(f"export type RunEventMessage = {events};\n")
    parts.append('\nexport type ServerMessageType = ServerMessage["type"];\n')
    parts.append("\n/** Every message a client may send. */\n")
    parts.append("export type ClientMessage = ResumeRequest;\n")
    collab_server = " | ".join(m.__name__ for m in collab_protocol.COLLAB_SERVER_MESSAGES)
    collab_client = " | ".join(m.__name__ for m in collab_protocol.COLLAB_CLIENT_MESSAGES)
    parts.append("\n/** Every message the server sends on a co-editing socket. */\n")
    parts.append(f"export type CollabServerMessage = {collab_server};\n")
    parts.append("\n/** Every message a client sends on a co-editing socket. */\n")
    parts.append(f"export type CollabClientMessage = {collab_client};\n")
    return "".join(parts)


if __name__ == "__main__":
    print(generate(), end="")
