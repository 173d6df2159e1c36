"""Creating, editing and pausing queues."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ..caching import shifts_changed
from ..models import Person, Queue

QUEUE_FIELDS = (
    "name", "channel", "team", "time_zone", "opens_at", "closes_at", "visitor_capacity",
    "brief", "booking_window_days", "min_notice_hours",
)


def queue_create(*, data: dict, by: Person) -> Queue:
    queue = Queue(**{f: data[f] for f in QUEUE_FIELDS if f in data})
    # The model's own rules (bounds, a known time zone, open before close, a unique
    # name) with their messages, whoever calls: a page's form or the API.
    queue.full_clean()
    with transaction.atomic():
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
    for name in QUEUE_FIELDS:
        if name in data:
            setattr(queue, name, data[name])
    queue.full_clean()
    with transaction.atomic():
        queue.save()
        if "leads" in data:
            queue.leads.set(data["leads"])
    return queue


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
