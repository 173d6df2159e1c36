"""Error pages that need more than a template: they say what happened in the person's words."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware import csrf
from django.shortcuts import render

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
