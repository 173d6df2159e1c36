"""Each person's home page: what their roles ask of them now, from every domain."""

from allauth.mfa.models import Authenticator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from rotations.common.http import AuthedRequest
from rotations.directory.roles import roles_of
from rotations.directory.selectors import management_chain
from rotations.mentoring.selectors import cycles_asking, next_sessions
from rotations.programs.views import program_cards
from rotations.shifts.selectors import awaiting_insights, bookings_of, buddy_shifts


@require_safe
def home(request: AuthedRequest) -> HttpResponse:
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
            "has_mfa": Authenticator.objects.filter(user=person).exists(),
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
