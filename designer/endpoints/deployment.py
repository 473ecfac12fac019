"""Real-time endpoints in the artifact store: each version's compiled scorer as a
content-addressed bundle (its digest saved on the version's row), and the routing table the
scoring processes read (versions and their bundles, default, split, keys) as a create-once
record (serving/routes.py). Web hosts and scoring processes share the store, never a folder;
what a host keeps on disk is a cache (decision 0039).

The routing table is always published whole from the database, after the change that calls
for it has committed: whichever writer creates the newest record read the database after every
commit before it, so the table never goes back to an older state. The scoring processes pick
up a new table on their next call, or within `DESIGNER_SCORING_REFRESH_SECONDS` on a bucket
(decision 0020).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.http.request import split_domain_port

from designer.endpoints.models import Endpoint, EndpointKey, EndpointKind, EndpointVersion
from designer.engine.store import ArtifactStore
from designer.runs import engine_setup
from designer.runs.inference import build_version_scorer
from designer.serving import bundles, routes
from designer.serving.routes import EndpointRoute, KeyRoute, RouteTable
from designer.serving.scorer import Scorer

logger = logging.getLogger(__name__)


def store() -> ArtifactStore:
    """Where bundles, the routing table and the scoring figures live: the artifact store."""
    return engine_setup.artifact_store()


def deploy(version: EndpointVersion, scorer: Scorer) -> None:
    """Store a version's bundle and name it on the version (saved with the caller's
    transaction; a rolled-back one leaves a bundle nothing names, collected later)."""
    version.bundle = bundles.put(store(), scorer)
    version.save(update_fields=["bundle"])


def deployed_scorer(version: EndpointVersion) -> Scorer | None:
    """A version's scorer as its bundle holds it (None when it has none; BundleError)."""
    return bundles.load(store(), version.bundle) if version.bundle else None


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
    deployed = EndpointVersion.objects.filter(endpoint__kind=EndpointKind.REALTIME).exclude(
        bundle=""
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
        dict(deployed.values_list("pk", "bundle")),
    )


def publish_routes() -> bool:
    """Publish the routing table from the database (False when the current one says it)."""
    return routes.publish(store(), routing_table)


@dataclass
class SyncReport:
    """What `sync` did."""

    deployed: list[int] = field(default_factory=list)  # version ids built again
    failed: dict[int, str] = field(default_factory=dict)  # version id → why it could not be


def sync(rebuild: bool = False) -> SyncReport:
    """Make the store match the database: build the bundles that are missing (all with
    `rebuild`, e.g. after an upgrade), then publish the routes."""
    report = SyncReport()
    target = store()
    versions = EndpointVersion.objects.filter(endpoint__kind=EndpointKind.REALTIME).select_related(
        "graph_version__graph"
    )
    for version in versions:
        if version.bundle and target.exists(version.bundle) and not rebuild:
            continue
        try:
            deploy(version, build_version_scorer(version.graph_version))
        except Exception as exc:  # one broken version must not stop the others
            logger.exception("could not deploy endpoint version %s", version.pk)
            report.failed[version.pk] = str(getattr(exc, "detail", exc))
            continue
        report.deployed.append(version.pk)
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
