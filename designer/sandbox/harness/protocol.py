"""Frames between a sandboxed harness and the process that started it.

A frame is a JSON header and an optional binary payload:
4-byte big-endian header length, the header (UTF-8 JSON object with "size"), `size` bytes.
The parent writes frames to the harness's stdin; the harness writes frames to the descriptor
named by its first argument (`results()` opens it). Standard
library only: the same file is imported inside the sandbox and by the parent, which reads
with `FrameReader` and never trusts what it reads beyond its JSON and byte counts.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from typing import IO, Any

HEADER = struct.Struct(">I")
ENDS = ("done", "result", "error")  # frame types a harness sends last, then exits
MAX_HEADER = 1 << 20  # bytes of JSON in one header


class ProtocolError(ValueError):
    """Bytes that are not a well-formed frame."""


def results() -> IO[bytes]:
    """Inside a harness: the stream its frames go to (the descriptor in its first argument)."""
    return os.fdopen(int(sys.argv[1]), "wb")


def encode(header: dict[str, Any], payload: bytes = b"") -> bytes:
    """One frame as bytes."""
    text = json.dumps({**header, "size": len(payload)}).encode()
    return HEADER.pack(len(text)) + text + payload


def write(stream: IO[bytes], header: dict[str, Any], payload: bytes = b"") -> None:
    """Write one frame and flush it."""
    stream.write(encode(header, payload))
    stream.flush()


def _exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read(stream: IO[bytes]) -> tuple[dict[str, Any], bytes] | None:
    """Read one frame (blocking); None at the end of the stream."""
    head = _exactly(stream, HEADER.size)
    if head is None:
        return None
    text = _exactly(stream, HEADER.unpack(head)[0])
    if text is None:
        raise ProtocolError("the stream ended inside a frame header")
    header = json.loads(text)
    payload = _exactly(stream, int(header["size"])) if header["size"] else b""
    if payload is None:
        raise ProtocolError("the stream ended inside a frame payload")
    return header, payload


class FrameReader:
    """Turns chunks read from a pipe into frames, checking every size against its limits."""

    def __init__(self, max_payload: int):
        self.max_payload = max_payload
        self.buffer = bytearray()
        self.received = 0  # payload bytes so far, over every frame

    def feed(self, chunk: bytes) -> list[tuple[dict[str, Any], bytes]]:
        """Add bytes; return the frames they complete. ProtocolError on malformed input."""
        self.buffer += chunk
        frames = []
        while len(self.buffer) >= HEADER.size:
            (length,) = HEADER.unpack_from(self.buffer)
            if length > MAX_HEADER:
                raise ProtocolError(f"a frame header of {length} bytes")
            if len(self.buffer) < HEADER.size + length:
                break
            try:
                header = json.loads(bytes(self.buffer[HEADER.size : HEADER.size + length]))
                size = header["size"]
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                raise ProtocolError(f"a malformed frame header: {exc}") from exc
            if not isinstance(header, dict) or not isinstance(size, int) or size < 0:
                raise ProtocolError("a malformed frame header")
            if self.received + size > self.max_payload:
                raise OverflowError(self.max_payload)
            end = HEADER.size + length + size
            if len(self.buffer) < end:
                break
            frames.append((header, bytes(self.buffer[HEADER.size + length : end])))
            self.received += size
            del self.buffer[:end]
        return frames
