"""A link to the sign-in, the code page or the sign-out with a `next` pointing off the site
(`https://evil.example/`, `//evil.example`, `/\\evil.example`, `https:evil.example`) never sends
the victim there: they land on the server's own page instead.

Through the real Django stack (the test client): the password sign-in, the two-factor sign-in
(`next` survives the code page), a browser signed in already, and the sign-out.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_two_factor import code_now, sign_in, signed_in, turn_on

pytestmark = pytest.mark.django_db
OFF_SITE = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"]


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def stays_here(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_with_an_off_site_next_lands_at_home(team: Team, target: str) -> None:
    victim = Client()
    answer = sign_in(victim, "viewer", next=target)
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert signed_in(victim)
    again = victim.get("/accounts/login/", {"next": target})  # signed in already
    assert again.status_code == 302 and again["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_code_page_does_not_carry_an_off_site_next(team: Team, target: str) -> None:
    viewer = team.users["viewer"]
    turn_on(viewer)
    victim = Client()
    assert sign_in(victim, "viewer", next=target)["Location"] == "/accounts/login/code/"
    answer = victim.post("/accounts/login/code/", {"code": code_now(viewer, later=1)})
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert signed_in(victim)


def test_the_code_page_keeps_a_next_on_this_site(team: Team) -> None:
    viewer = team.users["viewer"]
    turn_on(viewer)
    victim = Client()
    sign_in(victim, "viewer", next=f"/workspaces/{team.workspace.pk}/")
    answer = victim.post("/accounts/login/code/", {"code": code_now(viewer, later=1)})
    assert answer["Location"] == f"/workspaces/{team.workspace.pk}/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_out_with_an_off_site_next_stays_on_the_site(team: Team, target: str) -> None:
    victim = Client()
    victim.force_login(team.users["viewer"])
    answer = victim.post("/accounts/logout/", {"next": target})
    assert answer.status_code == 302 and stays_here(answer["Location"]), answer["Location"]
    assert not signed_in(victim)
