"""Run in a child process by test_races: one booking attempt, started on a shared signal.
``person_id`` 0 is the shift's lead taking it off the schedule instead; a negative one is
that person cancelling the booking they already hold on the shift."""

from __future__ import annotations

import os


def attempt(database_url: str, start, results, person_id: int, shift_id: int) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontline.settings")
    import django

    django.setup()
    from rotations.models import Person, Shift
    from rotations.shifts.permissions import actor
    from rotations.shifts.services.booking import BookingRefused, booking_create
    from rotations.shifts.services.patterns import shift_cancel

    shift = Shift.objects.get(pk=shift_id)
    if person_id == 0:
        start.wait(60)
        try:
            results.put(("taken_off", 0, shift_id, shift_cancel(shift=shift, reason="Race"), ""))
        except Exception as exc:
            results.put(("error", 0, shift_id, type(exc).__name__, str(exc)))
        return
    if person_id < 0:
        from rotations.models import Booking
        from rotations.shifts.services.booking import booking_cancel

        booking = Booking.objects.select_related("person").get(
            person_id=-person_id, shift_id=shift_id
        )
        start.wait(60)
        try:
            booking_cancel(booking=booking, by=actor(booking.person), reason="Race")
        except BookingRefused as refusal:
            results.put(("refused", person_id, shift_id, refusal.code, refusal.message))
        except Exception as exc:
            results.put(("error", person_id, shift_id, type(exc).__name__, str(exc)))
        else:
            results.put(("cancelled_own", person_id, shift_id, booking.pk, ""))
        return
    person = Person.objects.get(pk=person_id)
    start.wait(60)
    try:
        booking = booking_create(shift=shift, person=person, by=actor(person))
    except BookingRefused as refusal:
        results.put(("refused", person_id, shift_id, refusal.code, refusal.message))
    except Exception as exc:  # reported to the test, which fails on it
        results.put(("error", person_id, shift_id, type(exc).__name__, str(exc)))
    else:
        results.put(("booked", person_id, shift_id, booking.pk, ""))
