"""Generates docs/protocol.md from the protocol models.

`python -m designer.realtime.protocol_doc > docs/protocol.md`; a test fails when it is stale.
"""

from __future__ import annotations

import inspect
from typing import Any

from designer.realtime import collab_protocol, protocol
from designer.realtime.typescript import schemas, ts_type

INTRO = f"""\
# The WebSocket protocol

Generated from `designer/realtime/protocol.py` by
`python -m designer.realtime.protocol_doc > docs/protocol.md`; do not edit by hand.
TypeScript types for the same models: `frontend/src/protocol.gen.ts` (`make types`).

## Sockets

| URL | what it streams |
|---|---|
| `/ws/runs/<run id>/` | one run: `run.snapshot`, then the run's stored events in `seq` order |
| `/ws/workspaces/<workspace id>/` | the run list: `workspace.snapshot`, then every run's \
`run.status` and `run.finished` |
| `/ws/graphs/<graph id>/edit/` | co-editing a graph's draft: Yjs updates both ways, presence, \
save acknowledgements (see [Co-editing](#co-editing)) |

**Authentication.** A session cookie (the browser is signed in), or a personal API token
passed one of three ways: as a second offered subprotocol
`{protocol.TOKEN_SUBPROTOCOL_PREFIX}<token>` beside `{protocol.SUBPROTOCOL}` (what browsers
can do: `new WebSocket(url, ["{protocol.SUBPROTOCOL}", "{protocol.TOKEN_SUBPROTOCOL_PREFIX}" +
token])`), an `Authorization: Bearer <token>` header (CLI clients), or a `?token=<token>` query
parameter. When a token is given it decides alone. The server selects the
`{protocol.SUBPROTOCOL}` subprotocol whenever the client offers it.

**Origin.** The `Origin` header must be the socket URL's own origin — scheme (`http` for `ws`,
`https` for `wss`), host (one of the server's `ALLOWED_HOSTS`) and port — or one of
`CSRF_TRUSTED_ORIGINS`; otherwise the handshake is refused with HTTP 403 (no socket opens).
Non-browser clients send an `Origin` matching the server they connect to
(`python manage.py watch_run` does).

**Membership.** Any member of the workspace (viewer, editor or owner) may watch it and its runs
and join a graph's co-editing socket; only editors and owners may edit there.
A member removed from the workspace has every socket on it closed at once, and a revoked API
token closes every socket that signed in with it.

**Endpoint keys.** A key (`dse_…`, passed like a token) watches only the runs its own calls
started, and sees there what the call's status tells: the run's and each step's state and
progress, and a failed step's first line of error. Its `run.snapshot` has no step outputs,
reasons, tracebacks or log line counts, and it is sent no `step.log` or `step.output` event (so
its `seq` numbers have gaps). A revoked key closes every socket that signed in with it.

## Refusals and close codes

Every refusal is an `error` message followed by a close with the matching code:

| close code | `error.data.code` | when |
|---|---|---|
{{close_codes}}
| 1011 | `internal` | the server produced a message that does not match its model (a bug; logged) |

## Ordering, resuming, gaps

Every stored run event carries the run's `seq`, strictly increasing from 1 with no holes. A run
socket delivers events in `seq` order, each exactly once:

1. On connect the server joins the run's group first, then reads the database: a `run.snapshot`
   whose `seq` is the last event it includes (no events are stored for the snapshot itself).
   Live events published meanwhile wait and are dropped when their `seq` is already covered.
2. **Reconnecting:** connect with `?resume_from=N` (N = the last `seq` the client applied). Instead
   of a snapshot the server sends exactly the stored events N+1 … current, then live ones.
   `resume_from` ahead of the run's last event is refused (`bad_request`, 4400).
3. **Rewinding an open socket:** send `{{"resume_from": N}}`. The server resends every stored event
   after N in order, then continues live. Client rule: apply an event when `seq == last + 1`,
   ignore `seq <= last`; on `seq > last + 1` (should never happen) send `{{"resume_from": last}}`.
4. If a live publish is lost or overtaken (a full channel, Redis delivery order), the server fills
   the gap from the database before sending the later event; if no later event comes (the
   producer died after saving), it notices within about two seconds and sends what is missing.

A workspace socket has no resume: on reconnect it sends a fresh `workspace.snapshot`, whose runs
carry their `seq`; later events of a run with `seq` at or below it are not sent.

## Log batching and caps

`step.log` lines are batched by the producer: the run's event writer
(`designer.runs.coordinator.EventWriter`) holds a step's lines back for up to
{protocol.LOG_BATCH_SECONDS * 1000:.0f} ms and saves them together, and `designer.runs.logs.batches`
splits them so that each `step.log` message carries at most {protocol.LOG_MAX_LINES} lines and
{protocol.LOG_MAX_CHARS:,} characters; a line longer than {protocol.LOG_MAX_LINE_CHARS:,}
characters is cut and marked ` …[truncated]`. The model enforces the caps on every message
sent. Each message names the attempt its lines belong to and `offset`, the first line's number in
that attempt's whole log: the full log is kept in a file per attempt (`designer.runs.logs`), which
`GET /api/runs/{{id}}/steps/{{key}}/log/?attempt=&offset=&limit=` pages through, so a client that
loads a page and applies live messages places every line once, by number.

## Messages

Every message is one JSON envelope `{{"type", "run_id", "seq", "data"}}`; unknown fields are an
error in every model. Times are ISO 8601 strings in UTC.
"""


COLLAB_INTRO = f"""
## Co-editing

`/ws/graphs/<graph id>/edit/` shares a graph's draft as a Yjs document (the mapping of the graph
document to Y types: `designer/graphs/shared_doc.py`, `frontend/src/graph/shared.ts`; decision
0016). Messages are JSON: `{{"type", "graph", "data"}}` from the server, `{{"type", "data"}}`
from the client; Yjs updates, state vectors and awareness updates travel as base64 text (Yjs's
v1 encoding), at most {collab_protocol.MAX_UPDATE_BYTES:,} bytes each once decoded.

1. **Handshake.** The server sends `collab.welcome`, its `collab.sync_step1` and, when others are
   present, a `collab.awareness` with their presence. The client sends its `collab.sync_step1`
   on every (re)connect, and answers the server's step 1 with `collab.sync_step2`: what the
   server lacks (edits made while disconnected, merged now). The server answers the client's
   step 1 with `collab.sync_step2`; once applied, the client holds everything.
2. **Edits.** Each local change is one `collab.update`. The server tries it on a copy first:
   a viewer's change (`forbidden`) or one that would break the graph document
   (`invalid_update`, every problem named) is answered with `collab.refused` and applied nowhere;
   the client then drops its copy and syncs afresh. Accepted changes go to every other client.
   Comment text and code params are `Y.Text` (decision 0035): typing is an edit like any other
   (a viewer's is refused), and one replacing such a text by a plain string is `invalid_update`.
3. **Saving.** Shortly after changes the server saves the document as the draft (the JSON the
   REST API, versions and runs read) and sends each socket `collab.saved` with `through`: how
   many of that socket's `collab.update` and `collab.sync_step2` messages, counted from 1 since
   it opened, the saved draft includes. A client whose count of sent edit messages equals
   `through` has nothing unsaved. A REST save (`PUT …/draft/` with `If-Match`) or a version
   restore reaches open editors as a `collab.update`.
4. **Presence** is y-protocols awareness: each client sends its own state (`PresenceState`
   without `user`) for its own awareness client ids only; the server sets `user` from the
   signed-in user, and removes the states of a socket that closes. `cursor` is the selection in
   the code editor being typed in (y-codemirror.next's relative positions). A client id another
   socket already speaks for, or a state that breaks `PresenceState`, is answered with `error`
   (`bad_request`) and the socket stays open.
5. **Roles.** A member removed from the workspace is closed with 4410; a role change takes effect
   at once (a new `collab.welcome` says whether edits are taken).
"""


def _doc(model: type) -> str:
    return " ".join((inspect.getdoc(model) or "").split())


def _table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for name, spec in schema.get("properties", {}).items():
        kind = ts_type(spec).replace("|", "\\|")
        description = " ".join(spec.get("description", "").split())
        needed = "yes" if name in required else "no"
        rows.append(f"| `{name}` | `{kind}` | {needed} | {description} |")
    return rows


def generate() -> str:
    """The whole docs/protocol.md."""
    codes = "\n".join(
        f"| {int(code)} | `{name}` | {WHEN[name]} |"
        for name, code in protocol.ERROR_CLOSE_CODES.items()
    )
    text = INTRO.replace("{close_codes}", codes)
    models = schemas()
    lines = [text]
    for message in protocol.SERVER_MESSAGES:
        kind = message.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
        data_model = message.model_fields["data"].annotation
        assert isinstance(data_model, type)
        envelope = models[message.__name__]["properties"]
        lines += [
            f"\n### `{kind}`\n",
            _doc(message),
            "",
            f"Envelope: `run_id: {ts_type(envelope['run_id'])}`, "
            f"`seq: {ts_type(envelope['seq'])}`. "
            f"`data` ({data_model.__name__}): {_doc(data_model)}",
            "",
            *_table(models[data_model.__name__]),
        ]
    lines += ["\n## Client messages\n", '### `{"resume_from": N}`\n']
    lines += [_doc(protocol.ResumeRequest), ""]
    lines += _table(models["ResumeRequest"])
    documented = {"ResumeRequest"}
    for message in protocol.SERVER_MESSAGES:
        documented |= {message.__name__, message.model_fields["data"].annotation.__name__}  # type: ignore[union-attr]
    lines.append(COLLAB_INTRO)
    lines.append("### Server messages\n")
    for message in collab_protocol.COLLAB_SERVER_MESSAGES:
        lines += _message_section(message, models)
    lines.append("\n### Client messages\n")
    for message in collab_protocol.COLLAB_CLIENT_MESSAGES:
        lines += _message_section(message, models)
    for message in (
        *collab_protocol.COLLAB_SERVER_MESSAGES,
        *collab_protocol.COLLAB_CLIENT_MESSAGES,
    ):
        documented |= {message.__name__, message.model_fields["data"].annotation.__name__}  # type: ignore[union-attr]
    nested = sorted(name for name in models if name not in documented)
    lines.append("\n## Shared types\n")
    for name in nested:
        lines += [f"### {name}\n", " ".join(models[name].get("description", "").split()), ""]
        lines += [*_table(models[name]), ""]
    return "\n".join(lines).rstrip() + "\n"


def _message_section(message: Any, models: dict[str, dict[str, Any]]) -> list[str]:
    """A co-editing message: its type, what it means, and its data's fields."""
    kind = message.model_fields["type"].annotation.__args__[0]
    data_model = message.model_fields["data"].annotation
    return [
        f"#### `{kind}`\n",
        _doc(message),
        "",
        f"`data` ({data_model.__name__}): {_doc(data_model)}",
        "",
        *_table(models[data_model.__name__]),
        "",
    ]


WHEN = {
    "bad_request": "a malformed `resume_from`, or one ahead of the run's last event",
    "unauthenticated": "no session and no valid API token, or the token was revoked while watching",
    "not_found": "no such run, workspace or graph, or the user is not a member of it (the same"
    " answer, so a socket never tells which runs, workspaces or graphs exist)",
    "membership_revoked": "the user was removed from the workspace while watching",
    "session_ended": "the sign-in session the socket opened with ended while it was open: signed"
    " out (in any tab), its key cycled (a sign-in, a password change in this browser), the"
    " password changed elsewhere, or the account deactivated. The browser may hold a new session:"
    " a client asks (`GET /api/me/`) and reconnects, or asks the user to sign in again",
    "too_many_sockets": "the user (an endpoint key; signed out: the address) already holds"
    " `DESIGNER_MAX_OPEN_SOCKETS` sockets open on this server process (default 100; a page"
    " opens a few): close some, then reconnect",
}


if __name__ == "__main__":
    print(generate(), end="")
