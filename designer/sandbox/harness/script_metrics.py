"""The metrics a Python script returns: named numbers, checked in the sandbox and again outside.

Standard library only: the script harness imports it inside the sandbox, and the worker
(designer/modules/script.py) checks what the sandbox sent with the same rules.
"""

from __future__ import annotations

import math
from typing import Any

MAX_COUNT = 100  # metrics one script may return
MAX_NAME = 100  # characters of a metric's name
MAX_BYTES = 64 * 1024  # of JSON in the frame that carries them (100 names, 100 numbers fit)


def check(value: Any) -> dict[str, int | float | None]:
    """`value` as a metrics output: {name: int, float or None}, bools as 0 or 1; ValueError
    naming the metric and the rule it breaks."""
    if not isinstance(value, dict):
        raise ValueError(
            f"the metrics must be a dict of {{name: number}}, got {type(value).__name__}"
        )
    if len(value) > MAX_COUNT:
        raise ValueError(f"the script returned {len(value)} metrics; at most {MAX_COUNT}")
    checked: dict[str, int | float | None] = {}
    for name, number in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"metric {name!r}: a metric's name must be a non-empty string")
        if len(name) > MAX_NAME:
            raise ValueError(
                f"metric {name[:40]!r}…: its name has {len(name)} characters; at most {MAX_NAME}"
            )
        checked[name] = _number(name, number)
    return checked


def _number(name: str, number: Any) -> int | float | None:
    if number is None or isinstance(number, int):
        return None if number is None else int(number)  # a bool counts as 0 or 1
    if not isinstance(number, float):
        raise ValueError(
            f"metric {name!r} is a {type(number).__name__}; a metric is an int, float or bool "
            "(or None when it could not be computed)"
        )
    if not math.isfinite(number):
        raise ValueError(
            f"metric {name!r} is {number}; a metric must be finite (return None for one that "
            "could not be computed)"
        )
    return number
