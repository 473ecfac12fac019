"""Carrying one copy's changes onto another: a three-way merge of graph documents (decision 0036).

Used when a client comes back holding a shared state of an earlier generation (the state was
compacted meanwhile): its Yjs updates cannot apply to the rebuilt document, so what it changed
(`theirs` against `base`, the document it started from) is merged onto the current draft
(`ours`) per entry and per field:

- an entry (node, edge, comment, pipeline parameter) added on one side is added; deleted on one
  side is deleted (as a delete wins over a concurrent edit of the entry in Yjs);
- a field changed on one side takes that side's value; changed on both to different values, the
  returning copy's (`theirs`) wins, as its edit is the later write;
- a text (comment text, a code param) changed on both sides is merged character by character:
  both sides' edits against the base are applied; where they overlap, both versions are kept,
  ours first;
- a wire whose node is gone after the merge is left out.
"""

from __future__ import annotations

from collections.abc import Collection
from difflib import SequenceMatcher
from typing import Any

from designer.graphs.modules import code_params

_ABSENT: Any = object()  # a field or entry missing on one side
LISTS = ("nodes", "edges", "comments")


def merge_text(base: str, theirs: str, ours: str) -> str:
    """Both sides' edits of `base`; overlapping edits keep both versions (ours, then theirs)."""
    if theirs in (base, ours):
        return ours
    if ours == base:
        return theirs
    edits = sorted(
        [
            (i1, i2, side, text)
            for side, text in ((0, ours), (1, theirs))
            for i1, i2, text in _edits(base, text)
        ],
        key=lambda e: (e[0], e[1], e[2]),
    )
    out: list[str] = []
    at = 0  # how much of the base is written
    i = 0
    while i < len(edits):
        start, end = edits[i][0], edits[i][1]
        group = [edits[i]]
        i += 1
        # An edit overlaps the group when it starts inside it, or both insert at one point.
        while i < len(edits) and (edits[i][0] < end or edits[i][0] == start == end):
            end = max(end, edits[i][1])
            group.append(edits[i])
            i += 1
        out.append(base[at:start])
        versions = []
        for side in (0, 1):
            mine = [e for e in group if e[2] == side]
            if mine:
                versions.append(_apply(base, start, end, mine))
        if len(versions) == 2 and versions[0] == versions[1]:
            versions.pop()
        out.extend(versions)
        at = end
    out.append(base[at:])
    return "".join(out)


def _edits(base: str, text: str) -> list[tuple[int, int, str]]:
    """`text` as replacements of ranges of `base` (character level)."""
    matcher = SequenceMatcher(None, base, text, autojunk=False)
    return [
        (i1, i2, text[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _apply(base: str, start: int, end: int, edits: list[tuple[int, int, int, str]]) -> str:
    """base[start:end] with one side's edits inside it applied."""
    out, at = [], start
    for i1, i2, _, text in edits:
        out.append(base[at:i1])
        out.append(text)
        at = i2
    out.append(base[at:end])
    return "".join(out)


def _value(base: Any, theirs: Any, ours: Any, text: bool = False) -> Any:
    """One field's merged value (_ABSENT: the field is left out)."""
    if theirs in (base, ours):
        return ours
    if ours == base:
        return theirs
    if text and all(isinstance(v, str) for v in (base, theirs, ours)):
        return merge_text(base, theirs, ours)
    if text and isinstance(theirs, str) and isinstance(ours, str) and base is _ABSENT:
        return merge_text("", theirs, ours)
    return theirs


def _fields(
    base: dict[str, Any],
    theirs: dict[str, Any],
    ours: dict[str, Any],
    texts: Collection[str] = (),
    param_texts: Collection[str] | None = None,
) -> dict[str, Any]:
    """A dict merged key by key; a node's `params` (when `param_texts`, its code params, is
    given) merged the same way."""
    out: dict[str, Any] = {}
    for key in [*ours, *(k for k in theirs if k not in ours)]:
        b, t, o = base.get(key, _ABSENT), theirs.get(key, _ABSENT), ours.get(key, _ABSENT)
        if (
            param_texts is not None
            and key == "params"
            and isinstance(t, dict)
            and isinstance(o, dict)
        ):
            value: Any = _fields(b if isinstance(b, dict) else {}, t, o, param_texts)
        else:
            value = _value(b, t, o, key in texts)
        if value is not _ABSENT:
            out[key] = value
    return out


def _entry(name: str, base: Any, theirs: Any, ours: Any) -> Any:
    """One entry present on both sides, merged field by field."""
    if name == "edges":  # a wire never changes: added or deleted
        return _value(base, theirs, ours)
    if name == "comments":
        return _fields(base if isinstance(base, dict) else {}, theirs, ours, ("text",))
    module = ours.get("module") if isinstance(ours, dict) else None
    texts = code_params(module) if isinstance(module, str) else ()
    return _fields(base if isinstance(base, dict) else {}, theirs, ours, (), texts)


def _keyed(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def _collection(name: str, base: list[Any], theirs: list[Any], ours: list[Any]) -> list[Any]:
    """A list of entries by id: ours in its order, then what theirs added, in its order."""
    b, t, o = _keyed(base), _keyed(theirs), _keyed(ours)
    out = []
    for key, mine in o.items():
        if key in b and key not in t:
            continue  # they deleted it
        out.append(_entry(name, b.get(key, _ABSENT), t[key], mine) if key in t else mine)
    out += [item for key, item in t.items() if key not in o and key not in b]
    return out


def carry(base: dict[str, Any], theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """`ours` with the changes `theirs` made to `base` (canonical graph documents)."""
    merged = {**ours}
    for name in LISTS:
        merged[name] = _collection(name, base[name], theirs[name], ours[name])
    parameters = {}
    for key in [
        *ours["parameters"],
        *(k for k in theirs["parameters"] if k not in ours["parameters"]),
    ]:
        b = base["parameters"].get(key, _ABSENT)
        value = _value(
            b, theirs["parameters"].get(key, _ABSENT), ours["parameters"].get(key, _ABSENT)
        )
        if value is not _ABSENT:
            parameters[key] = value
    merged["parameters"] = parameters
    ids = {node["id"] for node in merged["nodes"]}
    merged["edges"] = [
        e for e in merged["edges"] if {e["source"]["node"], e["target"]["node"]} <= ids
    ]
    return merged
