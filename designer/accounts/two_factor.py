"""Two-factor sign-in: an authenticator app's codes (TOTP) and one-use recovery codes, on
django-otp's devices; a user who turned it on signs in with a password and then a code."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

RECOVERY_CODES = 10
APP = "authenticator app"
RECOVERY = "recovery codes"
APP_CODE = re.compile(r"\d{6}")


class CodeRefused(Exception):
    """A code that is wrong, already used, or tried too soon after wrong ones (its message)."""


@dataclass(frozen=True)
class Enrolment:
    """What the account page shows to add the authenticator app: the QR code and its key."""

    config_url: str
    secret: str
    qr_svg: str


def enabled(user: Any) -> bool:
    """Whether the user signs in with a code after the password."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: Any) -> int:
    """How many unused recovery codes the user has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def begin(user: Any) -> Enrolment:
    """A new, unconfirmed authenticator key for `user` (any earlier unconfirmed one dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=APP, confirmed=False)
    url = device.config_url
    secret = re.search(r"secret=([A-Z2-7]+)", url)
    assert secret is not None  # django-otp writes the key base32-encoded in the URL
    svg = io.BytesIO()
    write_qrcode_image(url, svg)
    return Enrolment(url, secret.group(1), svg.getvalue().decode())


def confirm(user: Any, code: str) -> list[str]:
    """Turn two-factor sign-in on with a code from the app just added; its recovery codes, shown
    once. CodeRefused when the code is not the app's or nothing was begun."""
    if enabled(user):
        raise CodeRefused("Two-factor sign-in is already on: turn it off first to change apps.")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise CodeRefused("Start again: no authenticator app is being added.")
        problem = _problem(device, code)
        if problem is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            return _new_recovery_codes(user)
    raise CodeRefused(problem)  # after the commit: the wrong code's count is kept


def new_recovery_codes(user: Any, code: str) -> list[str]:
    """Replace the recovery codes (after a code from the app or a recovery code)."""
    verify(user, code)
    with transaction.atomic():
        return _new_recovery_codes(user)


def turn_off(user: Any, code: str) -> None:
    """Turn two-factor sign-in off (after a code from the app or a recovery code)."""
    verify(user, code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def verify(user: Any, code: str) -> Any:
    """The device a code is right for: six digits are the app's, anything else a recovery code
    (each tried against its own device only, so a wrong app code slows no recovery code). A
    wrong code is counted (django-otp doubles the wait after each) even as CodeRefused is raised."""
    if not enabled(user):
        raise CodeRefused("Two-factor sign-in is off for this account.")
    code = code.strip().replace(" ", "")
    kind: type[TOTPDevice] | type[StaticDevice] = (
        TOTPDevice if APP_CODE.fullmatch(code) else StaticDevice
    )
    with transaction.atomic():
        device = kind.objects.select_for_update().filter(user=user, confirmed=True).first()
        problem = "That code is not right." if device is None else _problem(device, code)
    if problem is not None:
        raise CodeRefused(problem)
    return device


def _problem(device: Any, code: str) -> str | None:
    """Why `code` does not verify on `device` (its failure counted), or None when it does."""
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        wait = extra.get("locked_until")
        when = f" until {wait:%H:%M:%S} UTC" if wait else " a moment"
        return f"Too many wrong codes: wait{when} and try again."
    if not device.verify_token(code):
        return "That code is not right (or was used already)."
    return None


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
