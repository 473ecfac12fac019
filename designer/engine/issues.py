"""Problems found in a graph document, each named by node, port, param or edge."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a graph: a stable code, a human message and where it is."""

    code: str
    message: str
    node: str | None = None
    port: str | None = None
    param: str | None = None
    edge: str | None = None
    field: str | None = None
    nodes: tuple[str, ...] | None = None  # every node involved, e.g. the members of a cycle

    def to_dict(self) -> dict[str, Any]:
        """Return the issue as JSON-ready data, leaving out empty locations."""
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in asdict(self).items()
            if v is not None
        }
