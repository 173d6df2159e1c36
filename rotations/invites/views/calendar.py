"""A person's calendar feed, and the page where they find or renew its address."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_safe

from rotations.common.http import AuthedRequest
from rotations.invites.feed import feed_calendar, feed_of, feed_path, feed_renew
from rotations.models import CalendarFeed


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret address is the credential: calendar apps cannot sign in."""
    feed = CalendarFeed.objects.select_related("person").filter(token=token).first()
    if feed is None or not feed.person.is_active:
        raise Http404
    data, etag = feed_calendar(feed.person)
    response: HttpResponse
    if etag in _etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="frontline.ics"'
    response["ETag"] = etag
    # Private: the feed is one person's; revalidate so a renewed address stops at once.
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


@require_http_methods(["GET", "HEAD", "POST"])
def calendar_settings(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        feed_renew(request.user)
        messages.success(request, "Your calendar address is renewed; the old one no longer works.")
        return redirect("calendar-settings")
    url = settings.SITE_URL + feed_path(feed_of(request.user))  # never the request's Host
    return render(
        request,
        "account/calendar.html",
        {"feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]},
    )
