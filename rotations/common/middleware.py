import zoneinfo

from django.contrib.auth.middleware import LoginRequiredMiddleware as BaseLoginRequiredMiddleware
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers


class PersonTimezoneMiddleware:
    """Show every time in the viewer's own time zone; times are stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # Not left behind for whatever runs next on this thread (another request's
            # code before its own middleware, a test). A streamed body that formats times
            # takes the zone along itself (see the insight export).
            timezone.deactivate()


class NoStoreWhenSignedInMiddleware:
    """What a signed-in person is shown is theirs alone: no browser or proxy keeps a copy
    (``Cache-Control: no-store``), so Back after signing out on a shared computer shows
    nothing and no cache hands one person's schedule to another. A response that says
    how it is cached already (the calendar feed, revalidated by its ETag) is left so."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class LoginRequiredMiddleware(BaseLoginRequiredMiddleware):
    """Django's sign-in-by-default, for Frontline's own pages.

    django-allauth and the admin decide for themselves who may see their pages (a failed
    single sign-on must show its error page to someone who is not signed in, and the
    admin has its own sign-in), so their views are left to them.
    """

    SELF_GUARDED = ("allauth.", "django.contrib.admin.")

    def process_view(self, request, view_func, view_args, view_kwargs):
        module = getattr(view_func, "__module__", "") or ""
        if module.startswith(self.SELF_GUARDED):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class MethodNotAllowedPageMiddleware:
    """Django answers a GET of a POST-only address (a link followed, an address pasted)
    with an empty 405; a person gets a page saying what to do instead. The status and
    the Allow header stay, and responses that already say something (the API's) are left."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not response.content
            and request.method in ("GET", "HEAD")
        ):
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
            # CommonMiddleware, further in, already counted the empty body.
            response["Content-Length"] = str(len(response.content))
        return response
