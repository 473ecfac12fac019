"""The graph document's OpenAPI schema (document_schemas) says what parse_graph accepts and what
graph_to_dict writes: one definition for the engine, the API schema and the front end's types."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource

from designer.engine.schema import GraphFormatError, document_schemas, graph_to_dict, parse_graph
from tests.unit.engine.test_properties import FAST, broken_graphs, documents

COMPONENTS = {"components": {"schemas": document_schemas()}}
REGISTRY = Registry().with_resource("urn:designer", Resource.opaque(COMPONENTS))


def _validator(name: str) -> OAS30Validator:
    return OAS30Validator({"$ref": f"urn:designer#/components/schemas/{name}"}, registry=REGISTRY)


TAKEN = _validator("GraphDocumentInput")
WRITTEN = _validator("GraphDocument")


@FAST
@given(documents())
def test_documents_the_engine_takes_match_the_input_schema(doc: dict[str, Any]) -> None:
    assert not list(TAKEN.iter_errors(doc))
    canonical = graph_to_dict(parse_graph(doc))
    assert not list(WRITTEN.iter_errors(canonical))


@FAST
@given(broken_graphs())
def test_the_input_schema_refuses_what_the_engine_refuses(doc: dict[str, Any]) -> None:
    try:
        parse_graph(doc)
    except GraphFormatError:
        assert list(TAKEN.iter_errors(doc)), "parse_graph refused a document the schema allows"
    else:
        assert not list(TAKEN.iter_errors(doc)), "the schema refuses a document parse_graph takes"


def test_canonical_documents_write_every_field_the_schema_requires() -> None:
    minimal = {
        "schema_version": 1,
        "nodes": [{"id": "a", "module": "m@1"}],
        "edges": [],
        "parameters": {"p": {"type": "int"}},
        "comments": [{"id": "c", "text": ""}],
    }
    assert not list(TAKEN.iter_errors(minimal))
    assert list(WRITTEN.iter_errors(minimal))
    assert not list(WRITTEN.iter_errors(graph_to_dict(parse_graph(minimal))))
