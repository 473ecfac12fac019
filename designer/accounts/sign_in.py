"""Signing in with two factors: the password page, then a code page for accounts that turned
two-factor sign-in on; the admin's own sign-in refuses those accounts' passwords alone."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from designer.accounts import two_factor

PENDING = "designer.sign_in.pending"  # the session's half-done sign-in: who, how, where next
PENDING_SECONDS = 300  # time to type the code
PENDING_TRIES = 5  # wrong codes before the password is asked again


class SignInView(auth_views.LoginView):
    """Django's sign-in; an account with two-factor sign-in is signed in only after its code."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not two_factor.enabled(user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "until": time.time() + PENDING_SECONDS,
            "tries": 0,
        }
        return redirect("sign-in-code")


@require_http_methods(["GET", "POST"])
def enter_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or a recovery code."""
    pending: dict[str, Any] | None = request.session.get(PENDING)
    user = None
    if pending and pending["until"] > time.time() and pending["tries"] < PENDING_TRIES:
        user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if pending is None or user is None:
        request.session.pop(PENDING, None)
        return redirect("login")
    error = ""
    if request.method == "POST":
        try:
            two_factor.verify(user, request.POST.get("code", ""))
        except two_factor.CodeRefused as refused:
            error = str(refused)
            pending["tries"] += 1
            request.session[PENDING] = pending
        else:
            del request.session[PENDING]
            login(request, user, backend=pending["backend"])
            return redirect(pending["next"])
    context = {"error": error, "username": user.get_username()}
    return render(request, "registration/sign_in_code.html", context, status=400 if error else 200)


class AdminSignInForm(AdminAuthenticationForm):
    """The admin's sign-in, for staff without two-factor sign-in only (the others use the app's
    sign-in page, which asks for their code, and then open the admin)."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if two_factor.enabled(user):
            raise forms.ValidationError(
                "This account signs in with a code: sign in on the app's sign-in page "
                "(/accounts/login/?next=/admin/).",
                code="two_factor",
            )
