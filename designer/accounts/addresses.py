"""Links that confirm a new e-mail address: signed, bound to the user and to their address then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing

SALT = "designer.accounts.address"
VALID_FOR = timedelta(days=3)


class BadLink(Exception):
    """A confirmation link that is forged, expired, for another user, or already used."""


@dataclass(frozen=True)
class AddressChange:
    """What a confirmation link sets: this user's address, if it is still `before`."""

    user_id: int
    email: str
    before: str


def token_for(user: Any, email: str) -> str:
    """The token of a link that sets `user`'s address to `email` (only while it is unchanged)."""
    return signing.dumps({"user": user.pk, "email": email, "before": user.email}, salt=SALT)


def read(token: str, user: Any) -> AddressChange:
    """The change a link asks for, or BadLink naming why it cannot be made for `user`."""
    try:
        fields = signing.loads(token, salt=SALT, max_age=VALID_FOR)
    except signing.SignatureExpired:
        raise BadLink("This link has expired: ask for a new one on your account page.") from None
    except signing.BadSignature:
        raise BadLink("This link is not valid: copy the whole link from the mail.") from None
    change = AddressChange(fields["user"], fields["email"], fields["before"])
    if change.user_id != user.pk:
        raise BadLink(
            "This link confirms an address for another account: sign in as that account to open it."
        )
    if user.email not in (change.before, change.email):
        raise BadLink("Your address changed since this link was sent, so it no longer applies.")
    return change
