"""What this app changes in Daphne, the server it runs on (pinned with it in requirements.txt).

1. Twisted, under Daphne, parses every POSTed multipart/form-data body into `request.args` with
   the e-mail package before Daphne hands the body to Django — which parses it again, from disk,
   and Daphne never reads those args. For a 200 MB upload that first parse alone held ~1.8 GB.
   Daphne's requests are told not to (Twisted's `parsePOSTFormSubmission`).
2. Daphne then reads the whole body from Twisted's temporary file into the application's queue
   before the application takes the first message: as bytes, a 200 MB upload sat in memory at
   once. A body Twisted spooled to disk is handed over as read-only memory maps of that file
   instead, which cost nothing until Django copies them into its own file and are unmapped as
   soon as it has.
3. Daphne's `send` of an answer's body hands the bytes to Twisted and returns at once, however
   far behind the client is: a download made faster than the client reads it piled up in
   Twisted's send buffer (63 MB of a 64 MB answer within two seconds of a client not reading).
   Each answer registers a `SendWindow` with Twisted, which closes it while the connection's
   send buffer is full, and `send` waits for it to open (decision 0050).
"""

from __future__ import annotations

import asyncio
import io
import mmap
import os
from typing import IO, Any

from daphne import http_protocol, server

MAP_BYTES = 4 * 1024 * 1024


class MappedBody:
    """Twisted's spooled request body, read as page-aligned memory maps rather than copies."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def read(self, size: int = -1) -> bytes | mmap.mmap:
        """The next chunk (at least `size`, whole pages, unless the body ends) mapped, not read."""
        self._file.flush()
        position = self._file.tell()
        remaining = os.fstat(self._file.fileno()).st_size - position
        wanted = -(-max(size, MAP_BYTES) // mmap.ALLOCATIONGRANULARITY) * mmap.ALLOCATIONGRANULARITY
        length = remaining if size < 0 else min(wanted, remaining)
        if length <= 0:
            return b""
        chunk = mmap.mmap(self._file.fileno(), length, access=mmap.ACCESS_READ, offset=position)
        self._file.seek(position + length)
        return chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class SendWindow:
    """Whether the client is taking an answer's bytes: a push producer Twisted pauses while the
    connection's send buffer is full and resumes once it has drained."""

    def __init__(self, paused: bool) -> None:
        self.open = asyncio.Event()
        if not paused:
            self.open.set()

    def pauseProducing(self) -> None:
        self.open.clear()

    def resumeProducing(self) -> None:
        self.open.set()

    def stopProducing(self) -> None:
        self.open.set()  # the connection is going: nothing left to wait for


class BodyPassingRequest(http_protocol.WebRequest):
    """Daphne's request, leaving POST bodies unparsed by Twisted and unread until Django, and
    sending its answer no faster than the client takes it (`window`)."""

    window: SendWindow | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parsePOSTFormSubmission = False

    def handle_reply(self, message: dict[str, Any]) -> None:
        """Daphne's, with the answer's window opened at its start and closed before its end."""
        ends = message.get("type") == "http.response.body" and not message.get("more_body")
        if self.window is not None and ends:
            self.unregisterProducer()  # before the answer finishes, as Twisted requires
            self.window = None
        super().handle_reply(message)
        if message.get("type") == "http.response.start" and self.channel is not None:
            # the channel may be waiting for its transport already: then the window starts shut
            self.window = SendWindow(getattr(self.channel, "_waitingForTransport", False))
            self.registerProducer(self.window, True)

    def gotLength(self, length: int | None) -> None:
        super().gotLength(length)
        if not isinstance(self.content, io.BytesIO):
            self.content = MappedBody(self.content)


_daphne_send = server.Server.handle_reply


async def _send_as_taken(self: server.Server, protocol: Any, message: dict[str, Any]) -> None:
    """Daphne's `send` for an application, returning once the client can take more."""
    await _daphne_send(self, protocol, message)
    window = getattr(protocol, "window", None)
    if window is not None:
        await window.open.wait()


def adapt_daphne() -> None:
    """Make Daphne build BodyPassingRequests (its HTTP factory reads the module's WebRequest) and
    wait on their windows when an application sends."""
    http_protocol.WebRequest = BodyPassingRequest  # type: ignore[misc]
    server.Server.handle_reply = _send_as_taken  # type: ignore[method-assign]
