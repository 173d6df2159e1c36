from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rotations.directory.roles import roles_of
from rotations.directory.selectors import management_chain
from rotations.mentoring.selectors import cycles_asking, next_sessions
from rotations.programs.views import program_cards
from rotations.shifts.selectors import awaiting_insights, bookings_of, buddy_shifts


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    person = request.user
    roles = roles_of(person)
    now = timezone.now()
    return render(
        request,
        "rotations/home.html",
        {
            "person": person,
            "roles": roles,
            "role_values": {role.value for role in roles},
            "chain": management_chain(person),
            "has_mfa": person.authenticator_set.exists(),
            "upcoming_bookings": bookings_of(person).filter(ends_at__gt=now)[:5],
            "upcoming_buddy_shifts": buddy_shifts(person).filter(ends_at__gt=now)[:5],
            "led_queues": person.led_queues.all(),
            "awaiting_insights": awaiting_insights(person)[:5],
            "mentoring_asking": [
                (c, role) for c, role, profile in cycles_asking(person) if profile is None
            ],
            "mentoring_sessions": next_sessions(person)[:3],
            "program_cards": program_cards(person),
        },
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
