"""Schemathesis hooks and checks for the contract run (loaded through SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import schemathesis
from schemathesis.core.mutations import OperatorKind
from schemathesis.core.parameters import ParameterLocation


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Skip cases whose wrongness the request cannot carry:

    - made wrong only in a path parameter: schemathesis.toml pins every path parameter to a
      seeded object, which replaces the wrong value before the request is sent (Schemathesis
      4.32's coverage phase would still expect a refusal);
    - a field of a multipart/form-data body given another JSON type: a form field is text,
      so `5` goes as the text "5" and an empty array as no field at all (a dataset upload's
      optional `encoding` left out), which a valid request may send too.
    """
    if case.meta is None:
        return True
    if case.meta.is_negative_at(ParameterLocation.PATH):
        return False
    mutations = getattr(case.meta.phase.data, "mutations", ())
    return not (
        case.media_type == "multipart/form-data"
        and any(mutation.operator == OperatorKind.CHANGE_TYPE for mutation in mutations)
    )


@schemathesis.check
def undeclared_query_parameters_are_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """A query parameter the operation does not declare gets a 4xx (the API's 400 names it).
    Schemathesis's own negative_data_rejection lets extra query parameters pass, since OpenAPI
    cannot say "no others"; this server refuses them (docs/decisions/0032)."""
    declared = {parameter.name for parameter in case.operation.query}
    # what was sent (the HTTP client drops a generated parameter whose value is None)
    sent = {name for name, _ in parse_qsl(urlsplit(response.request.url).query, True)}
    unknown = sorted(sent - declared)
    if unknown and response.status_code < 400:
        raise AssertionError(
            f"Undeclared query parameters {unknown} were accepted ({response.status_code})."
        )
    return None
