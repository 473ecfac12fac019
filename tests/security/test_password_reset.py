"""Attacks through the password reset: mail bombing, someone else's link, a forged Host, a reused
link, and telling which addresses have an account.

Through the real Django stack (the test client) and Django's SMTP backend to an aiosmtpd
server on loopback; mails leave in the order they were asked for (see test_passwords).
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.integration.api.conftest import sending_mail
from tests.integration.api.test_passwords import (  # noqa: F401  (fixtures)
    NEW,
    PASSWORD,
    PUBLIC,
    ask_reset,
    can_sign_in,
    fast_passwords,
    mailed_link,
    mails_before_a_barrier,
    no_throttle_left,
    set_password,
    user,
)
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db
SLOW_SMTP_SECONDS = 1.0


def test_asking_again_and_again_mails_the_victim_once(inbox: Inbox) -> None:
    victim = user("victim")
    spellings = ["victim@example.com", "VICTIM@example.com", "Victim@Example.com"]
    for i in range(30):
        attacker = Client(REMOTE_ADDR=f"203.0.113.{i}")  # from many addresses
        ask_reset(spellings[i % len(spellings)], client=attacker)
    mails = mails_before_a_barrier(inbox)
    assert [mail["To"] for mail in mails] == [victim.email]


def test_a_link_for_one_user_does_not_reset_another(inbox: Inbox) -> None:
    user("mallory")
    user("alice")
    mallory_link = mailed_link(inbox, "mallory@example.com")
    alice_link = mailed_link(inbox, "alice@example.com")
    uid = re.compile(r"/reset/([^/]+)/")
    alice_uid = uid.search(alice_link).group(1)  # type: ignore[union-attr]
    forged = uid.sub(f"/reset/{alice_uid}/", mallory_link)
    answer = set_password(forged, "mallory owns alice 1")
    assert "This link does not work" in answer.content.decode()
    assert can_sign_in("alice", PASSWORD)
    assert not can_sign_in("alice", "mallory owns alice 1")


def test_a_forged_host_does_not_move_the_link_off_the_public_url(
    inbox: Inbox, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["*"]  # even a server that lets any Host in
    victim = user("victim")
    ask_reset(victim.email, HTTP_HOST="evil.example")
    (mail,) = mails_before_a_barrier(inbox)
    assert "evil.example" not in mail.as_string()
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.get_content())
    assert link and link.group(0).startswith(f"{PUBLIC}/accounts/password/reset/")


def test_without_a_public_url_a_host_outside_allowed_hosts_is_refused(
    inbox: Inbox, settings: Any
) -> None:
    settings.DESIGNER_PUBLIC_URL = ""
    victim = user("victim")
    answer = Client().post(
        "/accounts/password/reset/", {"email": victim.email}, HTTP_HOST="evil.example"
    )
    assert answer.status_code == 400
    assert mails_before_a_barrier(inbox) == []


def test_a_used_link_and_every_older_one_stop_working(inbox: Inbox, monkeypatch: Any) -> None:
    from designer.pages import passwords

    monkeypatch.setattr(passwords, "RESET_MAIL_SECONDS", 0.2)
    user("victim")
    older = mailed_link(inbox, "victim@example.com")
    time.sleep(1.1)  # a token names the second it was made
    newer = mailed_link(inbox, "victim@example.com")
    assert older != newer
    assert set_password(newer, NEW).status_code == 302
    for link in (newer, older):
        answer = set_password(link, "the attacker's own 1")
        assert "This link does not work" in answer.content.decode()
    assert can_sign_in("victim", NEW)


def test_while_the_cache_is_unreachable_every_address_gets_the_same_503_and_no_mail(
    inbox: Inbox, settings: Any
) -> None:
    user("victim")
    working = settings.CACHES
    with socket.socket() as closed:  # a port nothing listens on: Redis down
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    answers = [
        Client().post("/accounts/password/reset/", {"email": address})
        for address in ("victim@example.com", "nobody@example.com")
    ]
    assert [answer.status_code for answer in answers] == [503, 503]
    assert answers[0].content == answers[1].content  # nothing tells which has an account
    assert "Nothing was sent; try again in a few minutes" in answers[0].content.decode()
    settings.CACHES = working
    assert mails_before_a_barrier(inbox) == []
    mailed_link(inbox, "victim@example.com")  # once it is back, the victim's reset works


class SlowInbox(Inbox):
    """A mail server that takes SLOW_SMTP_SECONDS to accept each mail."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(SLOW_SMTP_SECONDS)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    """The server sends mail to this inbox."""
    with sending_mail(settings) as inbox:
        yield inbox


@pytest.fixture
def slow_inbox(settings: Any) -> Iterator[Inbox]:
    """The server sends mail to a slow mail server."""
    with sending_mail(settings, SlowInbox) as slow:
        yield slow


def test_the_answer_tells_no_one_whether_an_address_has_an_account(slow_inbox: Inbox) -> None:
    user("victim")
    answers = {}
    for address in ("victim@example.com", "nobody@example.com"):
        started = time.monotonic()
        answer = Client().post("/accounts/password/reset/", {"email": address})
        answers[address] = (answer.status_code, answer["Location"], time.monotonic() - started)
    (known, known_to, known_took), (unknown, unknown_to, _) = answers.values()
    assert (known, known_to) == (unknown, unknown_to) == (302, "/accounts/password/reset/sent/")
    assert known_took < SLOW_SMTP_SECONDS / 2  # the mail server is not waited for
    (mail,) = [message for _, message in slow_inbox.wait(1)]
    assert mail["To"] == "victim@example.com"
