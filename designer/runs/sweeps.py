"""A parameter sweep: one run of a graph version per combination of pipeline parameter values,
all started or none."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from designer.api_errors import ApiError
from designer.graphs import services as graph_services
from designer.graphs.models import Graph
from designer.runs import services
from designer.runs.models import Run

MAX_SWEEP_RUNS = 25


def combinations(values: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the values (each parameter's repeats dropped), in the order given;
    a 400 when they make more than MAX_SWEEP_RUNS."""
    names = list(values)
    choices = [_distinct(values[name]) for name in names]
    count, counted = 1, len(choices)  # the parameters counted: up to the one past the limit
    for i, options in enumerate(choices):  # stops once past it: counting on could take minutes
        count *= len(options)
        if count > MAX_SWEEP_RUNS:
            counted = i + 1
            break
    if count > MAX_SWEEP_RUNS:
        more = "at least " if any(len(o) > 1 for o in choices[counted:]) else ""
        sizes = ", ".join(
            f"{name}: {len(o)}" for name, o in zip(names[:counted], choices[:counted], strict=True)
        )
        raise ApiError(
            400,
            "sweep_too_large",
            f"A sweep starts at most {MAX_SWEEP_RUNS} runs; these values make {more}{count} "
            f"(values per parameter: {sizes}).",
        )
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]


def _distinct(options: Sequence[Any]) -> list[Any]:
    kept: list[Any] = []
    for value in options:
        if not any(value == k and type(value) is type(k) for k in kept):
            kept.append(value)
    return kept


def start_sweep(
    graph: Graph, user: Any, parameters: Mapping[str, Sequence[Any]], bypass_cache: bool
) -> list[Run]:
    """Start one run per combination of `parameters` (pipeline parameter → the values to try) on
    one version of the graph (the draft, committed if changed); a combination that cannot run
    refuses the whole sweep, naming it, and nothing is saved."""
    runs = []
    with transaction.atomic():
        version = graph_services.commit_version(
            graph.pk, user, "Saved for a sweep", only_if_changed=True
        )
        for values in combinations(parameters):
            try:
                runs.append(
                    services.start_run(
                        graph,
                        user,
                        version=version.number,
                        parameters=values,
                        bypass_cache=bypass_cache,
                    )
                )
            except ApiError as exc:
                given = ", ".join(f"{k}={v!r}" for k, v in values.items())
                exc.detail["detail"] = f"With {given}: {exc.detail['detail']}"
                raise
    return runs
