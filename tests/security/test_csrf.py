"""A page on another site cannot make a signed-in victim's browser join the attacker's workspace
through the attacker's own invitation link (the join page is a Django view, not the API, whose
session writes test_schema.py checks): Django's CSRF check refuses the POST (no token: the other
site cannot read the victim's), and the invitation stays unused.

Through the real Django stack with CSRF checks on (the test client skips them unless asked).
"""

from __future__ import annotations

import pytest
from django.test import Client

from designer.accounts.models import Invitation
from designer.workspaces.models import Membership
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.conftest import inbox as inbox
from tests.integration.api.test_accounts import mailed_link
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def victim_browser(team: Team) -> Client:
    """The viewer's browser, signed in, with the CSRF check a real browser meets."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(team.users["viewer"])
    return browser


def test_another_site_cannot_make_a_signed_in_victim_join_the_attackers_workspace(
    team: Team, inbox: Inbox
) -> None:
    attacker = team.client("outsider")
    invited = attacker.post(
        f"/api/workspaces/{team.foreign.pk}/members/",
        {"user": "attacker-mailbox@evil.example", "role": "owner"},
        format="json",
    )
    assert invited.status_code == 202
    link = mailed_link(inbox, "attacker-mailbox@evil.example")
    refused = victim_browser(team).post(link, HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    assert not Membership.objects.filter(workspace=team.foreign, user=team.users["viewer"]).exists()
    assert Invitation.objects.filter(workspace=team.foreign).exists()  # not used up
