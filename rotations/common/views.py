"""Pages that hold no product rule: the health checks, and the error pages that need more
than a template (they say what happened in the person's words)."""

from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware import csrf
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found as default_page_not_found

from rotations.common.health import readiness

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
@require_safe
def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage does not
    get healthy web processes restarted."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness, for a process manager: the process answers. It asks nothing of the
    database or Redis, so an outage of theirs does not get healthy processes restarted
    (``/readyz`` says whether this instance can do its work)."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness, for a load balancer: database, cache, broker, a worker and beat, and
    the outbox's backlog; 503 while any part is not ready."""
    ready, report = readiness()
    return JsonResponse(report, status=200 if ready else 503)


# --- when things go wrong --------------------------------------------------------------

# Seconds a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = (OperationalError, InterfaceError)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The database is briefly out of reach: 503 with Retry-After, JSON on the API and a
    calm page elsewhere (rendered without the request: its context would ask the
    database who is signed in)."""
    message = "Frontline is briefly unavailable. Please try again in a minute."
    response: HttpResponse
    if is_api(request):
        response = JsonResponse({"code": "unavailable", "detail": message}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an exception no view answered. An unreachable database is not a bug:
    it is a 503 (see ``service_unavailable``); anything else is a 500, JSON on the API."""
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE):
        return service_unavailable(request)
    if is_api(request):
        return JsonResponse(
            {"code": "server_error", "detail": "Something went wrong on our side."}, status=500
        )
    return HttpResponse(render_to_string("500.html"), status=500)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON on the API (an unknown path, a bad id), the page elsewhere."""
    if is_api(request):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return default_page_not_found(request, exception)
