"""How many sockets each user, endpoint key or (signed out) address holds open in this process.

One server process's sockets all live on its one event loop, so plain counts need no lock.
A socket takes its place once it knows who opened it and gives it back when it closes; past
DESIGNER_MAX_OPEN_SOCKETS it is refused (decision 0074).
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class OpenSockets:
    """Open sockets by holder; `take` refuses one past the cap."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()

    def take(self, holder: str, cap: int) -> bool:
        """Count one more socket of `holder`, unless it holds `cap` already (0: no cap)."""
        if cap and self._open[holder] >= cap:
            return False
        self._open[holder] += 1
        return True

    def give_back(self, holder: str) -> None:
        """One socket of `holder` closed."""
        self._open[holder] -= 1
        if self._open[holder] <= 0:
            del self._open[holder]


def holder(user_id: int | None, key_id: int | None, scope: dict[str, Any]) -> str:
    """Whose place a socket takes: its user's, else its endpoint key's, else its address's."""
    if user_id is not None:
        return f"user:{user_id}"
    if key_id is not None:
        return f"key:{key_id}"
    return f"address:{(scope.get('client') or ('', 0))[0]}"


open_sockets = OpenSockets()
