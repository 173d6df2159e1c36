"""Who may see and do what, object by object: one lookup per kind, for pages and API.

Each ``get_<thing>_for_<action>`` returns the object or raises ``Http404`` (the person
may not know it exists) or ``PermissionDenied`` (they may see it but not do this).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from rotations.common.sql import storable_id
from rotations.models import Booking, Person, Queue, Shift, ShiftPattern
from rotations.shifts.services.booking import Actor

# Said to someone who may see a queue but does not run it (the API shows it; pages too).
MANAGE_REFUSED = "Only this queue's support leads can change it."


def actor(person: Person) -> Actor:
    """Who acts, and on which queues for others: HR (who may book for others) on every
    queue, a support lead on the queues they lead, an executive on none."""
    if person.has_perm("rotations.book_for_others"):
        return Actor(person=person, for_others_on=None)
    if person.has_perm("rotations.manage_queues"):
        return Actor(person=person, for_others_on=frozenset(led_queue_ids(person)))
    return Actor(person=person)


def led_queue_ids(person: Person) -> list[int]:
    return list(
        Queue.leads.through.objects.filter(person=person).values_list("queue_id", flat=True)
    )


def may_act_for_others_on(person: Person, queue: Queue) -> bool:
    """Whether ``person`` may book, move and cancel someone else on ``queue``: the rule
    of ``Actor``, asked of one queue (pages showing the Move and Cancel links)."""
    return person.has_perm("rotations.book_for_others") or can_manage_queue(person, queue)


def can_browse_shifts(person: Person) -> bool:
    return any(
        person.has_perm(p)
        for p in ("rotations.book_shift", "rotations.book_for_others", "rotations.view_queue")
    )


def is_lead_of(person: Person, queue: Queue) -> bool:
    return person.is_superuser or queue.leads.filter(pk=person.pk).exists()


def can_manage_queue(person: Person, queue: Queue) -> bool:
    return person.has_perm("rotations.manage_queues") and is_lead_of(person, queue)


def get_queue_for_view(person: Person, queue_id: int) -> Queue:
    if not person.has_perm("rotations.view_queue"):
        raise PermissionDenied
    try:
        return Queue.objects.get(pk=queue_id)
    except Queue.DoesNotExist:
        raise Http404 from None


def get_queue_for_manage(person: Person, queue_id: int) -> Queue:
    queue = get_queue_for_view(person, queue_id)
    if not can_manage_queue(person, queue):
        raise PermissionDenied(MANAGE_REFUSED)
    return queue


def get_pattern_for_view(person: Person, pattern_id: int) -> ShiftPattern:
    """A shift pattern, for whoever may see its queue."""
    if not person.has_perm("rotations.view_queue"):
        raise PermissionDenied
    try:
        return ShiftPattern.objects.select_related("queue", "buddy").get(pk=pattern_id)
    except ShiftPattern.DoesNotExist:
        raise Http404 from None


def get_pattern_for_manage(person: Person, pattern_id: int) -> ShiftPattern:
    """A shift pattern its queue's leads may change."""
    pattern = get_pattern_for_view(person, pattern_id)
    if not can_manage_queue(person, pattern.queue):
        raise PermissionDenied(MANAGE_REFUSED)
    return pattern


def get_shift_for_view(person: Person, shift_id: int) -> Shift:
    try:
        shift = Shift.objects.select_related("queue", "buddy").get(pk=shift_id)
    except Shift.DoesNotExist:
        raise Http404 from None
    if can_browse_shifts(person) or shift.buddy_id == person.pk:
        return shift
    raise PermissionDenied


def get_shift_for_manage(person: Person, shift_id: int) -> Shift:
    """A shift its queue's leads may change: as ``get_queue_for_manage``, shift by shift."""
    if not person.has_perm("rotations.view_queue"):
        raise PermissionDenied
    try:
        shift = Shift.objects.select_related("queue", "buddy").get(pk=shift_id)
    except Shift.DoesNotExist:
        raise Http404 from None
    if not can_manage_queue(person, shift.queue):
        raise PermissionDenied(MANAGE_REFUSED)
    return shift


def can_mark_attendance(person: Person, shift: Shift) -> bool:
    return shift.buddy_id == person.pk or can_manage_queue(person, shift.queue)


def get_shift_for_attendance(person: Person, shift_id: int) -> Shift:
    shift = get_shift_for_view(person, shift_id)
    if not can_mark_attendance(person, shift):
        raise PermissionDenied
    return shift


def can_see_booking(person: Person, booking: Booking) -> bool:
    """The executive's own, their buddy's, their queue's leads', and HR's."""
    return (
        booking.person_id == person.pk
        or person.has_perm("rotations.book_for_others")
        or booking.shift.buddy_id == person.pk
        or is_lead_of(person, booking.shift.queue)
    )


def can_change_booking(person: Person, booking: Booking) -> bool:
    if booking.person_id == person.pk:
        return person.has_perm("rotations.book_shift")
    return may_act_for_others_on(person, booking.shift.queue)


def _booking(booking_id: int) -> Booking:
    try:
        return Booking.objects.select_related("shift__queue", "shift__buddy", "person").get(
            pk=booking_id
        )
    except Booking.DoesNotExist:
        raise Http404 from None


def get_booking_for_view(person: Person, booking_id: int) -> Booking:
    booking = _booking(booking_id)
    if not can_see_booking(person, booking):
        raise Http404
    return booking


def get_booking_for_change(person: Person, booking_id: int) -> Booking:
    booking = get_booking_for_view(person, booking_id)
    if not can_change_booking(person, booking):
        raise PermissionDenied
    return booking


def get_booking_for_attendance(person: Person, booking_id: int) -> Booking:
    booking = get_booking_for_view(person, booking_id)
    if not can_mark_attendance(person, booking.shift):
        raise PermissionDenied
    return booking


def get_person_to_book_for(person: Person, person_id: object | None) -> Person:
    """Whom ``person`` books when they ask to book ``person_id`` (None or their own id:
    themselves), for the booking page and the API alike.

    Themselves if they are an executive; anyone else only if they may book for others
    somewhere (HR, and support leads on the queues they lead: the booking checks the
    queue), and then only an active person: 404 for anyone else, 403 for a person who may
    not book at all or not for others. (Whether the person booked takes part in Frontline
    is the booking's own rule, with its own message.)
    """
    if person_id in (None, "") or str(person_id) == str(person.pk):
        if not person.has_perm("rotations.book_shift"):
            raise PermissionDenied("Only executives book shifts for themselves.")
        return person
    if not (
        person.has_perm("rotations.book_for_others") or person.has_perm("rotations.manage_queues")
    ):
        raise PermissionDenied("You can only book for yourself.")
    if not str(person_id).isdigit() or not storable_id(Person, int(str(person_id))):
        raise Http404
    try:
        return Person.objects.get(pk=int(str(person_id)), is_active=True)
    except Person.DoesNotExist:
        raise Http404 from None


def get_booking_for_insight(person: Person, booking_id: int) -> Booking:
    """A booking ``person`` may log insights from: only the executive who sat it (whoever
    else may see it gets 403; whoever may not, 404)."""
    booking = get_booking_for_view(person, booking_id)
    if booking.person_id != person.pk:
        raise PermissionDenied("Only the executive who sat the shift can log its insights.")
    return booking
