"""The API's JSON renderer writes what DRF's writes, faster; DRF's rules hold at the edges."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from designer.api_json import JSONRenderer

PARIS = datetime.timezone(datetime.timedelta(hours=1))


def answer() -> ReturnDict:
    """What a run's answer holds: serializer dicts and lists, text, numbers, summaries."""
    column = {"name": "prix (€) 😀", "mean": 2.4000000000000004, "max": 1e300, "min": -0.0}
    step = {
        "key": "s1",
        "status": "reused",
        "outputs": {
            "dataset": {
                "digest": "a" * 64,
                "size": 2111,
                "summary": {"rows": 569, "big": 10**30, "columns": [column]},
            }
        },
    }
    return ReturnDict(
        {
            "id": 7,
            "token": uuid.UUID(int=5),
            "created_at": datetime.datetime(2026, 12, 7, 4, 13, 12, 519163, tzinfo=datetime.UTC),
            "started_at": datetime.datetime(2026, 12, 7, 5, 0, tzinfo=PARIS),
            "day": datetime.date(2026, 12, 7),
            "label": gettext_lazy("Reused"),
            "note": 'a line\u2028and a paragraph\u2029end\x00\n\t"quoted" \\ /',
            "flags": (True, False, None),
            "steps": ReturnList([step], serializer=None),
        },
        serializer=None,
    )


def test_an_answer_is_written_as_drf_writes_it() -> None:
    data = answer()
    ours, drfs = JSONRenderer().render(data), renderers.JSONRenderer().render(data)
    assert ours == drfs
    assert b"\\u2028" in ours and b"\\u2029" in ours  # JSON that is also JavaScript


def test_a_small_float_is_the_same_number_in_another_spelling() -> None:
    data = {"p": 1.5e-07, "q": 1e-05}
    ours = JSONRenderer().render(data)
    assert json.loads(ours) == data and ours != renderers.JSONRenderer().render(data)


def test_nan_is_refused_as_drf_refuses_it() -> None:
    for value in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
            JSONRenderer().render({"summary": {"mean": value}})
    assert JSONRenderer().render({"text": "NaN and Infinity"}) == b'{"text":"NaN and Infinity"}'


def test_pretty_printing_asked_for_is_drfs() -> None:
    media_type = "application/json; indent=2"
    ours = JSONRenderer().render(answer(), media_type)
    assert ours == renderers.JSONRenderer().render(answer(), media_type)
    assert b'\n  "id": 7' in ours


def test_a_value_no_encoder_knows_fails_as_under_drf() -> None:
    with pytest.raises(TypeError):
        renderers.JSONRenderer().render({"x": object()})
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})
