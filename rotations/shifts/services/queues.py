"""Creating, editing and pausing queues."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from rotations.common.timezones import day_and_time
from rotations.models import Person, Queue
from rotations.shifts.caching import shifts_changed
from rotations.shifts.selectors import shifts_outside_hours

QUEUE_FIELDS = (
    "name",
    "channel",
    "team",
    "time_zone",
    "opens_at",
    "closes_at",
    "visitor_capacity",
    "brief",
    "booking_window_days",
    "min_notice_hours",
)


def queue_create(*, data: dict, by: Person) -> Queue:
    queue = Queue(**{f: data[f] for f in QUEUE_FIELDS if f in data})
    # The model's own rules (bounds, a known time zone, open before close, a unique
    # name) with their messages, whoever calls: a page's form or the API.
    queue.full_clean()
    with _same_name_at_once(), transaction.atomic():
        queue.save()
        leads = list(data.get("leads") or [])
        # Whoever creates a queue runs it, so it never starts without a lead.
        if by not in leads:
            leads.append(by)
        queue.leads.set(leads)
    return queue


def queue_update(*, queue: Queue, data: dict) -> Queue:
    # Only a queue's leads run it; a new queue is led by whoever creates it.
    if "leads" in data and not data["leads"]:
        raise ValidationError({"leads": "A queue needs at least one lead: pick who runs it."})
    if "time_zone" in data:
        _check_zone_change(queue, data["time_zone"])
    changed = [name for name in QUEUE_FIELDS if name in data]
    for name in changed:
        setattr(queue, name, data[name])
    queue.full_clean()
    with _same_name_at_once(), transaction.atomic():
        # Only what was sent: a pause (or another edit) saved meanwhile stays.
        if changed:
            queue.save(update_fields=changed)
        if "leads" in data:
            queue.leads.set(data["leads"])
    return queue


@contextmanager
def _same_name_at_once():
    """full_clean checked the name; two requests saving one name at the same moment are
    told apart by the unique constraint, the second refused with the same message."""
    try:
        yield
    except IntegrityError:
        raise ValidationError({"name": "A queue with this name already exists."}) from None


def _check_zone_change(queue: Queue, zone: str) -> None:
    """Shifts and patterns are wall-clock times in the queue's zone: moving the queue to
    another zone would shift them all by hours, bookings included. Only a queue with
    nothing upcoming moves."""
    stored = Queue.objects.filter(pk=queue.pk).values_list("time_zone", flat=True).first()
    if stored is None or stored == zone:
        return
    upcoming = queue.shifts.filter(is_cancelled=False, starts_at__gt=timezone.now()).count()
    if upcoming:
        raise ValidationError(
            {
                "time_zone": f"{queue.name} has {upcoming} upcoming shift{'s' if upcoming != 1 else ''} set in "
                f"{stored}; take them off the schedule (or let them pass) before moving it to another "
                "time zone."
            }
        )


def hours_warning(queue: Queue) -> str | None:
    """What the lead should know after the hours changed: upcoming shifts now outside
    them stay as they are."""
    outside = shifts_outside_hours(queue)
    if not outside:
        return None
    first = day_and_time(outside[0].starts_at, queue.zone)
    many = len(outside) != 1
    return (
        f"{len(outside)} upcoming shift{'s' if many else ''} fall{'' if many else 's'} outside the new hours "
        f"(the first on {first} {queue.time_zone}). They stay as they are: edit their pattern or take them off "
        "the schedule."
    )


def queue_pause(*, queue: Queue, reason: str = "") -> Queue:
    Queue.objects.filter(pk=queue.pk).update(is_paused=True, pause_reason=reason[:200])
    shifts_changed()
    queue.is_paused, queue.pause_reason = True, reason[:200]
    return queue


def queue_resume(*, queue: Queue) -> Queue:
    Queue.objects.filter(pk=queue.pk).update(is_paused=False, pause_reason="")
    shifts_changed()
    queue.is_paused, queue.pause_reason = False, ""
    return queue
