"""Edits of a graph's Y document as the browser makes them (frontend/src/graph/shared.ts), and a
seeded generator of random ones for the convergence tests and bench/collab.py."""

from __future__ import annotations

import random
from typing import Any

from pycrdt import Map, Text

Roots = dict[str, Map]
SCRIPT = "script.python@1"  # its `code` param is shared text
MODULES = ("data.sample_dataset@1", "transform.normalize@1", "transform.split_rows@1", SCRIPT)


# A graph with one script (`n1`) and one note (`c1`): the shared texts tests type into.
SCRIPT_AND_NOTE: dict[str, Any] = {
    "schema_version": 1,
    "parameters": {},
    "nodes": [
        {"id": "n1", "module": SCRIPT, "params": {"code": "x = 1\n"}, "position": {"x": 0, "y": 0}}
    ],
    "edges": [],
    "comments": [{"id": "c1", "text": "note", "position": {"x": 400, "y": 0}}],
}


def next_order(root: Map) -> float:
    """The order of an entry added at the end."""
    return max((float(v["order"]) for v in root.values()), default=-1.0) + 1


def add_node(roots: Roots, node_id: str, module: str, x: float = 0, y: float = 0) -> None:
    """Add a node; a script gets its code as a Y.Text with the entry (as the browser does)."""
    roots["nodes"][node_id] = Map(
        {
            "module": module,
            "params": Map({"code": Text("def azureml_main(df):\n    return df\n")})
            if module == SCRIPT
            else Map({}),
            "position": {"x": x, "y": y},
            "order": next_order(roots["nodes"]),
        }
    )


def move(roots: Roots, node_id: str, x: float, y: float) -> None:
    if node_id in roots["nodes"]:
        roots["nodes"][node_id]["position"] = {"x": x, "y": y}


def set_param(roots: Roots, node_id: str, name: str, value: Any) -> None:
    if node_id in roots["nodes"]:
        roots["nodes"][node_id]["params"][name] = value


def set_label(roots: Roots, node_id: str, label: str) -> None:
    if node_id in roots["nodes"]:
        roots["nodes"][node_id]["label"] = label


def remove_node(roots: Roots, node_id: str) -> None:
    """Delete a node and the wires it has (as deleteOperations does)."""
    for edge_id, edge in list(roots["edges"].items()):
        if node_id in (edge["source"]["node"], edge["target"]["node"]):
            del roots["edges"][edge_id]
    if node_id in roots["nodes"]:
        del roots["nodes"][node_id]


def wire(roots: Roots, edge_id: str, source: str, target: str) -> None:
    roots["edges"][edge_id] = {
        "source": {"node": source, "port": "dataset"},
        "target": {"node": target, "port": "dataset"},
        "order": next_order(roots["edges"]),
    }


def add_comment(roots: Roots, comment_id: str, text: str) -> None:
    roots["comments"][comment_id] = Map(
        {"text": Text(text), "position": {"x": 0, "y": 0}, "order": next_order(roots["comments"])}
    )


def shared_texts(roots: Roots) -> list[Text]:
    """Every shared text of the document: scripts' code and comments' text."""
    code = [n["params"].get("code") for n in roots["nodes"].values()]
    notes = [c.get("text") for c in roots["comments"].values()]
    return [t for t in code + notes if isinstance(t, Text)]


def type_into(text: Text, rng: random.Random) -> None:
    """Type a few characters somewhere in a text, or delete a few (ASCII: offsets are bytes)."""
    length = len(text)
    at = rng.randint(0, length)
    if length and rng.random() < 0.35:
        del text[at - 1 if at == length else at : min(length, at + rng.randint(1, 4))]
    else:
        text.insert(at, "".join(rng.choice("abc xyz\n") for _ in range(rng.randint(1, 5))))


def set_parameter(roots: Roots, name: str, default: float) -> None:
    roots["parameters"][name] = {"type": "float", "default": default, "description": ""}


class RandomEditor:
    """Random edits of one client: adds, moves, param edits, labels, wires, deletes, comments,
    pipeline parameters and typing into scripts and comments, on whatever the client's copy
    holds at the time."""

    def __init__(self, seed: int, tag: str) -> None:
        self.rng = random.Random(seed)
        self.tag = tag
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}_{self.tag}"

    def edit(self, roots: Roots) -> str:
        """Make one random edit; returns what it did."""
        nodes = list(roots["nodes"].keys())
        choice = self.rng.choice(
            [
                "add",
                "add",
                "move",
                "move",
                "param",
                "label",
                "wire",
                "unwire",
                "remove",
                "comment",
                "parameter",
                "type",
                "type",
                "type",
            ]
        )
        if choice == "type" and (texts := shared_texts(roots)):
            type_into(self.rng.choice(texts), self.rng)
            return "type"
        if choice == "add" or not nodes:
            node_id = self.fresh("n")
            add_node(roots, node_id, self.rng.choice(MODULES), self.rng.randint(0, 900), 0)
            return f"add {node_id}"
        node = self.rng.choice(nodes)
        if choice == "move":
            move(roots, node, self.rng.randint(0, 900), self.rng.randint(0, 900))
        elif choice == "param":
            set_param(roots, node, self.rng.choice(["seed", "fraction"]), self.rng.randint(0, 99))
        elif choice == "label":
            set_label(roots, node, f"label {self.rng.randint(0, 99)}")
        elif choice == "wire":
            wire(roots, self.fresh("e"), node, self.rng.choice(nodes))
        elif choice == "unwire" and len(roots["edges"]):
            del roots["edges"][self.rng.choice(list(roots["edges"].keys()))]
        elif choice == "remove":
            remove_node(roots, node)
        elif choice == "comment":
            add_comment(roots, self.fresh("c"), f"note {self.rng.randint(0, 99)}")
        else:
            set_parameter(roots, self.rng.choice(["rate", "depth"]), self.rng.random())
        return f"{choice} {node}"
