"""Canonical JSON and digests: the byte-exact forms that cache keys and artifacts are built from."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Any

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
# The C encoder `_ENCODER.encode` makes on every call, made here directly: encode() and
# iterencode() spend ~1.5 µs of Python (a closure, type checks) around a ~2 µs encoding of a
# step's fingerprint material, and a step's fingerprint, index rows and output each take one.
_C_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)
_ENCODE_STRING: Any = json.encoder.encode_basestring  # what both encoders write strings with


def canonical_json(value: Any) -> str:
    """Return `value` as canonical JSON text: sorted keys, no spaces, UTF-8, no NaN.

    Tuples become arrays. Raises ValueError (or TypeError) for values that are not JSON data.
    """
    if _C_ENCODER is None:  # pragma: no cover - CPython always has the C encoder
        return _ENCODER.encode(value)
    encode = _C_ENCODER(  # the arguments JSONEncoder.iterencode gives it, fresh markers each time
        {}, _ENCODER.default, _ENCODE_STRING, None, ":", ",", True, False, False
    )
    return "".join(encode(value, 0))


# A string as a JSON string, exactly as `canonical_json` writes it (inside any value): the
# encoder's own C function, called with no Python frame around it (a fingerprint makes ~12).
json_text: Callable[[str], str] = _ENCODE_STRING


def same_json(a: Any, b: Any) -> bool:
    """Whether two JSON values are the same JSON, exact in type: `true`, `1` and `1.0` differ.

    (Python's == says True == 1 == 1.0, at any depth.)
    """
    return canonical_json(a) == canonical_json(b)


def sha256_hex(data: bytes | memoryview) -> str:
    """Return the hex SHA-256 digest of `data`."""
    return hashlib.sha256(data).hexdigest()


def json_safe(value: Any, *, depth: int = 0) -> Any:
    """Convert numpy/pandas scalars, arrays, tuples and sets to plain JSON data; NaN/inf to None.

    Anything else that is not JSON data becomes its `str()`. Used for summaries and metrics,
    where showing something is better than failing.
    """
    if depth > 50:
        return str(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [json_safe(v, depth=depth + 1) for v in items]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and getattr(value, "ndim", 0) == 0 and getattr(value, "size", 1) == 1:
        try:
            return json_safe(item(), depth=depth + 1)
        except (TypeError, ValueError):
            return str(value)
    tolist = getattr(value, "tolist", None)  # numpy arrays, pandas series
    if callable(tolist):
        try:
            return json_safe(tolist(), depth=depth + 1)
        except (TypeError, ValueError):
            return str(value)
    isoformat = getattr(value, "isoformat", None)  # datetimes, timestamps
    if callable(isoformat):
        return str(isoformat())
    return str(value)
