"""Guessing passwords, tokens or keys locks the guesser out, even once they guess right.

Through the real Django stack (the test client): the sign-in page, the admin's sign-in, API
tokens and endpoint keys each lock a username (for tokens and keys: the address) out after
DESIGNER_LOGIN_FAILURE_LIMIT failures, with a plain message; a success resets the count. The
attempts live in the test's database transaction, so no lockout leaks into another test. A
made-up username is locked out exactly like a real one: the lockout tells no one who exists.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from designer.endpoints import services as endpoint_services
from designer.workspaces import services
from tests.integration.api.conftest import fast_passwords  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db
PASSWORD = "right-password-1"
GUESSES = 50
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def user(name: str, **extra: Any) -> Any:
    return get_user_model().objects.create_user(name, f"{name}@example.com", PASSWORD, **extra)


def sign_in(client: Client, path: str, username: str, password: str) -> Any:
    return client.post(path, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return client.get("/api/me/").status_code == 200


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_many_wrong_passwords_then_the_right_one_stays_locked(path: str) -> None:
    user("alice", is_staff=True)
    client = Client()
    statuses = {sign_in(client, path, "alice", f"guess-{i}").status_code for i in range(GUESSES)}
    assert statuses == {200, 429}  # the form again, then the lockout page
    locked = sign_in(client, path, "alice", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert not signed_in(client)
    # the lockout is for that username from that address: another user signs in
    user("bob", is_staff=True)
    assert sign_in(client, path, "bob", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_successful_sign_in_resets_the_count() -> None:
    user("carol")
    client = Client()
    for round_ in range(3):
        for i in range(4):  # one short of the limit, three times over
            assert sign_in(client, "/accounts/login/", "carol", f"x{round_}{i}").status_code == 200
        assert sign_in(client, "/accounts/login/", "carol", PASSWORD).status_code == 302
        client.post("/accounts/logout/")


def test_many_wrong_tokens_then_the_right_one_stays_locked() -> None:
    _, raw = services.create_token(user("dave"), "cli")
    guesser = APIClient()
    statuses = []
    for i in range(GUESSES):
        guesser.credentials(HTTP_AUTHORIZATION=f"Bearer dsn_guess{i}")
        statuses.append(guesser.get("/api/me/").status_code)
    assert statuses == [401] * 4 + [429] * (GUESSES - 4)  # the fifth failure locks
    guesser.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    locked = guesser.get("/api/me/")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert "Too many failed sign-ins" in locked.json()["detail"]
    # another address is not locked out
    assert guesser.get("/api/me/", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_many_wrong_endpoint_keys_then_the_right_one_stays_locked() -> None:
    owner = user("frank")
    workspace = services.create_workspace(owner, "keys")
    _, raw = endpoint_services.create_key(workspace, owner, "caller", None, 600)
    caller = APIClient()
    statuses = []
    for i in range(GUESSES):
        caller.credentials(HTTP_AUTHORIZATION=f"Bearer dse_guess{i}")
        statuses.append(caller.get("/api/invocations/1/").status_code)
    assert statuses == [401] * 4 + [429] * (GUESSES - 4)
    caller.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert caller.get("/api/invocations/1/").status_code == 429
    assert caller.get("/api/invocations/1/", REMOTE_ADDR="10.1.2.3").status_code == 404


def test_the_lockout_tells_no_one_which_usernames_exist() -> None:
    """Guessing against a made-up username reads exactly like guessing against a real one:
    the same statuses at the same attempts and the same pages, so the lockout is no oracle."""
    user("grace")
    seen = {}
    for name in ("grace", "no-such-user"):
        client = Client()
        answers = [sign_in(client, "/accounts/login/", name, f"g{i}") for i in range(7)]
        pages = [CSRF.sub("", a.content.decode().replace(name, "NAME")) for a in answers]
        seen[name] = ([a.status_code for a in answers], pages)
    assert seen["grace"] == seen["no-such-user"]
    assert seen["grace"][0] == [200] * 4 + [429] * 3
