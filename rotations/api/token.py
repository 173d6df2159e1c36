"""A person's own API token, for scripts and integrations (Authorization: Token <key>)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from rotations.common.http import AuthedRequest


@require_http_methods(["GET", "POST"])
def api_token(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        Token.objects.filter(user=request.user).delete()
        if request.POST.get("action") == "create":
            token = Token.objects.create(user=request.user)
            # Shown once: only its holder needs it, and it is as good as a password.
            messages.success(request, f"Your new API token: {token.key}")
        else:
            messages.success(request, "Your API token is revoked.")
        return redirect("api-token")
    has_token = Token.objects.filter(user=request.user).exists()
    return render(request, "account/api_token.html", {"has_token": has_token})
