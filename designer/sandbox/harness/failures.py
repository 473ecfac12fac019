"""How a harness reports a failure: the error's message and the traceback of the user's frames."""

from __future__ import annotations

import os
import traceback
from typing import IO, Any

import protocol

HERE = os.path.dirname(os.path.realpath(__file__))


def _user_frames(exc: traceback.TracebackException) -> None:
    """Cut the harness's own frames, so a traceback starts at the user's code."""
    exc.stack = traceback.StackSummary.from_list(
        [f for f in exc.stack if os.path.dirname(os.path.realpath(f.filename)) != HERE]
    )
    for chained in (exc.__cause__, exc.__context__):
        if chained is not None:
            _user_frames(chained)


def report(
    out: IO[bytes], kind: str, error: BaseException | None, message: str = "", **extra: Any
) -> None:
    """Send an error frame: `kind` (user, memory, step, sql, timeout, …), message, traceback."""
    text = ""
    if error is not None:
        exc = traceback.TracebackException.from_exception(error)
        _user_frames(exc)
        message = message or "".join(exc.format_exception_only()).strip()
        if exc.stack or exc.__cause__ or exc.__context__:
            text = "".join(exc.format()).rstrip()
    protocol.write(
        out, {"type": "error", "kind": kind, "message": message, "traceback": text, **extra}
    )
