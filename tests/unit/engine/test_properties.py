"""Property tests: random DAGs compile in edge order; random garbage gives issues, never crashes;
parse → serialize → parse is the identity; a fingerprint and its material's text built from
encoded parts are those of the whole."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import fingerprint, keyed, material
from designer.engine.compile import CompileError, compile_document
from designer.engine.hashing import canonical_json
from designer.engine.issues import Issue
from designer.engine.plan import InputWire, Plan, Step
from designer.engine.schema import GraphFormatError, dumps, loads, parse_graph
from designer.engine.types import PortType
from designer.engine.validate import validate, validate_document
from tests.support.registry import registry

REG = registry()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ids = st.text("abcdefghij0123456789_-", min_size=1, max_size=6)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
param_values = json_scalars | st.lists(st.text(max_size=5), max_size=3)


@st.composite
def dags(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A random valid DAG of test.noop2@1 nodes (inputs a, b optional), shuffled in the document."""
    n = draw(st.integers(1, 14))
    names = [f"n{i}" for i in range(n)]
    edges: list[tuple[str, str]] = []
    wires = []
    for j in range(1, n):
        sources = draw(st.lists(st.integers(0, j - 1), max_size=2, unique=True))
        for port, i in zip(("a", "b"), sources, strict=False):
            edges.append((names[i], names[j]))
            wires.append(
                {
                    "id": f"e{len(wires)}",
                    "source": {"node": names[i], "port": "out"},
                    "target": {"node": names[j], "port": port},
                }
            )
    shuffled = draw(st.permutations(names))
    doc = {
        "schema_version": 1,
        "nodes": [{"id": k, "module": "test.noop2@1"} for k in shuffled],
        "edges": draw(st.permutations(wires)),
    }
    return doc, edges


@FAST
@given(dags())
def test_random_dags_compile_to_an_order_that_respects_every_edge(
    case: tuple[dict[str, Any], list[tuple[str, str]]],
) -> None:
    doc, edges = case
    plan = compile_document(doc, REG)
    position = {k: i for i, k in enumerate(plan.order)}
    assert sorted(position) == sorted(n["id"] for n in doc["nodes"])
    for src, dst in edges:
        assert position[src] < position[dst]
        assert src in plan.step(dst).dependencies
    assert Plan.from_dict(json.loads(plan.to_json())) == plan
    for key in plan.order[:3]:
        sub = plan.run_from(key)
        assert {s.key for s in sub.steps if s.mode == "run"} == {key, *plan.downstream(key)}
        only = plan.run_only(key)
        assert [s.key for s in only.steps if s.mode == "run"] == [key]


MODULES = [
    "test.noop@1",
    "test.noop2@1",
    "test.add@1",
    "test.kitchen@1",
    "test.frame@1",
    "test.head@1",
    "test.model@1",
    "nope@1",
    "test.add@3",
    "bad",
]
PORTS = ["in", "out", "a", "b", "dataset", "metrics", "zzz"]


@st.composite
def broken_graphs(draw: st.DrawFn) -> dict[str, Any]:
    """Structurally valid documents with random (often wrong) modules, wiring and params."""
    node_ids = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=0, max_size=7))
    nodes = [
        {
            "id": k,
            "module": draw(st.sampled_from(MODULES)),
            "params": draw(
                st.dictionaries(
                    st.sampled_from(
                        [
                            "value",
                            "amount",
                            "count",
                            "ratio",
                            "color",
                            "columns",
                            "needed",
                            "seed",
                            "x",
                        ]
                    ),
                    json_scalars | st.sampled_from(["$p", "$q", "$$p", [], ["c"]]),
                    max_size=4,
                )
            ),
        }
        for k in node_ids
    ]
    endpoints = st.sampled_from(["a", "b", "c", "d", "e", "ghost"])
    edges = [
        {
            "id": draw(st.sampled_from(["e1", "e2", "e3", "e4", "e5", "e6"])),
            "source": {"node": draw(endpoints), "port": draw(st.sampled_from(PORTS))},
            "target": {"node": draw(endpoints), "port": draw(st.sampled_from(PORTS))},
        }
        for _ in range(draw(st.integers(0, 8)))
    ]
    parameters = draw(
        st.dictionaries(
            st.sampled_from(["p", "r"]),
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["int", "float", "bool", "string"]),
                    "default": json_scalars,
                }
            ),
            max_size=2,
        )
    )
    return {"schema_version": 1, "nodes": nodes, "edges": edges, "parameters": parameters}


@FAST
@given(
    broken_graphs(),
    st.none() | st.dictionaries(st.sampled_from(["p", "r", "s"]), json_scalars, max_size=3),
)
def test_random_broken_graphs_give_issues_never_exceptions(
    doc: dict[str, Any], values: dict[str, Any] | None
) -> None:
    graph = parse_graph(doc)
    issues = validate(graph, REG, values)
    assert all(isinstance(i, Issue) and i.code and i.message for i in issues)
    json.dumps([i.to_dict() for i in issues])
    try:
        plan = compile_document(doc, REG, values)
    except CompileError as exc:
        assert exc.issues
    else:
        assert not validate(graph, REG, values or {})
        assert Plan.from_dict(json.loads(plan.to_json())) == plan


@FAST
@given(json_values)
def test_random_json_gives_issues_never_exceptions(data: Any) -> None:
    graph, issues = validate_document(data, REG)
    assert graph is None or isinstance(issues, list)
    if graph is None:
        assert issues


@FAST
@given(
    st.dictionaries(
        st.sampled_from(["schema_version", "nodes", "edges", "parameters", "comments", "x"]),
        json_values,
    )
)
def test_random_documents_give_issues_never_exceptions(data: dict[str, Any]) -> None:
    validate_document(data, REG)


positions = st.fixed_dictionaries(
    {
        "x": st.floats(-1e6, 1e6, allow_nan=False) | st.integers(-1000, 1000),
        "y": st.floats(-1e6, 1e6, allow_nan=False),
    }
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """Well-formed documents (any modules and params) for the round trip."""
    node_ids = draw(st.lists(ids, max_size=6, unique=True))
    nodes = []
    for k in node_ids:
        n: dict[str, Any] = {
            "id": k,
            "module": draw(st.sampled_from(MODULES)),
            "params": draw(
                st.dictionaries(st.text(min_size=1, max_size=5), param_values, max_size=3)
            ),
            "position": draw(positions),
        }
        if draw(st.booleans()):
            n["label"] = draw(st.text(max_size=10))
        nodes.append(n)
    edges = [
        {
            "id": f"e{i}",
            "source": {"node": draw(ids), "port": draw(ids)},
            "target": {"node": draw(ids), "port": draw(ids)},
        }
        for i in range(draw(st.integers(0, 4)))
    ]
    comments = []
    for i in range(draw(st.integers(0, 2))):
        c: dict[str, Any] = {
            "id": f"c{i}",
            "text": draw(st.text(max_size=20)),
            "position": draw(positions),
        }
        if draw(st.booleans()):
            c["width"] = draw(st.integers(1, 500))
        comments.append(c)
    parameters = draw(
        st.dictionaries(
            ids,
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["int", "float", "string"]),
                    "default": json_scalars,
                    "description": st.text(max_size=10),
                }
            ),
            max_size=3,
        )
    )
    return {
        "schema_version": 1,
        "nodes": nodes,
        "edges": edges,
        "comments": comments,
        "parameters": parameters,
    }


@FAST
@given(documents())
def test_parse_serialize_parse_is_identity(doc: dict[str, Any]) -> None:
    first = parse_graph(doc)
    text = dumps(first)
    second = loads(text)
    assert second == first
    assert dumps(second) == text


def test_non_finite_numbers_are_not_json() -> None:
    doc = {
        "schema_version": 1,
        "nodes": [{"id": "a", "module": "m@1", "params": {"x": float("nan")}}],
        "edges": [],
    }
    try:
        parse_graph(doc)
    except GraphFormatError as exc:
        assert exc.issues[0].field == "nodes[0].params.x"
    else:
        raise AssertionError("NaN accepted")


@FAST
@given(
    json_values.filter(
        lambda v: (
            isinstance(v, dict)
            or (isinstance(v, list) and v and not all(isinstance(i, str) for i in v))
        )
    )
)
def test_param_values_are_scalars_or_lists_of_texts(value: Any) -> None:
    doc = {
        "schema_version": 1,
        "nodes": [{"id": "a", "module": "m@1", "params": {"x": value}}],
        "edges": [],
    }
    try:
        parse_graph(doc)
    except GraphFormatError as exc:
        assert [i.field for i in exc.issues] == ["nodes[0].params.x"]
    else:
        raise AssertionError(f"{value!r} accepted as a param value")


texts = st.text(max_size=8)  # any characters: quotes, backslashes, control and non-ASCII ones


@st.composite
def keyed_steps(draw: st.DrawFn) -> tuple[Step, dict[str, dict[str, OutputRecord]]]:
    """A step with random texts everywhere its fingerprint reads, and its upstream outputs."""
    wires, upstream = [], {}
    for port in draw(st.lists(texts, max_size=5, unique=True)):
        if draw(st.booleans()):
            wires.append(InputWire(port, PortType.ANY))
            continue
        source, out = draw(texts), draw(texts)
        record = OutputRecord(draw(texts), draw(texts), 1, {})
        upstream.setdefault(source, {})[out] = record
        wires.append(InputWire(port, PortType.ANY, source, out))
    step = Step(
        draw(texts),
        draw(texts),
        "m:f",
        draw(texts),
        canonical_json(draw(st.dictionaries(texts, json_values, max_size=3))),
        inputs=tuple(wires),
        environment_image=draw(st.none() | texts),
        environment_image_id=draw(st.none() | texts),
        environment_requirements=tuple(draw(st.lists(texts, max_size=2))),
    )
    return step, upstream


@FAST
@given(keyed_steps())
def test_a_fingerprint_built_from_encoded_parts_is_the_one_of_the_whole_material(
    case: tuple[Step, dict[str, dict[str, OutputRecord]]],
) -> None:
    step, upstream = case
    mat = material(step, upstream)
    assert keyed(step, upstream) == (mat, fingerprint(mat), canonical_json(mat))


@FAST
@given(json_values)
def test_canonical_json_is_sorted_compact_utf8_json(value: Any) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(value) == expected
