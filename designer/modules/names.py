"""Names of the columns Add columns puts side by side: a module and the static inference (which
imports no pandas) share the rule."""

from __future__ import annotations


def paired_names(left: list[str], right: list[str]) -> list[str]:
    """Add columns' names for the right columns: one the left has too gets _right (or _right2…)."""
    in_left, taken, names = set(left), {*left, *right}, []
    for name in right:
        if name in in_left:
            new, n = f"{name}_right", 1
            while new in taken:
                n += 1
                new = f"{name}_right{n}"
            taken.add(new)
            name = new
        names.append(name)
    return names
