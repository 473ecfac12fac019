"""What this app changes in Daphne, the server it runs on (pinned with it in requirements.txt).

Twisted, under Daphne, parses every POSTed multipart/form-data body into `request.args` with the
e-mail package before Daphne hands the body to Django — which parses it again, from disk, and
Daphne never reads those args. For a 200 MB upload that first parse alone held ~1.8 GB. Daphne's
requests are told not to (Twisted's `parsePOSTFormSubmission`).
"""

from __future__ import annotations

from typing import Any

from daphne import http_protocol


class BodyPassingRequest(http_protocol.WebRequest):
    """Daphne's request, leaving POST bodies unparsed by Twisted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parsePOSTFormSubmission = False


def leave_request_bodies_to_django() -> None:
    """Make Daphne build BodyPassingRequests (its HTTP factory reads the module's WebRequest)."""
    http_protocol.WebRequest = BodyPassingRequest  # type: ignore[misc]
