"""A person's own API token, for scripts and integrations (Authorization: Token <key>)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from rotations.common.http import AuthedRequest
from rotations.directory.services import api_token_create, api_token_revoke


@require_http_methods(["GET", "HEAD", "POST"])
def api_token(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "create":
            token = api_token_create(person=request.user)
            # Shown once, in this answer only (never stored, not even in the messages
            # cookie; the page is no-store): it is as good as a password.
            return render(request, "account/api_token.html", {"token": token, "new_key": token.key})
        if api_token_revoke(person=request.user):
            messages.success(request, "Your API token is revoked.")
        return redirect("api-token")
    current = Token.objects.filter(user=request.user).first()
    return render(request, "account/api_token.html", {"token": current})
