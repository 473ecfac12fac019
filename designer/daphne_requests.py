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
"""

from __future__ import annotations

import io
import mmap
import os
from typing import IO, Any

from daphne import http_protocol

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


class BodyPassingRequest(http_protocol.WebRequest):
    """Daphne's request, leaving POST bodies unparsed by Twisted and unread until Django."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parsePOSTFormSubmission = False

    def gotLength(self, length: int | None) -> None:
        super().gotLength(length)
        if not isinstance(self.content, io.BytesIO):
            self.content = MappedBody(self.content)


def leave_request_bodies_to_django() -> None:
    """Make Daphne build BodyPassingRequests (its HTTP factory reads the module's WebRequest)."""
    http_protocol.WebRequest = BodyPassingRequest  # type: ignore[misc]
