"""A spooled request body read the way Daphne reads it gives back every byte, in order."""

from __future__ import annotations

import tempfile

import pytest

from designer.daphne_requests import MAP_BYTES, MappedBody


@pytest.mark.parametrize("buffer_size", [8192, MAP_BYTES + 1, 3 * MAP_BYTES])
def test_daphne_reading_a_mapped_body_gets_the_whole_body(buffer_size: int) -> None:
    body = bytes(range(256)) * (10 * MAP_BYTES // 256) + b"tail"
    with tempfile.TemporaryFile() as spooled:
        content = MappedBody(spooled)
        content.write(body)
        content.seek(0, 0)
        messages = []
        while True:  # Daphne's loop (daphne.http_protocol.WebRequest.process)
            chunk = content.read(buffer_size)
            more_body = not (len(chunk) < buffer_size)
            messages.append((bytes(chunk), more_body))
            if not more_body:
                break

    assert b"".join(chunk for chunk, _ in messages) == body
    assert [more for _, more in messages] == [True] * (len(messages) - 1) + [False]
    assert all(len(chunk) >= buffer_size for chunk, _ in messages[:-1])
