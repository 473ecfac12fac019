"""How a failed user script reads: the user's line first, the traceback with library frames folded.

`user_error(message, traceback)` turns what the sandbox reported (the exception line and the
traceback of the user's frames and below) into "line 8: KeyError: 'incme'" followed by the
traceback in which each run of frames outside the user's script is one "… N library frames"
line. The UI marks the line a code param's error names (`<param>: line N: …`).
"""

from __future__ import annotations

import re

USER_FILE = "<user script>"  # the name the user's code runs under, in its tracebacks
_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+)')


def _frames(traceback: str) -> tuple[list[str], list[tuple[str, int, list[str]]], list[str]]:
    """(lines before the first frame, [(file, line, its lines)], lines after the last frame)."""
    head: list[str] = []
    frames: list[tuple[str, int, list[str]]] = []
    tail: list[str] = []
    for text in traceback.splitlines():
        match = _FRAME.match(text)
        if match:
            frames.append((match["file"], int(match["line"]), [text]))
            tail = []
        elif frames and text.startswith("    "):
            frames[-1][2].append(text)
        elif frames:
            tail.append(text)
        else:
            head.append(text)
    return head, frames, tail


def fold_library_frames(traceback: str) -> str:
    """The traceback with each run of frames outside the user's script folded into one line."""
    head, frames, tail = _frames(traceback)
    out = list(head)
    folded = 0
    for file, _, lines in frames:
        if file == USER_FILE:
            if folded:
                out.append(f"  … {folded} library frame{'s' if folded > 1 else ''}")
                folded = 0
            out += lines
        else:
            folded += 1
    if folded:
        out.append(f"  … {folded} library frame{'s' if folded > 1 else ''}")
    return "\n".join(out + tail)


def user_line(traceback: str) -> int | None:
    """The line of the user's script where the error surfaced (its innermost frame there)."""
    _, frames, _ = _frames(traceback)
    lines = [line for file, line, _ in frames if file == USER_FILE]
    return lines[-1] if lines else None


def user_error(message: str, traceback: str) -> str:
    """ "line N: message" and the folded traceback (just the message when no line is known)."""
    line = user_line(traceback)
    first = f"line {line}: {message}" if line is not None else message
    folded = fold_library_frames(traceback) if traceback else ""
    return f"{first}\n{folded}".rstrip()
