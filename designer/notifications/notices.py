"""Deciding a finished run's notice, claiming it once, and mailing the pipeline's watchers."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from designer.notifications.mail import notice
from designer.notifications.models import NoticeKind, RunNotice, Watch, WatchScope
from designer.runs.models import Run, RunStatus

logger = logging.getLogger(__name__)
MISSED_WINDOW = timedelta(days=1)  # how far back a sweep looks for failures nobody was told of
LIVE_GRACE = timedelta(minutes=1)  # a failure this recent is left to its own process's sender
# a pipeline that keeps failing mails its watchers once in this time: an endpoint key's holder
# (or a schedule) failing a call a second would otherwise mail each of them every second
FAILING_GAP = timedelta(hours=1)


def previous_failure(run: Run) -> int | None:
    """The id of the pipeline's run that finished last before `run`, when it failed."""
    before = (
        Run.objects.filter(
            graph_version__graph_id=run.graph_version.graph_id,
            status__in=(RunStatus.SUCCEEDED, RunStatus.FAILED),
            finished_at__lte=run.finished_at,
        )
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-pk")
        .values_list("pk", "status")
        .first()
    )
    return before[0] if before and before[1] == RunStatus.FAILED else None


def told_lately(run: Run) -> bool:
    """Whether the pipeline's watchers were mailed in the last FAILING_GAP of a failure that
    finished after its last success before `run` (the failure `run` continues)."""
    graph_id = run.graph_version.graph_id
    told = RunNotice.objects.filter(
        run__graph_version__graph_id=graph_id,
        kind=NoticeKind.FAILED,
        recipients__gt=0,
        created_at__gte=timezone.now() - FAILING_GAP,
    )
    success = (
        Run.objects.filter(
            graph_version__graph_id=graph_id,
            status=RunStatus.SUCCEEDED,
            finished_at__lte=run.finished_at,
        )
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if success is not None:
        told = told.filter(run__finished_at__gt=success)
    return told.exists()


def recipients(run: Run, kind: str) -> list[str]:
    """The e-mail addresses of the pipeline's watchers to tell: members of the run's workspace
    now, active, with an address, who want this kind and did not start the run themselves when
    they asked only for others' runs."""
    watches = Watch.objects.filter(
        graph_id=run.graph_version.graph_id,
        user__is_active=True,
        user__memberships__workspace_id=run.workspace_id,
    ).exclude(user__email="")
    if kind == NoticeKind.RECOVERED:
        watches = watches.filter(recovered=True)
    mine = run.created_by_id is not None and not run.origin
    if mine:
        watches = watches.exclude(scope=WatchScope.OTHERS, user_id=run.created_by_id)
    return sorted(set(watches.values_list("user__email", flat=True)))


def notify(run_id: int) -> None:
    """Mail the watchers of a finished run's pipeline when it failed or recovered, once.

    The notice's row is claimed before anything is sent: a second call for the same run (a
    signal sent again, another process) sends nothing. A failure of a pipeline still failing
    since a failure mailed in the last FAILING_GAP is claimed and not mailed. A mail server
    that refuses is logged and its error kept on the notice; it is not tried again.
    """
    run = (
        Run.objects.select_related("graph_version__graph", "workspace", "created_by")
        .filter(pk=run_id, status__in=(RunStatus.FAILED, RunStatus.SUCCEEDED))
        .first()
    )
    if run is None:
        return
    failed_before = None
    if run.status == RunStatus.SUCCEEDED:
        failed_before = previous_failure(run)
        if failed_before is None:
            return
    kind = NoticeKind.FAILED if run.status == RunStatus.FAILED else NoticeKind.RECOVERED
    addresses = recipients(run, kind)
    if not addresses:
        return
    with transaction.atomic():
        claimed, created = RunNotice.objects.get_or_create(run_id=run.pk, defaults={"kind": kind})
    if not created or (kind == NoticeKind.FAILED and told_lately(run)):
        return  # claimed with no recipients: held back while the pipeline keeps failing
    mails = [notice(run, kind, failed_before, to) for to in addresses]
    try:
        claimed.recipients = get_connection().send_messages(mails) or 0
    except Exception as exc:  # a mail server down or refusing: logged, never raised
        logger.warning("Could not mail the %s notice of run %s: %s", kind, run.pk, exc)
        claimed.error = str(exc)[:1000]
    claimed.save(update_fields=["recipients", "error"])


def missed_failures() -> list[int]:
    """Failed runs of watched pipelines, finished in the last MISSED_WINDOW but not in the last
    LIVE_GRACE, that have no notice: the process that finished them went before its sender
    mailed (a restarted server, a recycled pool process), or nobody could be told then."""
    now = timezone.now()
    return list(
        Run.objects.filter(
            status=RunStatus.FAILED,
            finished_at__gte=now - MISSED_WINDOW,
            finished_at__lte=now - LIVE_GRACE,
            graph_version__graph__watches__isnull=False,
            notice__isnull=True,
        )
        .order_by("finished_at")
        .values_list("pk", flat=True)
        .distinct()
    )
