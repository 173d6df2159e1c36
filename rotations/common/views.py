"""Pages that hold no product rule: the health checks, and the error pages that need more
than a template (they say what happened in the person's words)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware import csrf
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Failures where reloading helps (the token went stale), where cookies are off, and where
# the browser sent the form from somewhere Frontline does not recognise.
_NO_COOKIE = {csrf.REASON_NO_CSRF_COOKIE}
_ELSEWHERE = {
    csrf.REASON_BAD_ORIGIN,
    csrf.REASON_NO_REFERER,
    csrf.REASON_BAD_REFERER,
    csrf.REASON_MALFORMED_REFERER,
    csrf.REASON_INSECURE_REFERER,
}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form came back without a valid security token. Nothing was saved."""
    kind = (
        "no_cookie" if reason in _NO_COOKIE else "elsewhere" if _from_elsewhere(reason) else "stale"
    )
    return render(request, "403_csrf.html", {"kind": kind}, status=403)


def _from_elsewhere(reason: str) -> bool:
    # Some reasons are templates filled in with the address ("Origin checking failed - %s …").
    return any(
        reason == r or ("%s" in r and reason.startswith(r.split("%s")[0])) for r in _ELSEWHERE
    )


@login_not_required
@never_cache
@require_GET
def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage does not
    get healthy web processes restarted."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and Procfile hosts: is the app up and its database reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
