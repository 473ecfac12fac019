"""Real-time endpoints on disk: each version's compiled scorer as a bundle, and the routing
table the scoring processes read (versions, default, split, keys), both in the deployment
folder `DESIGNER_SCORING_BUNDLES`.

The routing table is always written whole from the database, after the change that calls for
it has committed, under a file lock: whichever writer runs last read the database after every
commit before it, so the file never goes back to an older state. The scoring processes pick up
a new table on their next call (decision 0020).
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.http.request import split_domain_port

from designer.endpoints.models import Endpoint, EndpointKey, EndpointKind, EndpointVersion
from designer.runs.inference import build_version_scorer
from designer.serving import bundles
from designer.serving.routes import EndpointRoute, KeyRoute, RouteTable, write_routes
from designer.serving.scorer import Scorer

logger = logging.getLogger(__name__)


def folder() -> Path:
    """The deployment folder (shared by the control plane and the scoring processes)."""
    return Path(settings.DESIGNER_SCORING_BUNDLES)


def deploy(version: EndpointVersion, scorer: Scorer) -> None:
    """Write a version's bundle (atomically; the scoring processes load it on first call)."""
    bundles.deploy(folder(), version.pk, scorer)


def deployed_scorer(version: EndpointVersion) -> Scorer | None:
    """A version's scorer as its bundle holds it (None when it has none)."""
    return bundles.load(folder(), version.pk)


def remove(version_ids: list[int]) -> None:
    """Remove versions' bundles (their endpoint is gone)."""
    for version_id in version_ids:
        bundles.undeploy(folder(), version_id)


def routing_table() -> RouteTable:
    """The routing table as the database says now: every real-time endpoint with its deployed
    versions and traffic, and every live key that may call one of them."""
    endpoints = {}
    realtime = Endpoint.objects.filter(kind=EndpointKind.REALTIME).select_related(
        "default_version", "split_version"
    )
    numbers: dict[int, dict[int, int]] = {}
    for endpoint_id, number, version_id in EndpointVersion.objects.filter(
        endpoint__kind=EndpointKind.REALTIME
    ).values_list("endpoint_id", "number", "pk"):
        numbers.setdefault(endpoint_id, {})[number] = version_id
    for e in realtime:
        split = None
        if e.split_version is not None and e.split_percent > 0:
            split = (e.split_version.number, float(e.split_percent))
        endpoints[e.pk] = EndpointRoute(
            id=e.pk,
            workspace=e.workspace_id,
            enabled=e.enabled,
            versions=numbers.get(e.pk, {}),
            default=e.default_version.number if e.default_version else None,
            split=split,
            extra_columns="refuse" if e.extra_columns == "refuse" else "ignore",
            capture_errors=e.capture_errors,
        )
    workspaces = {e.workspace for e in endpoints.values()}
    keys = EndpointKey.objects.filter(revoked_at__isnull=True).filter(
        Q(endpoint__kind=EndpointKind.REALTIME)
        | Q(endpoint__isnull=True, workspace_id__in=workspaces)
    )
    return RouteTable(
        endpoints,
        {
            key.key_hash: KeyRoute(
                id=key.pk,
                workspace=key.workspace_id,
                endpoint=key.endpoint_id,
                rate_per_minute=key.rate_per_minute,
                prefix=key.prefix,
            )
            for key in keys
        },
    )


@contextmanager
def _locked() -> Iterator[None]:
    root = folder()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    with (root / ".routes.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def publish_routes() -> bool:
    """Write the routing table from the database (False when the file already says it)."""
    with _locked():
        return write_routes(folder(), routing_table())


@dataclass
class SyncReport:
    """What `sync` did."""

    deployed: list[int] = field(default_factory=list)  # version ids built again
    failed: dict[int, str] = field(default_factory=dict)  # version id → why it could not be
    removed: list[int] = field(default_factory=list)  # bundles of versions that are gone


def sync(rebuild: bool = False) -> SyncReport:
    """Make the folder match the database: build the bundles that are missing (all with
    `rebuild`, e.g. after an upgrade), remove those of deleted versions, publish the routes."""
    report = SyncReport()
    root = folder()
    present = bundles.deployed(root)
    versions = EndpointVersion.objects.filter(endpoint__kind=EndpointKind.REALTIME).select_related(
        "graph_version__graph"
    )
    wanted = set()
    for version in versions:
        wanted.add(version.pk)
        if version.pk in present and not rebuild:
            continue
        try:
            deploy(version, build_version_scorer(version.graph_version))
        except Exception as exc:  # one broken version must not stop the others
            logger.exception("could not deploy endpoint version %s", version.pk)
            report.failed[version.pk] = str(getattr(exc, "detail", exc))
            continue
        report.deployed.append(version.pk)
    report.removed = sorted(present - wanted)
    remove(report.removed)
    publish_routes()
    return report


def score_url(request: HttpRequest | None, endpoint_id: int, number: int | None = None) -> str:
    """Where callers send a real-time endpoint's rows: DESIGNER_SCORING_URL, else this
    server's host on DESIGNER_SCORING_PORT (the scoring process beside it)."""
    path = f"/score/endpoints/{endpoint_id}/" + (f"versions/{number}/" if number else "")
    if settings.DESIGNER_SCORING_URL:
        return settings.DESIGNER_SCORING_URL + path
    if request is None:
        return path
    host, _ = split_domain_port(request.get_host())
    host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{request.scheme}://{host}:{settings.DESIGNER_SCORING_PORT}{path}"
