"""Pages the mailed links open: confirm an address, and join a workspace by invitation."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from designer.accounts import addresses, services
from designer.accounts.addresses import BadLink
from designer.accounts.forms import JoinForm

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _problem(request: HttpRequest, problem: BadLink) -> HttpResponse:
    return render(request, "accounts/link_problem.html", {"problem": str(problem)}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def confirm_address(request: HttpRequest, token: str) -> HttpResponse:
    """Show the address a link sets; a POST (the button) sets it."""
    try:
        if request.method == "POST":
            email = services.confirm_address(request.user, token)
            return render(request, "accounts/address_confirmed.html", {"email": email})
        change = addresses.read(token, request.user)
    except BadLink as problem:
        return _problem(request, problem)
    return render(request, "accounts/confirm_address.html", {"email": change.email})


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: as the signed-in user, or with a new account for its address."""
    try:
        invitation = services.invitation_of(token)
        if request.user.is_authenticated:
            if request.method == "POST":
                services.join(invitation, request.user)
                return redirect("workspace", workspace=invitation.workspace_id)
            return render(request, "accounts/join.html", {"invitation": invitation})
        form = JoinForm(invitation, request.POST if request.method == "POST" else None)
        if form.is_valid():
            with transaction.atomic():
                user = form.save()
                services.join(invitation, user)
            login(request, user, backend=BACKEND)
            return redirect("workspace", workspace=invitation.workspace_id)
    except BadLink as problem:
        return _problem(request, problem)
    return render(request, "accounts/join.html", {"invitation": invitation, "form": form})
