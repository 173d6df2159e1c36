"""What stays the same for the life of a booking's calendar entry: its UID, the outbox
key of each message about it, and the organizer every invite names."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings

from rotations.invites.ical import Party
from rotations.models import Booking


def event_uid(booking: Booking) -> str:
    """Stable for the life of the booking: every change updates the same calendar entry."""
    return f"booking-{booking.uid}@frontline"


def invite_key(booking: Booking, sequence: int, email: str) -> str:
    return f"invite:{booking.uid}:{sequence}:{email.lower()}"


def organizer() -> Party:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return Party(email=address, name=name or "Frontline")
