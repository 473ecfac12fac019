"""Sizes as messages name them (imports nothing: the request parsers load it while DRF sets up)."""


def size_text(n: int) -> str:
    """A size as an error message names it: the exact bytes, then in the unit people read
    ("209,715,200 bytes (200.0 MB)"; units of 1024, as the pages show sizes)."""
    value, unit = float(n), ""
    for larger in ("KB", "MB", "GB", "TB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{n:,} bytes ({value:.1f} {unit})" if unit else f"{n:,} bytes"
