"""How error messages name sizes: exact bytes, and the unit the pages use."""

from __future__ import annotations

import pytest

from designer.sizes import size_text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1023, "1,023 bytes"),
        (1536, "1,536 bytes (1.5 KB)"),
        (200 * 1024 * 1024, "209,715,200 bytes (200.0 MB)"),
        (218_489_151, "218,489,151 bytes (208.4 MB)"),
        (3 * 1024**4, "3,298,534,883,328 bytes (3.0 TB)"),
        (5 * 1024**5, "5,629,499,534,213,120 bytes (5120.0 TB)"),
    ],
)
def test_a_size_reads_in_bytes_and_in_the_unit_people_read(size: int, text: str) -> None:
    assert size_text(size) == text
