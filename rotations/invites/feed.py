"""Each person's calendar feed: a secret address calendar apps subscribe to.

For people who cannot answer invites (or prefer a subscription): every upcoming shift
they are booked on or are the buddy of, as METHOD:PUBLISH with no attendees, so the feed
never tells anyone who else is coming.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from rotations.invites.ical import PRODID, CalendarEvent, Method, build_calendar
from rotations.invites.identity import event_uid, organizer
from rotations.invites.models import new_feed_token
from rotations.models import SEAT_HOLDING, Booking, CalendarFeed, Person

# Shifts stay in the feed for a while after they end, so a calendar does not drop them
# the moment they are over.
KEEP_PAST = timedelta(days=30)


def feed_of(person: Person) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.get_or_create(person=person)
    return feed


def feed_renew(person: Person) -> CalendarFeed:
    """A new secret address; the old one stops working at once."""
    with transaction.atomic():
        feed = feed_of(person)
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
    return feed


def feed_path(feed: CalendarFeed) -> str:
    return reverse("calendar-feed", args=[feed.token])


def feed_bookings(person: Person):
    """Bookings of the person, and bookings on shifts they are the buddy of."""
    return (
        Booking.objects.filter(Q(person=person) | Q(shift__buddy=person))
        .filter(status__in=SEAT_HOLDING, ends_at__gte=timezone.now() - KEEP_PAST)
        .select_related("shift__queue", "shift__buddy", "person")
        .order_by("starts_at", "pk")
    )


def feed_calendar(person: Person) -> tuple[bytes, str]:
    """The feed's bytes and their ETag (the same bytes always give the same tag)."""
    events = [_event(booking, person) for booking in feed_bookings(person)]
    data = build_calendar(Method.PUBLISH, events) if events else _empty_calendar()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _event(booking: Booking, viewer: Person) -> CalendarEvent:
    shift, queue = booking.shift, booking.shift.queue
    link = settings.SITE_URL + reverse("shifts:detail", args=[shift.pk])
    if booking.person_id == viewer.pk:
        summary = f"Front-line shift: {queue.name}"
        who = f"Buddy: {shift.buddy.full_name}" if shift.buddy else ""
    else:
        summary = f"Buddy for {booking.person.full_name}: {queue.name}"
        who = ""
    return CalendarEvent(
        uid=event_uid(booking),
        sequence=booking.sequence,
        stamp=booking.updated_at,
        start=booking.starts_at,
        end=booking.ends_at,
        summary=summary,
        organizer=organizer(),
        description="\n\n".join(part for part in (queue.brief, who, link) if part),
        location=shift.location or shift.meeting_url,
        url=shift.meeting_url or link,
        alarm_before=None,
    )


def _empty_calendar() -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", Method.PUBLISH.value)
    return calendar.to_ical()
