"""Passwords through the real Django stack: change your own, reset a forgotten one by mail.

Sign-ins go through the sign-in page (django-axes watching); reset mails go through Django's
SMTP backend to an aiosmtpd server on loopback. Reset mails leave one at a time in the order
they were asked for, so a mail that arrived after one that was not sent shows that none was.
"""

from __future__ import annotations

import re
import time
from email.message import EmailMessage
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from designer.pages import passwords
from tests.integration.api.conftest import PUBLIC, fast_passwords  # noqa: F401  (autouse)
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db
PASSWORD = "old-password-1"
NEW = "a fresh horse 42"
LINK = re.compile(r"https?://\S+/accounts/password/reset/[^/\s]+/[^/\s]+/")


@pytest.fixture(autouse=True)
def no_throttle_left() -> None:
    """Each test starts with no account's reset mail held back (the cache outlives a test)."""
    cache.clear()


def user(name: str, password: str = PASSWORD, **extra: Any) -> Any:
    return get_user_model().objects.create_user(name, f"{name}@example.com", password, **extra)


def sign_in(name: str, password: str = PASSWORD, client: Client | None = None) -> Client:
    """A client signed in through the sign-in page (fails when the sign-in does)."""
    client = client or Client()
    answer = client.post("/accounts/login/", {"username": name, "password": password})
    assert answer.status_code == 302, answer.content.decode()
    return client


def can_sign_in(name: str, password: str) -> bool:
    answer = Client().post("/accounts/login/", {"username": name, "password": password})
    return answer.status_code == 302


def signed_in(client: Client) -> bool:
    return client.get("/api/me/").status_code == 200


def ask_reset(email: str, client: Client | None = None, **headers: Any) -> None:
    """Ask for a reset mail to `email`: every address gets the same "check your mail" answer."""
    answer = (client or Client()).post("/accounts/password/reset/", {"email": email}, **headers)
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/password/reset/sent/"


def mails_before_a_barrier(inbox: Inbox) -> list[EmailMessage]:
    """Every mail sent before now: ask a reset for a fresh account and wait for its mail."""
    barrier = user(f"barrier{len(inbox.received)}")
    ask_reset(barrier.email)
    received = inbox.wait(len(inbox.received) + 1)
    while barrier.email not in received[-1][0]:
        received = inbox.wait(len(received) + 1)
    return [message for _, message in received[:-1]]


def link_in(mail: EmailMessage) -> str:
    found = LINK.search(mail.get_content())
    assert found, mail.get_content()
    return found.group(0)


def mailed_link(inbox: Inbox, email: str) -> str:
    """Ask for a reset mail to `email` and wait for it: its link."""
    already = len(inbox.to(email))
    ask_reset(email)
    deadline = time.monotonic() + 30
    while len(inbox.to(email)) == already:
        assert time.monotonic() < deadline, f"no reset mail to {email}"
        time.sleep(0.02)
    return link_in(inbox.to(email)[-1])


def set_password(link: str, password: str, base: str = PUBLIC) -> Any:
    """Open a reset link and set a password there; the answer to the form."""
    client = Client()
    opened = client.get(link.removeprefix(base))
    if opened.status_code != 302:  # the page saying the link does not work
        return opened
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


# changing one's own password


def change(client: Client, old: str, new: str, again: str | None = None) -> Any:
    body = {"old_password": old, "new_password1": new, "new_password2": again or new}
    return client.post("/accounts/password/", body)


def test_the_change_page_needs_a_sign_in() -> None:
    answer = Client().get("/accounts/password/")
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/?next=/accounts/password/"


def test_a_wrong_old_password_changes_nothing() -> None:
    user("ann")
    client = sign_in("ann")
    answer = change(client, "not-it-at-all", NEW)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'data-testid="error-old_password"' in page
    assert "Your old password was entered incorrectly" in page
    assert can_sign_in("ann", PASSWORD)
    assert not can_sign_in("ann", NEW)


@pytest.mark.parametrize(
    ("weak", "message"),
    [
        ("password", "This password is too common."),
        ("short1", "This password is too short. It must contain at least 8 characters."),
        ("4815162342", "This password is entirely numeric."),
        ("benedict-cumberbatch", "The password is too similar to the username."),
    ],
)
def test_a_weak_new_password_is_refused_with_the_validators_message(
    weak: str, message: str
) -> None:
    user("benedict-cumberbatch")
    client = sign_in("benedict-cumberbatch")
    page = change(client, PASSWORD, weak).content.decode()
    errors = re.findall(r'data-testid="error-new_password2">([^<]*)<', page)
    assert message in errors
    assert can_sign_in("benedict-cumberbatch", PASSWORD)


def test_two_new_passwords_that_differ_are_refused() -> None:
    user("bea")
    page = change(sign_in("bea"), PASSWORD, NEW, NEW + "!").content.decode()
    assert "The two password fields didn\u2019t match." in page
    assert can_sign_in("bea", PASSWORD)


def test_a_change_keeps_this_browser_signed_in_and_signs_the_others_out() -> None:
    user("cid")
    here, elsewhere = sign_in("cid"), sign_in("cid")
    assert signed_in(here) and signed_in(elsewhere)
    answer = change(here, PASSWORD, NEW)
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/password/done/"
    done = here.get("/accounts/password/done/").content.decode()
    assert "Password changed" in done
    assert 'href="/">Back to the app' in done
    assert signed_in(here)
    assert elsewhere.get("/api/me/").status_code in (401, 403)
    assert elsewhere.get("/").status_code == 302  # the pages send it to sign in again
    assert can_sign_in("cid", NEW)
    assert not can_sign_in("cid", PASSWORD)


# resetting a forgotten one


def test_the_mailed_link_sets_the_password_once(inbox: Inbox) -> None:
    user("dora")
    sent = Client().get("/accounts/password/reset/sent/").content.decode()
    assert "It works once, for 24 hours." in sent
    link = mailed_link(inbox, "dora@example.com")
    (mail,) = inbox.to("dora@example.com")
    assert mail["Subject"] == f"Set a new password for dora on {PUBLIC}"
    assert mail["From"] == "designer@example.com"
    assert mail.get_content_type() == "text/plain"
    body = mail.get_content()
    assert f"for the user dora on the Pipeline designer at {PUBLIC}." in body
    assert "The link works once, for 24 hours." in body
    assert link.startswith(f"{PUBLIC}/accounts/password/reset/")

    done = set_password(link, NEW)
    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/complete/"
    assert can_sign_in("dora", NEW)
    assert not can_sign_in("dora", PASSWORD)

    again = set_password(link, "yet another one 7")
    assert again.status_code == 200
    assert "This link does not work" in again.content.decode()
    assert can_sign_in("dora", NEW)


def test_a_reset_refuses_a_weak_password_with_the_validators_message(inbox: Inbox) -> None:
    user("eli")
    answer = set_password(mailed_link(inbox, "eli@example.com"), "12345678")
    page = answer.content.decode()
    assert "This password is too common." in page
    assert "This password is entirely numeric." in page
    assert can_sign_in("eli", PASSWORD)


def test_a_reset_signs_every_browser_out(inbox: Inbox) -> None:
    user("fay")
    browser = sign_in("fay")
    set_password(mailed_link(inbox, "fay@example.com"), NEW)
    assert not signed_in(browser)


def test_without_a_public_url_the_link_is_on_the_address_asked(inbox: Inbox, settings: Any) -> None:
    settings.DESIGNER_PUBLIC_URL = ""
    user("gil")
    link = mailed_link(inbox, "gil@example.com")
    assert link.startswith("http://testserver/accounts/password/reset/")
    assert set_password(link, NEW, base="http://testserver").status_code == 302
    assert can_sign_in("gil", NEW)


def test_an_address_without_an_account_gets_the_same_answer_and_no_mail(inbox: Inbox) -> None:
    user("hal", is_active=False)
    nobody = user("ivy")
    nobody.set_unusable_password()
    nobody.save()
    for address in ("nobody@example.com", "hal@example.com", "ivy@example.com"):
        ask_reset(address)  # unknown, inactive, without a usable password: the same answer
    assert mails_before_a_barrier(inbox) == []


def test_an_account_gets_one_reset_mail_per_few_minutes(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passwords, "RESET_MAIL_SECONDS", 1)
    user("jo")
    for _ in range(5):
        ask_reset("jo@example.com")
    assert len([m for m in mails_before_a_barrier(inbox) if m["To"] == "jo@example.com"]) == 1
    time.sleep(1.1)
    ask_reset("jo@example.com")
    assert len([m for m in mails_before_a_barrier(inbox) if m["To"] == "jo@example.com"]) == 2


def test_a_reset_lifts_the_sign_in_lockout(inbox: Inbox) -> None:
    user("kim")
    for i in range(10):
        Client().post("/accounts/login/", {"username": "kim", "password": f"guess-{i}"})
    locked = Client().post("/accounts/login/", {"username": "kim", "password": PASSWORD})
    assert locked.status_code == 429
    set_password(mailed_link(inbox, "kim@example.com"), NEW)
    assert can_sign_in("kim", NEW)


# a server that sends no mail


def test_with_mail_the_sign_in_page_offers_a_reset(inbox: Inbox) -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert '<a href="/accounts/password/reset/">Forgot your password?</a>' in page


def test_without_mail_there_is_no_reset_only_an_administrator(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    user("lou")
    assert "Forgot your password?" not in Client().get("/accounts/login/").content.decode()
    off = "This server sends no mail: ask an administrator to reset it"
    for path in (
        "/accounts/password/reset/",
        "/accounts/password/reset/sent/",
        "/accounts/password/reset/complete/",
        "/accounts/password/reset/MQ/set-password/",
    ):
        answer = Client().get(path)
        assert answer.status_code == 200
        assert off in answer.content.decode()
        assert "manage.py changepassword &lt;user&gt;" in answer.content.decode()
    asked = Client().post("/accounts/password/reset/", {"email": "lou@example.com"})
    assert asked.status_code == 200
    assert off in asked.content.decode()
    assert not cache.get(passwords.throttle_key("lou@example.com"))
