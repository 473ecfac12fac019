"""An attacker with an account cannot have the server mail an address without bound: not by
deleting the workspace they invited from, not by asking to confirm someone's address again and
again, not by adding and removing an account again and again; and the holder of an endpoint key
cannot mail a pipeline's watchers a failure notice per call.

Each loop goes through the real API to a real SMTP server on loopback; the bound is made small.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from designer.accounts import services
from designer.notifications.models import RunNotice
from designer.workspaces.models import Membership
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.conftest import inbox as inbox
from tests.integration.api.test_accounts import signed_in
from tests.integration.api.test_passwords import mails_before_a_barrier
from tests.integration.api.test_watch import wait_for_notice, watch
from tests.integration.endpoints.conftest import Published, key_client, wait_call
from tests.integration.endpoints.conftest import published as published
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db(transaction=True)  # "added" mails leave after the commit
BOUND = 3
TRIES = 6


@pytest.fixture
def team(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Team:
    monkeypatch.setattr(services, "MAILS_PER_HOUR", BOUND)
    cache.clear()  # the barrier's reset mail is not held back by an earlier test's
    return make_team()


def to_victim(inbox: Inbox) -> list[EmailMessage]:
    return [mail for mail in mails_before_a_barrier(inbox) if mail["To"] == "victim@corp.com"]


def test_deleting_the_workspace_invited_from_gives_no_fresh_hour(team: Team, inbox: Inbox) -> None:
    outsider = team.client("outsider")
    codes = []
    for n in range(TRIES):
        workspace = outsider.post("/api/workspaces/", {"name": f"W{n}"}, format="json").json()
        answer = outsider.post(
            f"/api/workspaces/{workspace['id']}/members/",
            {"user": "victim@corp.com", "role": "viewer"},
            format="json",
        )
        codes.append(answer.status_code)
        assert outsider.delete(f"/api/workspaces/{workspace['id']}/").status_code == 204
    assert codes == [202] * BOUND + [429] * (TRIES - BOUND)
    assert len(to_victim(inbox)) == BOUND


def test_asking_again_and_again_to_confirm_an_address_mails_it_within_the_bound(
    team: Team, inbox: Inbox
) -> None:
    attacker = signed_in(team.users["outsider"])
    codes = [
        attacker.patch(
            "/api/me/", {"email": "victim@corp.com"}, content_type="application/json"
        ).status_code
        for _ in range(TRIES)
    ]
    assert codes == [200] * BOUND + [429] * (TRIES - BOUND)
    refused = attacker.patch(
        "/api/me/", {"email": "victim@corp.com"}, content_type="application/json"
    )
    assert refused.json()["code"] == "too_many_mails" and int(refused["Retry-After"]) > 3000
    assert len(to_victim(inbox)) == BOUND


def test_adding_and_removing_an_account_again_and_again_mails_it_within_the_bound(
    team: Team, inbox: Inbox
) -> None:
    victim = get_user_model().objects.create_user("victim", "victim@corp.com", "pw-123456789")
    outsider = team.client("outsider")
    members = f"/api/workspaces/{team.foreign.pk}/members/"
    for _ in range(TRIES):
        added = outsider.post(members, {"user": "victim@corp.com", "role": "viewer"}, format="json")
        assert added.status_code == 201  # the owner still adds: only the mail is held back
        assert outsider.delete(f"{members}{victim.pk}/").status_code == 204
    assert not Membership.objects.filter(user=victim).exists()
    assert len(to_victim(inbox)) == BOUND


def test_an_endpoint_keys_failing_calls_mail_the_watchers_once_while_the_pipeline_keeps_failing(
    published: Published, inbox: Inbox
) -> None:
    """A key may call 60 times a minute; each failed call is a failed run of the pipeline."""
    team, endpoint = published.team, published.id
    watch(team.client("owner"), published.graph)
    caller = key_client(published.key)

    def call(where: str) -> dict[str, Any]:
        answer = caller.post(
            f"/api/endpoints/{endpoint}/invoke/", {"parameters": {"where": where}}, "json"
        )
        assert answer.status_code in (200, 201, 202), answer.json()
        return wait_call(caller, answer.json()["id"])

    failed = [call(f"a >>> {n}") for n in range(TRIES)]
    assert {c["status"] for c in failed} == {"failed"}
    assert wait_for_notice(failed[0]["run"]).recipients == 1
    assert call("a > 0")["status"] == "succeeded"  # its "recovered" mail comes after the rest
    inbox.wait(2)
    subjects = [mail["Subject"] for mail in inbox.to("owner@example.com")]
    assert [s.split(" (")[0] for s in subjects] == [
        'Pipeline "scoring" failed',
        'Pipeline "scoring" succeeded again',
    ]
    assert f"(run {failed[0]['run']})" in subjects[0]

    again = call("a >>> 99")  # a new failure after the recovery: told
    assert wait_for_notice(again["run"]).recipients == 1
    RunNotice.objects.filter(run_id=again["run"]).update(
        created_at=timezone.now() - timedelta(hours=1, minutes=1)
    )
    later = call("a >>> 100")  # still failing an hour later: told again
    assert wait_for_notice(later["run"]).recipients == 1
    assert len(inbox.to("owner@example.com")) == 4
