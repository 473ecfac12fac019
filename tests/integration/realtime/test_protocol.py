"""Every message matches its model: the send path refuses others; generated files are current."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.realtime import protocol_doc, typescript
from designer.realtime.codec import encode, encode_collab
from designer.realtime.protocol import ProtocolError
from tests.integration.realtime.harness import ROOT, Server, open_socket, receive

VALID = {
    "type": "step.status",
    "run_id": 1,
    "seq": 3,
    "data": {"step": "n1", "status": "running", "attempt": 1, "reason": "cache miss", "error": ""},
}


def test_send_path_encodes_a_valid_message() -> None:
    assert '"status":"running"' in encode(VALID)


@pytest.mark.parametrize(
    "broken",
    [
        {**VALID, "data": {**VALID["data"], "status": "exploded"}},
        {**VALID, "data": {**VALID["data"], "colour": "red"}},
        {**VALID, "surprise": True},
        {**VALID, "seq": None},
        {**VALID, "type": "step.wobble"},
        {
            "type": "step.log",
            "run_id": 1,
            "seq": 4,
            "data": {"step": "n1", "stream": "stdout", "lines": ["x"] * 201},
        },
        {
            "type": "step.progress",
            "run_id": 1,
            "seq": 4,
            "data": {"step": "n1", "value": 3, "max": 2},
        },
    ],
)
def test_send_path_refuses_a_message_that_breaks_its_model(broken: dict) -> None:
    with pytest.raises(ProtocolError):
        encode(broken)


def test_send_path_does_not_trust_a_cached_encoding_of_a_different_message() -> None:
    encode(VALID)
    with pytest.raises(ProtocolError):
        encode({**VALID, "data": {**VALID["data"], "attempt": -1}})


def test_typescript_types_are_generated_from_the_current_models() -> None:
    path = ROOT / "frontend" / "src" / "protocol.gen.ts"
    assert path.exists() and path.read_text() == typescript.generate(), (
        "frontend/src/protocol.gen.ts is stale: run `make types`"
    )


def test_protocol_doc_is_generated_from_the_current_models() -> None:
    path: Path = ROOT / "docs" / "protocol.md"
    assert path.read_text() == protocol_doc.generate(), (
        "docs/protocol.md is stale: "
        "run `python -m designer.realtime.protocol_doc > docs/protocol.md`"
    )


async def test_event_log_refuses_an_invalid_event_and_saves_nothing(
    server: Server, team: dict, run: int
) -> None:
    # The state change is saved first, in the same transaction: it must be rolled back too.
    odd = ["step.status", {"step": "n1", "status": "odd", "attempt": 1}]
    with pytest.raises(RuntimeError, match="ProtocolError"):
        server.control("append_raw", run=run, step="n1", status="running", messages=[odd])
    with pytest.raises(RuntimeError, match="unknown run event type"):
        wobble = ["step.wobble", {"step": "n1"}]
        server.control("append_raw", run=run, step="n1", status="running", messages=[wobble])
    async with await open_socket(server, f"/ws/runs/{run}/", team["users"]["viewer"]) as socket:
        snapshot = await receive(socket)
    assert snapshot["seq"] == 0
    assert snapshot["data"]["steps"][0]["status"] == "pending"


SAVED = {"type": "collab.saved", "graph": 3, "data": {"revision": 4, "through": 2}}


def test_collab_send_path_encodes_a_valid_message() -> None:
    assert '"through":2' in encode_collab(SAVED).text


@pytest.mark.parametrize(
    "broken",
    [
        {**SAVED, "data": {"revision": 0, "through": 2}},
        {**SAVED, "data": {**SAVED["data"], "colour": "red"}},
        {**SAVED, "graph": None},
        {**SAVED, "type": "collab.wobble"},
        {"type": "collab.update", "graph": 3, "data": {"update": "not base64!"}},
        {
            "type": "collab.refused",
            "graph": 3,
            "data": {"code": "nope", "message": "", "issues": []},
        },
        {
            "type": "collab.welcome",
            "graph": 3,
            "data": {
                "graph": 3,
                "can_edit": True,
                "revision": 1,
                "you": {"id": 1, "name": "a", "color": "red"},
            },
        },
    ],
)
def test_collab_send_path_refuses_a_message_that_breaks_its_model(broken: dict) -> None:
    with pytest.raises(ProtocolError):
        encode_collab(broken)
