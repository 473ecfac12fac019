"""The graph document as a shared Y document (pycrdt): the mapping both ways, and its checks.

Root maps of the Y document, each keyed by id (parameters by name):

- `nodes`: id → Y.Map {module, params: Y.Map name → JSON value (a code param: Y.Text),
  position {x, y}, label?, execution? {timeout?, retries?}, order}
- `edges`: id → {source {node, port}, target {node, port}, order}           (one atomic value)
- `comments`: id → Y.Map {text: Y.Text, position {x, y}, width?, height?, order}
- `parameters`: name → {type, default, description}                        (one atomic value)

A key per field, so concurrent edits of different fields of one node (a move and a param edit)
both survive, and the last writer wins per field (a position is one value: x and y never mix;
so are a node's execution limits). Text people type together — comment text and code params
(`ParamType.CODE`: scripts, SQL, custom modules' code) — is a Y.Text, merged character by
character; both projections read it as a string.
`order` keeps the document's order (ties broken by id). frontend/src/graph/shared.ts is the
same mapping in the browser; both give the same document for the same Y state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from typing import Any

from pycrdt import Doc, Map, Text, get_update, merge_updates

from designer.engine.issues import Issue
from designer.engine.schema import SCHEMA_VERSION, GraphFormatError, graph_to_dict, parse_graph
from designer.graphs.modules import code_params

ROOTS = ("nodes", "edges", "comments", "parameters")
LISTS = ("nodes", "edges", "comments")  # kept in `order`; parameters sort by name
NESTED = {"nodes": ("params",), "comments": ()}  # roots whose entries are Y.Maps (and sub-maps)


class SharedDocError(ValueError):
    """A Y document (or an update to one) breaks the mapping; `issues` names every problem."""

    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


def roots(doc: Doc) -> dict[str, Map]:
    """The four root maps of a graph's Y document."""
    return {name: doc.get(name, type=Map) for name in ROOTS}


def took_whole(doc: Doc, update: bytes) -> bool:
    """Whether `doc` holds every change `update` makes (none waits in it for one it builds
    on): what the update has beyond the document's state vector lists no client."""
    return get_update(update, doc.get_state())[0] == 0


def pycrdt_panicked(exc: BaseException) -> bool:
    """Whether pycrdt's Rust code panicked (pyo3 raises its PanicException, a BaseException)."""
    return type(exc).__module__ == "pyo3_runtime"


def doc_from_state(state: bytes | None) -> Doc:
    """A Y document holding `state` (a whole-document update), its roots ready."""
    doc = Doc()
    roots(doc)
    if state:
        doc.apply_update(state)
    return doc


def text_fields(root: str, entry: Any) -> tuple[Collection[str], Collection[str]]:
    """The fields of an entry of `root` that are shared text: (its own, its params')."""
    if root == "comments":
        return ("text",), ()
    module = entry.get("module") if isinstance(entry, (dict, Map)) else None
    return (), code_params(module) if root == "nodes" and isinstance(module, str) else ()


def _plain(value: Any) -> Any:
    """JSON from a Y value: Y numbers are floats; integral ones are ints, as JSON.parse gives."""
    if isinstance(value, (Map, Text)):
        value = value.to_py()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _order(raw: dict[str, Any]) -> float:
    order = raw.get("order", 0)
    return float(order) if isinstance(order, (int, float)) and math.isfinite(order) else 0.0


def _entries(root: Map) -> list[dict[str, Any]]:
    """A list root's entries as document JSON, in `order` (ties by id)."""
    out = []
    for key, value in root.items():
        raw = _plain(value)
        item = {"id": key, **raw} if isinstance(raw, dict) else {"id": key, "__value__": raw}
        out.append((_order(item), key, item))
    out.sort(key=lambda entry: (entry[0], entry[1]))
    return [{k: v for k, v in item.items() if k != "order"} for _, _, item in out]


def _ends(edge: dict[str, Any]) -> tuple[Any, Any]:
    source, target = edge.get("source"), edge.get("target")
    return (
        source.get("node") if isinstance(source, dict) else None,
        target.get("node") if isinstance(target, dict) else None,
    )


def raw_document(doc: Doc) -> dict[str, Any]:
    """The document as the Y state spells it, before the engine's structural checks.

    A wire whose node is gone is left out: someone deleted the node while someone else wired it.
    """
    r = roots(doc)
    nodes = _entries(r["nodes"])
    ids = {node["id"] for node in nodes}
    edges = [e for e in _entries(r["edges"]) if all(end in ids for end in _ends(e))]
    return {
        "schema_version": SCHEMA_VERSION,
        "parameters": {k: _plain(v) for k, v in sorted(r["parameters"].items())},
        "nodes": nodes,
        "edges": edges,
        "comments": _entries(r["comments"]),
    }


def document(doc: Doc) -> dict[str, Any]:
    """The graph document (canonical JSON) of a Y document; raises SharedDocError if malformed."""
    try:
        return graph_to_dict(parse_graph(raw_document(doc)))
    except GraphFormatError as exc:
        raise SharedDocError(exc.issues) from exc


def lenient_document(doc: Doc) -> tuple[dict[str, Any], list[Issue]]:
    """The document without the entries that break the schema (and the issues naming them)."""
    raw = raw_document(doc)
    try:
        return graph_to_dict(parse_graph(raw)), []
    except GraphFormatError as exc:
        issues = exc.issues
    dropped: dict[str, set[int]] = {name: set() for name in LISTS}
    bad_parameters = {i.param for i in issues if i.field and i.field.startswith("parameters.")}
    for issue in issues:
        head = (issue.field or "").split(".", 1)[0]
        name, _, index = head.partition("[")
        if name in dropped and index.rstrip("]").isdigit():
            dropped[name].add(int(index.rstrip("]")))
    kept = {
        **raw,
        "parameters": {k: v for k, v in raw["parameters"].items() if k not in bad_parameters},
        **{name: [e for i, e in enumerate(raw[name]) if i not in dropped[name]] for name in LISTS},
    }
    return graph_to_dict(parse_graph(kept)), issues


def document_of_state(state: bytes, *updates: bytes) -> dict[str, Any]:
    """The document (lenient_document) of a state with some updates applied."""
    doc = doc_from_state(state)
    for update in updates:
        doc.apply_update(update)
    return lenient_document(doc)[0]


def check_entries(
    doc: Doc, touched: dict[str, set[str]], maps: dict[str, Map] | None = None
) -> None:
    """Check the touched entries (root → keys) of a Y document; raise SharedDocError naming each.

    Entries must have the Y types the browser edits through (a node and a comment are Y.Maps, a
    node's params a Y.Map), an `order` number, and pass the engine's structural checks. `maps`:
    the document's roots, when the caller holds them already (looking them up costs more than
    checking one entry).
    """
    r = maps if maps is not None else roots(doc)
    issues: list[Issue] = []
    if extra := set(doc.keys()) - set(ROOTS):
        issues.append(Issue("invalid_document", f"unknown root types: {sorted(extra)}"))
    partial: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "parameters": {}}
    for name in LISTS:
        partial[name] = []
        for key in sorted(touched.get(name, ())):
            if key not in r[name]:
                continue  # deleted
            value = r[name][key]
            where = f"{name}.{key}"
            if name in NESTED and not isinstance(value, Map):
                issues.append(Issue("invalid_document", f"{where}: expected a Y.Map"))
                continue
            for sub in NESTED.get(name, ()):
                if sub in value and not isinstance(value[sub], Map):
                    issues.append(Issue("invalid_document", f"{where}.{sub}: expected a Y.Map"))
            issues += _plain_text_issues(name, value, where)
            raw = _plain(value)
            if not isinstance(raw, dict):
                issues.append(Issue("invalid_document", f"{where}: expected an object"))
                continue
            order = raw.pop("order", None)
            if not isinstance(order, (int, float)) or not math.isfinite(order):
                issues.append(Issue("invalid_document", f"{where}.order: expected a number"))
            partial[name].append({"id": key, **raw})
    for key in sorted(touched.get("parameters", ())):
        if key in r["parameters"]:
            partial["parameters"][key] = _plain(r["parameters"][key])
    try:
        parse_graph(partial)
    except GraphFormatError as exc:
        issues.extend(exc.issues)
    if issues:
        raise SharedDocError(issues)


def _text_places(root: str, entry: Map) -> list[tuple[Map, Collection[str], str]]:
    """Where an entry's shared text lives: (map, its text fields, the path to name it by)."""
    own, in_params = text_fields(root, entry)
    places = [(entry, own, "")]
    if isinstance(params := entry.get("params"), Map):
        places.append((params, in_params, ".params"))
    return places


def _plain_text_issues(root: str, entry: Map, where: str) -> list[Issue]:
    """A text field set as a plain string: it would replace the Y.Text and what others typed."""
    return [
        Issue("invalid_document", f"{where}{path}.{key}: expected a Y.Text")
        for target, keys, path in _text_places(root, entry)
        for key in sorted(keys)
        if isinstance(target.get(key), str)
    ]


def upgrade_text(doc: Doc) -> bool:
    """Turn plain strings where shared text belongs (comment text, code params; states saved
    before they were Y.Text) into Y.Text; True if any changed. Only one writer may do this (the
    server, under the graph's row lock): two replicas each making a Y.Text for the same field
    would keep one of them and lose what was typed into the other."""
    r = roots(doc)
    changed = False
    with doc.transaction():
        for name in NESTED:
            for entry in r[name].values():
                if not isinstance(entry, Map):
                    continue
                for target, keys, _ in _text_places(name, entry):
                    for key in keys:
                        if isinstance(value := target.get(key), str):
                            target[key] = Text(value)
                            changed = True
    return changed


class WatchedDoc:
    """A Y document that records what changes it: the entries touched (root → keys) and the
    changes as updates, since the last `reset`. Its observers stay subscribed: subscribing
    around each update cost three times the update itself."""

    def __init__(self, state: bytes | None) -> None:
        self.doc = doc_from_state(state)
        self.roots = roots(self.doc)
        self.touched: dict[str, set[str]] = {name: set() for name in ROOTS}
        self.changes: list[bytes] = []
        self._subscription = self.doc.observe(lambda event: self.changes.append(event.update))
        self._watch()

    def _watch(self) -> None:
        self._watching = [
            (root, root.observe_deep(self._recorder(self.touched[name])))
            for name, root in self.roots.items()
        ]

    @staticmethod
    def _recorder(touched: set[str]) -> Callable[[list[Any]], None]:
        def record(events: list[Any]) -> None:
            for event in events:
                if event.path:
                    touched.add(str(event.path[0]))
                else:
                    touched.update(getattr(event, "keys", {}))

        return record

    def reset(self) -> None:
        """Forget what was recorded so far."""
        for keys in self.touched.values():
            keys.clear()
        self.changes.clear()

    def apply(self, update: bytes) -> bytes | None:
        """Apply an update (raises on malformed bytes); return what it changed, or None.
        `touched` then names the entries it changed."""
        self.reset()
        self.doc.apply_update(update)
        if not self.changes:
            return None
        return self.changes[0] if len(self.changes) == 1 else merge_updates(*self.changes)

    def touch_all(self) -> None:
        """Count every entry as touched (what `check` checks)."""
        for name, root in self.roots.items():
            self.touched[name].update(root.keys())

    def take(self, update: bytes) -> None:
        """Apply an update that needs no check without reading its events: pycrdt 0.14 can
        panic reading a map's changed keys when updates that waited for others come in."""
        for root, subscription in self._watching:
            root.unobserve(subscription)
        try:
            self.doc.apply_update(update)
        finally:
            self._watch()

    def check(self) -> None:
        """Check the entries the last update touched (check_entries)."""
        check_entries(self.doc, self.touched, self.roots)


def _set(target: Map, key: str, value: Any) -> None:
    """Set a field unless it already holds that value (an unchanged field is no change)."""
    if key not in target or _plain(target[key]) != _plain(value):
        target[key] = value


def _shared_start(a: str, b: str) -> int:
    """How many characters `a` and `b` begin with in common."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def write_text(text: Text, value: str) -> None:
    """Make a Y.Text hold `value` by the smallest edit (the changed span deleted and inserted), so
    what someone types elsewhere in it meanwhile survives."""
    old = str(text)
    if old == value:
        return
    start = _shared_start(old, value)
    end = _shared_start(old[start:][::-1], value[start:][::-1])
    at = len(old[:start].encode())  # pycrdt's offsets count UTF-8 bytes
    if removed := len(old[start : len(old) - end].encode()):
        del text[at : at + removed]
    if inserted := value[start : len(value) - end]:
        text.insert(at, inserted)


def _set_field(target: Map, key: str, value: Any, texts: Collection[str]) -> None:
    """`_set`, but a text field's string is written into its Y.Text (made if it is missing or a
    plain string)."""
    if key not in texts or not isinstance(value, str):
        _set(target, key, value)
    elif isinstance(current := target.get(key), Text):
        write_text(current, value)
    else:
        target[key] = Text(value)


def _write_fields(
    target: Map,
    fields: dict[str, Any],
    nested: tuple[str, ...],
    optional: tuple[str, ...],
    texts: tuple[Collection[str], Collection[str]],
) -> None:
    own, in_nested = texts
    for key, value in fields.items():
        if key in nested:
            if not isinstance(target.get(key), Map):
                target[key] = Map()
            sub = target[key]
            for gone in [k for k in sub if k not in value]:
                del sub[gone]
            for k, v in value.items():
                _set_field(sub, k, v, in_nested)
        else:
            _set_field(target, key, value, own)
    for key in optional:
        if key not in fields and key in target:
            del target[key]


ENTRY_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # root: (nested Y.Map fields, optional fields)
    "nodes": (("params",), ("label", "execution")),
    "comments": ((), ("width", "height")),
}


def write_document(doc: Doc, graph: dict[str, Any], origin: Any = None) -> None:
    """Make the Y document hold `graph` (a canonical document), changing only what differs: a
    changed text by the smallest edit of its Y.Text (write_text), so a concurrent typist's
    characters survive a REST save or an import."""
    r = roots(doc)
    with doc.transaction(origin=origin):
        for name in LISTS:
            wanted = {item["id"]: (index, item) for index, item in enumerate(graph[name])}
            root = r[name]
            for gone in [key for key in root if key not in wanted]:
                del root[gone]
            for key, (index, item) in wanted.items():
                fields = {k: v for k, v in item.items() if k != "id"} | {"order": index}
                if name not in ENTRY_FIELDS:
                    _set(root, key, fields)
                    continue
                nested, optional = ENTRY_FIELDS[name]
                if not isinstance(root.get(key), Map):
                    root[key] = Map()
                _write_fields(root[key], fields, nested, optional, text_fields(name, fields))
        parameters = r["parameters"]
        for gone in [key for key in parameters if key not in graph["parameters"]]:
            del parameters[gone]
        for key, value in graph["parameters"].items():
            _set(parameters, key, value)


def state_after(state: bytes | None, change: Callable[[Doc], None]) -> tuple[bytes, bytes]:
    """Apply `change` to the Y document `state` holds; return (new whole state, the update)."""
    doc = doc_from_state(state)
    before = doc.get_state()
    change(doc)
    return doc.get_update(), doc.get_update(before)
