"""Watching a pipeline: a real SMTP server gets the mail when a real run fails or recovers.

Runs go through the HTTP API and the embedded coordinator; the mails through Django's SMTP
backend to an aiosmtpd server on loopback. Notices are sent one run at a time, in the order
runs finish, so a mail expected after one that is not shows that none was sent.
"""

from __future__ import annotations

import socket
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from designer.notifications import notices
from designer.notifications.models import RunNotice
from designer.notifications.sender import Sender
from designer.runs.models import Run
from designer.runs.signals import run_finished
from tests.integration.api.conftest import PUBLIC, Team
from tests.integration.api.test_graphs import put_draft
from tests.integration.api.test_runs import (
    FAILING,
    SLEEPING_SCRIPT,
    WORKING,
    chain_document,
    make_graph,
    wait_for,
)
from tests.support.processes import free_port
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db(transaction=True)
CHAIN = '"chain"'  # the pipeline's name as the mails quote it


def wait_for_notice(run_id: int, timeout: float = 30.0) -> RunNotice:
    """A run's notice once its sending is over (its row saved with the outcome)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notice = RunNotice.objects.filter(run_id=run_id).first()
        if notice is not None and (notice.recipients or notice.error):
            return notice
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} has no notice")


def watch(client: APIClient, graph: int, **choices: Any) -> dict[str, Any]:
    body = {"scope": "others", "recovered": True, **choices}  # the defaults GET gives
    response = client.put(f"/api/graphs/{graph}/watch/", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def run(client: APIClient, graph: int, **body: Any) -> dict[str, Any]:
    started = client.post(f"/api/graphs/{graph}/runs/", body, format="json")
    assert started.status_code == 201, started.json()
    return wait_for(client, started.json()["id"])


def test_watchers_are_mailed_when_a_run_fails_and_when_the_pipeline_recovers(
    team_tx: Team, inbox: Inbox
) -> None:
    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, chain_document(2, FAILING))
    watch(team_tx.client("owner"), gid, scope="all")
    watch(editor, gid)  # others' runs only (this one is the editor's own)
    watch(team_tx.client("viewer"), gid, scope="all", recovered=False)

    failed = run(editor, gid)
    assert failed["status"] == "failed"
    inbox.wait(2)
    assert sorted(rcpt for rcpt, _ in inbox.received) == [
        ["owner@example.com"],
        ["viewer@example.com"],
    ]
    mail = inbox.to("owner@example.com")[0]
    assert mail["Subject"] == f"Pipeline {CHAIN} failed (run {failed['id']})"
    assert mail["From"] == "designer@example.com"
    text = mail.get_content()
    assert f"Run {failed['id']} of pipeline {CHAIN} failed" in text
    assert "Workspace: Team" in text and "Started by: editor" in text
    assert "  - Execute Python script (py): code: line 3: ValueError: boom" in text
    assert "Traceback" not in text and "about to fail" not in text
    assert f"Run page: {PUBLIC}/runs/{failed['id']}/" in text

    resumed = editor.post(
        f"/api/runs/{failed['id']}/resume/", {"params": {"py": {"code": WORKING}}}, format="json"
    )
    recovered = wait_for(editor, resumed.json()["id"])
    assert recovered["status"] == "succeeded"
    inbox.wait(3)
    assert inbox.received[2][0] == ["owner@example.com"]
    mail = inbox.received[2][1]
    assert mail["Subject"] == f"Pipeline {CHAIN} succeeded again (run {recovered['id']})"
    assert f"run {failed['id']} had failed" in mail.get_content()

    # a success after a success (every step reused, finished inside the POST) tells no one
    assert run(editor, gid, version=recovered["version"])["status"] == "succeeded"
    again = make_graph(editor, team_tx.workspace.pk, chain_document(1, FAILING))
    watch(team_tx.client("viewer"), again, scope="all")
    run(editor, again)
    received = inbox.wait(4)
    assert [rcpt for rcpt, _ in received[3:]] == [["viewer@example.com"]]


def test_no_mail_for_an_unwatched_pipeline_nor_a_removed_member(
    team_tx: Team, inbox: Inbox
) -> None:
    owner, editor = team_tx.client("owner"), team_tx.client("editor")
    unwatched = make_graph(editor, team_tx.workspace.pk, chain_document(1, FAILING))
    watched = make_graph(editor, team_tx.workspace.pk, chain_document(1, FAILING))
    watch(owner, watched, scope="all")
    watch(team_tx.client("viewer"), watched, scope="all")
    watch(editor, watched, scope="all")
    assert editor.delete(f"/api/graphs/{watched}/watch/").status_code == 204
    viewer = team_tx.users["viewer"]
    removed = owner.delete(f"/api/workspaces/{team_tx.workspace.pk}/members/{viewer.pk}/")
    assert removed.status_code == 204

    assert run(editor, unwatched)["status"] == "failed"
    failed = run(editor, watched)
    received = inbox.wait(1)
    assert [rcpt for rcpt, _ in received] == [["owner@example.com"]]
    assert f"(run {failed['id']})" in received[0][1]["Subject"]


def test_a_retried_step_and_a_repeated_signal_mail_once(
    team_tx: Team, inbox: Inbox, settings: Any
) -> None:
    settings.DESIGNER_RETRY_BACKOFF = 0.1
    owner = team_tx.client("owner")
    document = chain_document(1, SLEEPING_SCRIPT.format(seconds=60))
    document["nodes"][-1]["execution"] = {"timeout": 1, "retries": 1}
    gid = make_graph(owner, team_tx.workspace.pk, document)
    watch(owner, gid, scope="all")
    failed = run(owner, gid)
    assert failed["status"] == "failed" and failed["steps"][-1]["attempts"] == 2
    inbox.wait(1)
    assert "(py): timed out after 1s" in inbox.received[0][1].get_content()

    run_finished.send(sender=None, run_id=failed["id"], status="failed")  # as if sent again
    notices.notify(failed["id"])  # another process deciding the same run, here and now
    assert wait_for_notice(failed["id"]).recipients == 1
    other = make_graph(owner, team_tx.workspace.pk, chain_document(1, FAILING))
    watch(owner, other, scope="all")
    second = run(owner, other)
    assert [message["Subject"] for _, message in inbox.wait(2)] == [
        f"Pipeline {CHAIN} failed (run {failed['id']})",
        f"Pipeline {CHAIN} failed (run {second['id']})",
    ]


def test_a_mail_server_that_is_down_never_touches_the_run(
    team_tx: Team, inbox: Inbox, settings: Any
) -> None:
    settings.EMAIL_PORT = free_port()  # nobody listens there
    owner = team_tx.client("owner")
    gid = make_graph(owner, team_tx.workspace.pk, chain_document(1, FAILING))
    watch(owner, gid, scope="all")
    failed = run(owner, gid)
    assert failed["status"] == "failed"
    notice = wait_for_notice(failed["id"])
    assert notice.recipients == 0 and "refused" in notice.error.lower()
    assert owner.get(f"/api/runs/{failed['id']}/").json()["status"] == "failed"


def test_any_member_who_reads_a_pipeline_watches_it_and_chooses_what_to_be_told(
    team_tx: Team, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"  # no EMAIL_HOST
    viewer = team_tx.client("viewer")
    gid = make_graph(team_tx.client("editor"), team_tx.workspace.pk, chain_document(1))
    url = f"/api/graphs/{gid}/watch/"
    unwatched = {"watching": False, "scope": "others", "recovered": True}
    assert viewer.get(url).json() == {**unwatched, "has_email": True, "mail_enabled": False}
    assert watch(viewer, gid)["watching"] is True
    assert watch(viewer, gid, scope="all", recovered=False) == {
        "watching": True,
        "scope": "all",
        "recovered": False,
        "has_email": True,
        "mail_enabled": False,
    }
    assert viewer.get(url).json()["scope"] == "all"
    assert team_tx.client("owner").get(url).json()["watching"] is False  # per user
    bad = viewer.put(url, {"scope": "mine", "recovered": "yes"}, format="json")
    assert bad.status_code == 400
    assert {issue["field"] for issue in bad.json()["issues"]} == {"scope", "recovered"}
    empty = viewer.put(url, {}, format="json")
    assert empty.status_code == 400
    assert {issue["field"] for issue in empty.json()["issues"]} == {"scope", "recovered"}
    assert viewer.delete(url).status_code == 204
    assert viewer.delete(url).status_code == 204  # not watching: nothing to do
    assert viewer.get(url).json()["watching"] is False


def test_a_mail_server_that_never_answers_slows_no_run_not_even_one_finished_in_its_post(
    team_tx: Team, inbox: Inbox, settings: Any
) -> None:
    """A run finished inside its POST (every step reused) that recovers a failing pipeline:
    its notice waits on a mail server that accepts connections and never speaks, but the POST
    answers at once, and the notice records the time-out later."""
    owner = team_tx.client("owner")
    gid = make_graph(owner, team_tx.workspace.pk, chain_document(1, WORKING))
    assert run(owner, gid)["status"] == "succeeded"  # version 1, every step run
    graph = owner.get(f"/api/graphs/{gid}/").json()
    assert put_draft(owner, gid, chain_document(1, FAILING), graph["etag"]).status_code == 200
    assert run(owner, gid)["status"] == "failed"  # version 2
    watch(owner, gid, scope="all")
    silent = socket.create_server(("127.0.0.1", 0))  # connects (the backlog), never greets
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = silent.getsockname()[1], 10
    with silent:
        started = time.monotonic()
        again = owner.post(f"/api/graphs/{gid}/runs/", {"version": 1}, format="json")
        took = time.monotonic() - started
        assert again.status_code == 201 and again.json()["status"] == "succeeded"
        assert took < 3, f"the POST took {took:.1f} s"
        notice = wait_for_notice(again.json()["id"], timeout=30)
    assert (notice.kind, notice.recipients) == ("recovered", 0)
    assert "timed out" in notice.error


def test_a_failure_a_gone_process_left_untold_is_mailed_when_a_sender_starts(
    team_tx: Team, inbox: Inbox
) -> None:
    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, chain_document(1, FAILING))
    # three failures nobody was told of (as when their process went away before its sender
    # mailed): two minutes ago, ten seconds ago (its own sender may still be at it), two days ago
    untold = [run(editor, gid)["id"] for _ in range(3)]
    watch(team_tx.client("owner"), gid, scope="all")
    now = timezone.now()
    for run_id, ago in zip(
        untold, (timedelta(minutes=2), timedelta(seconds=10), timedelta(days=2)), strict=True
    ):
        Run.objects.filter(pk=run_id).update(finished_at=now - ago)
    assert notices.missed_failures() == [untold[0]]

    Sender()  # a server or worker starting: its sender first mails what was left untold
    inbox.wait(1)
    assert wait_for_notice(untold[0]).recipients == 1
    assert inbox.received[0][1]["Subject"] == f"Pipeline {CHAIN} failed (run {untold[0]})"
    assert notices.missed_failures() == []  # told once: the next sweep sends nothing
    time.sleep(0.5)
    assert len(inbox.received) == 1
