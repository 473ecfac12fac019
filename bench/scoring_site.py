"""bench/scoring.py's in-app candidate: the project's Django settings and URLs plus one plain
Django view that scores with a warm scorer, served by Daphne (DJANGO_SETTINGS_MODULE=this)."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from designer.settings import *  # noqa: F403

ROOT_URLCONF = "scoring_site_urls"


@cache
def _deployment() -> tuple[Any, Any]:
    """The warm scorers and the routing table, from the store the scoring process reads."""
    from designer.engine.store import open_store
    from designer.serving.bundles import Loaded
    from designer.serving.routes import Routes

    store = open_store(os.environ["DESIGNER_SCORING_STORE"])
    return Loaded(store), Routes(store)


def score_view(request: Any, version: int) -> Any:
    """POST rows → scored rows, through Django's whole middleware stack."""
    from django.http import JsonResponse

    from designer.serving.schema import InputError

    try:
        loaded, routes = _deployment()
        scorer = loaded.get(routes.current().bundles[version])
        rows = scorer.score_body(json.loads(request.body))
    except InputError as exc:
        return JsonResponse(exc.to_dict(), status=exc.status)
    return JsonResponse({"rows": rows})
