"""Queues' shifts: one at a time, or from a recurring pattern (an RFC 5545 RRULE).

Patterns expand in the queue's own time zone: the rule's times are wall-clock times
there, so a 09:00 shift stays at 09:00 local on both sides of a daylight-saving change
(and so moves by an hour in UTC).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from rotations.common.timezones import day_and_time
from rotations.directory.roles import Role
from rotations.directory.selectors import people_with_role
from rotations.models import (
    Booking,
    BookingStatus,
    Person,
    Queue,
    Shift,
    ShiftPattern,
)
from rotations.shifts.caching import shifts_changed
from rotations.shifts.models import (
    BOOKED_DETAILS,
    ENDS_SAME_DAY_MESSAGE,
    MIN_SHIFT_MINUTES,
    SCHEDULE_HORIZON_DAYS,
    TOO_SHORT_MESSAGE,
    same_booked_details,
)
from rotations.shifts.rrules import (
    is_open_ended,
    never_reached_weekdays,
    pattern_occurrences,
    validate_rrule,
)
from rotations.shifts.services.booking import booking_apply_cancel, booking_apply_move
from rotations.shifts.statements import lock_people, lock_person

log = logging.getLogger(__name__)

# A rule with neither UNTIL nor COUNT keeps a year of shifts ahead, and a rule with an end
# up to two years; the beat moves both along every day (``extend_pattern_schedules``).
OPEN_ENDED_HORIZON = timedelta(days=365)
# As far ahead as shifts are scheduled, and so the longest booking window a queue may have.
SCHEDULE_HORIZON = timedelta(days=SCHEDULE_HORIZON_DAYS)


def schedule_horizon(pattern: ShiftPattern, now: datetime) -> datetime:
    """How far ahead the pattern's shifts are on the schedule, as of ``now``: a rule
    without an end, a year from its first day or today, whichever is later."""
    furthest = now + SCHEDULE_HORIZON
    if not is_open_ended(pattern.rrule):
        return furthest
    first_day = datetime.combine(pattern.starts_on, pattern.start_time, tzinfo=pattern.queue.zone)
    return min(max(now, first_day) + OPEN_ENDED_HORIZON, furthest)


HORIZON_MESSAGE = "Shifts can be scheduled at most two years ahead."


def _check_capacity(queue: Queue, capacity: int) -> None:
    """A shift seats no more visitors than its queue takes at once (said of the field)."""
    if capacity > queue.visitor_capacity:
        raise ValidationError(
            {
                "capacity": f"{queue.name} takes at most {queue.visitor_capacity} visiting "
                f"executive{'s' if queue.visitor_capacity != 1 else ''} at once."
            }
        )


def _check_hours(queue: Queue, start_time: time, end_time: time) -> None:
    """A visitor sits next to an agent: only while the queue is open, in its local time."""
    if not queue.is_open_between(start_time, end_time):
        raise ValidationError(
            f"{queue.name} is open {queue.opens_at:%H:%M}–{queue.closes_at:%H:%M} ({queue.time_zone}); "
            f"a shift must fit inside those hours."
        )


def _check_horizon(queue: Queue, day: date) -> None:
    if day > (timezone.localtime(timezone.now(), queue.zone) + SCHEDULE_HORIZON).date():
        raise ValidationError(HORIZON_MESSAGE)


def _check_first_day(queue: Queue, day: date) -> None:
    """A pattern starts within a year back (a rotation already under way) and two ahead:
    its days are expanded from the first, on every edit and every beat."""
    _check_horizon(queue, day)
    if day < timezone.localtime(timezone.now(), queue.zone).date() - OPEN_ENDED_HORIZON:
        raise ValidationError("A pattern's first day can be at most a year ago.")


def _check_buddy(buddy: Person | None) -> None:
    """A buddy is a front-line employee: the visitor sits next to them on the queue."""
    if buddy is not None and not people_with_role(Role.FRONTLINE).filter(pk=buddy.pk).exists():
        raise ValidationError(
            f"{buddy.full_name} is not an active front-line employee, so cannot be a buddy."
        )


def _check_not_a_duplicate(
    queue: Queue, starts_at: datetime, ends_at: datetime, buddy: Person | None
) -> None:
    same = Shift.objects.filter(
        queue=queue, starts_at=starts_at, ends_at=ends_at, buddy=buddy, is_cancelled=False
    ).first()
    if same is not None:
        raise ValidationError(
            f"{queue.name} already has this shift{f' with {buddy.full_name}' if buddy else ''} "
            f"({day_and_time(same.starts_at, queue.zone)}, {same.capacity} "
            f"seat{'s' if same.capacity != 1 else ''}). Add seats to that one instead of adding it twice."
        )


def _check_length(start_time: time, end_time: time) -> None:
    length = datetime.combine(date.min, end_time) - datetime.combine(date.min, start_time)
    if length < timedelta(minutes=MIN_SHIFT_MINUTES):
        raise ValidationError(TOO_SHORT_MESSAGE)


def shift_create(
    *,
    queue: Queue,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    buddy: Person | None = None,
    location: str = "",
    meeting_url: str = "",
) -> Shift:
    if ends_at <= starts_at:
        raise ValidationError("A shift must end after it starts.")
    if ends_at - starts_at < timedelta(minutes=MIN_SHIFT_MINUTES):
        raise ValidationError(TOO_SHORT_MESSAGE)
    # In UTC first: a date at either end of the calendar cannot be moved to a time zone.
    if starts_at <= timezone.now():
        raise ValidationError("A new shift must start in the future.")
    if starts_at > timezone.now() + SCHEDULE_HORIZON + timedelta(days=1):
        raise ValidationError(HORIZON_MESSAGE)
    local_start, local_end = (
        timezone.localtime(moment, queue.zone) for moment in (starts_at, ends_at)
    )
    if local_end.date() != local_start.date():
        raise ValidationError("A shift starts and ends on the same day, in the queue's time zone.")
    _check_hours(queue, local_start.time(), local_end.time())
    _check_capacity(queue, capacity)
    _check_horizon(queue, local_start.date())
    _check_buddy(buddy)
    with transaction.atomic():
        # A queue's one-off shifts are added one at a time, so a double-sent form cannot
        # slip a second copy past the duplicate check.
        list(Queue.objects.select_for_update().filter(pk=queue.pk).values_list("pk"))
        _check_not_a_duplicate(queue, starts_at, ends_at, buddy)
        return Shift.objects.create(
            queue=queue,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            buddy=buddy,
            location=location,
            meeting_url=meeting_url,
        )


def shift_pattern_create(
    *,
    queue: Queue,
    rrule: str,
    starts_on: date,
    start_time: time,
    end_time: time,
    exdates: list[str] | None = None,
    capacity: int = 1,
    buddy: Person | None = None,
    location: str = "",
    meeting_url: str = "",
) -> tuple[ShiftPattern, int]:
    """Create a pattern and its future shifts; returns the pattern and how many shifts."""
    rrule = validate_rrule(rrule)
    if end_time <= start_time:
        raise ValidationError(ENDS_SAME_DAY_MESSAGE)
    _check_length(start_time, end_time)
    _check_hours(queue, start_time, end_time)
    _check_capacity(queue, capacity)
    _check_first_day(queue, starts_on)
    _check_buddy(buddy)
    pattern = ShiftPattern(
        queue=queue,
        rrule=rrule,
        starts_on=starts_on,
        start_time=start_time,
        end_time=end_time,
        exdates=sorted(exdates or []),
        capacity=capacity,
        buddy=buddy,
        location=location,
        meeting_url=meeting_url,
    )
    _check_has_days(pattern)
    now = timezone.now()
    due = _occurrences(pattern, now)
    if not due:
        raise ValidationError("This rule gives no days from today on: its last day has passed.")
    with transaction.atomic():
        pattern.save()
        shifts = _new_shifts(pattern, due)
        Shift.objects.bulk_create(shifts)
        shifts_changed()
    return pattern, len(shifts)


def _check_has_days(pattern: ShiftPattern) -> None:
    never = never_reached_weekdays(pattern.rrule, pattern.starts_on)
    if never:
        raise ValidationError(never)
    first_day = datetime.combine(pattern.starts_on, pattern.start_time, tzinfo=pattern.queue.zone)
    # Whether it has days at all; the days scheduled now are checked as they are made.
    if not _expand(pattern, until=first_day + SCHEDULE_HORIZON, skip_missing_times=True):
        raise ValidationError(
            f"This rule gives no days from {pattern.starts_on:%-d %b %Y}: does it end (UNTIL) before its first day?"
        )


def _new_shifts(pattern: ShiftPattern, occurrences: list[tuple[datetime, datetime]]) -> list[Shift]:
    """The pattern's shifts for these occurrences, leaving out any the queue already has
    live with the same times and buddy (a one-off, or another pattern's)."""
    if not occurrences:
        return []
    taken = set(
        Shift.objects.filter(
            queue=pattern.queue,
            is_cancelled=False,
            buddy=pattern.buddy,
            starts_at__in=[start for start, _ in occurrences],
        ).values_list("starts_at", "ends_at")
    )
    return [
        _shift_of(pattern, start, end) for start, end in occurrences if (start, end) not in taken
    ]


def _shift_of(pattern: ShiftPattern, start: datetime, end: datetime) -> Shift:
    return Shift(
        queue=pattern.queue,
        pattern=pattern,
        starts_at=start,
        ends_at=end,
        capacity=pattern.capacity,
        buddy=pattern.buddy,
        location=pattern.location,
        meeting_url=pattern.meeting_url,
    )


def _occurrences(
    pattern: ShiftPattern, now: datetime, *, skip_missing_times: bool = False
) -> list[tuple[datetime, datetime]]:
    """The pattern's shifts from ``now`` as far ahead as they are scheduled."""
    until = schedule_horizon(pattern, now)
    # Past days are not made again: not checked against the clocks, nor turned into times.
    since = timezone.localtime(now, pattern.queue.zone).date()
    due = _expand(pattern, until=until, since=since, skip_missing_times=skip_missing_times)
    return [(start, end) for start, end in due if start > now]


def _expand(
    pattern: ShiftPattern,
    *,
    until: datetime,
    since: date | None = None,
    skip_missing_times: bool = False,
) -> list[tuple[datetime, datetime]]:
    return pattern_occurrences(
        rule=pattern.rrule,
        starts_on=pattern.starts_on,
        start_time=pattern.start_time,
        end_time=pattern.end_time,
        exdates=pattern.exdates,
        zone=pattern.queue.zone,
        until=until,
        since=since,
        skip_missing_times=skip_missing_times,
    )


def extend_pattern_schedules(*, now: datetime | None = None) -> int:
    """Add the shifts that have come within each pattern's horizon since it was last
    expanded (run by beat every few hours). Returns how many shifts were added.

    Only days after a pattern's latest shift are added: a day before it that has no shift
    was taken off, or moved, on purpose.
    """
    now = now or timezone.now()
    added = 0
    for pattern_id in ShiftPattern.objects.values_list("pk", flat=True).order_by("pk"):
        try:
            added += _extend(pattern_id, now)
        except Exception:  # one broken pattern must not hold up every other queue's
            log.exception("extending pattern %s failed", pattern_id)
    return added


def _extend(pattern_id: int, now: datetime) -> int:
    with transaction.atomic():
        # The pattern's row lock first, as every change of its schedule takes it: an edit
        # or a day taken off runs wholly before or after this.
        pattern = _lock_pattern(pattern_id)
        if pattern is None:
            return 0
        latest = Shift.objects.filter(pattern=pattern).aggregate(latest=Max("starts_at"))["latest"]
        after = max(now, latest) if latest else now
        due = [
            (start, end)
            for start, end in _occurrences(pattern, now, skip_missing_times=True)
            if start > after
        ]
        created = Shift.objects.bulk_create(_new_shifts(pattern, due))
        if created:
            shifts_changed()
        return len(created)


def _lock_pattern(pattern_id: int) -> ShiftPattern | None:
    return (
        ShiftPattern.objects.select_for_update(of=("self",))
        .select_related("queue", "buddy")
        .filter(pk=pattern_id)
        .first()
    )


@dataclass
class PatternChange:
    """What editing a pattern does to its future shifts."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    # Booked shifts the edit would move, change or remove: only touched when confirmed.
    booked: list[Shift] = field(default_factory=list)
    applied: bool = False
    pattern: ShiftPattern | None = None  # as saved (or as it would have been)

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.booked) and not self.applied


PATTERN_FIELDS = (
    "rrule",
    "starts_on",
    "start_time",
    "end_time",
    "exdates",
    "capacity",
    "buddy",
    "location",
    "meeting_url",
)


def shift_pattern_update(
    *,
    pattern: ShiftPattern,
    touch_booked: bool = False,
    exdates_seen: list[str] | None = None,
    **changes,
) -> PatternChange:
    """Apply ``changes`` to the pattern and its future shifts.

    Unbooked future shifts follow the pattern at once. Booked ones are listed and left
    alone unless ``touch_booked``: then they move with the pattern (their bookings keep
    their calendar event, one sequence higher) or, where the pattern no longer has that
    day, are cancelled with their bookings.

    ``exdates_seen`` are the skip dates the editor was shown: days taken off the schedule
    since then (``shift_cancel``) stay skipped, whatever the form sent back. The changes
    are applied to the pattern as stored now, so two edits of different fields both hold.
    """
    unknown = set(changes) - set(PATTERN_FIELDS)
    if unknown:
        raise TypeError(f"unknown pattern fields: {sorted(unknown)}")
    if "rrule" in changes:
        changes["rrule"] = validate_rrule(changes["rrule"])
    if "exdates" in changes:
        changes["exdates"] = sorted(changes["exdates"])

    result = PatternChange()
    with transaction.atomic():
        # The pattern, then the people booked on its shifts, then the shifts: the order
        # every change of a pattern's schedule takes (the beat, a day taken off).
        locked = _lock_pattern(pattern.pk)
        if locked is None:
            raise ValidationError("This pattern no longer exists.")
        result.pattern = pattern = locked
        stored_exdates, times_before, buddy_before = (
            pattern.exdates,
            (pattern.start_time, pattern.end_time),
            pattern.buddy_id,
        )
        for name, value in changes.items():
            setattr(pattern, name, value)
        if "exdates" in changes and exdates_seen is not None:
            pattern.exdates = sorted({*pattern.exdates, *(set(stored_exdates) - set(exdates_seen))})
        if pattern.end_time <= pattern.start_time:
            raise ValidationError(ENDS_SAME_DAY_MESSAGE)
        _check_length(pattern.start_time, pattern.end_time)
        if (pattern.start_time, pattern.end_time) != times_before:
            # Only new times are held to the hours: a pattern made before the rule (or
            # before the hours changed) can still get a new buddy, capacity or skip date.
            _check_hours(pattern.queue, pattern.start_time, pattern.end_time)
        _check_capacity(pattern.queue, pattern.capacity)
        if pattern.buddy_id != buddy_before:
            _check_buddy(pattern.buddy)
        if "starts_on" in changes:
            _check_first_day(pattern.queue, pattern.starts_on)

        now = timezone.now()
        zone = pattern.queue.zone
        current = _lock_with_people(
            Shift.objects.filter(pattern=pattern, starts_at__gt=now, is_cancelled=False).order_by(
                "starts_at"
            )
        )
        _check_has_days(pattern)
        wanted = {timezone.localtime(s, zone).date(): (s, e) for s, e in _occurrences(pattern, now)}
        # (shift, new (start, end) or None for removal)
        plan: list[tuple[Shift, tuple[datetime, datetime] | None]] = []
        for shift in current:
            day = timezone.localtime(shift.starts_at, zone).date()
            target = wanted.pop(day, None)
            if target is None:
                plan.append((shift, None))
            elif shift.capacity != pattern.capacity or not same_booked_details(
                shift, _shift_of(pattern, *target)
            ):
                plan.append((shift, target))
        _check_moves_land_on_nothing(pattern, [target for _, target in plan if target is not None])
        result.booked = [shift for shift, _ in plan if shift.seats_taken]
        if result.booked and not touch_booked:
            transaction.set_rollback(True)
            return result

        for shift, target in plan:
            if target is None:
                _remove_shift(shift)
                result.removed += 1
            else:
                _move_shift(shift, pattern, target)
                result.updated += 1
        pattern.save()
        created = Shift.objects.bulk_create(_new_shifts(pattern, list(wanted.values())))
        result.created = len(created)
        result.applied = True
        shifts_changed()
    return result


def _check_moves_land_on_nothing(
    pattern: ShiftPattern, targets: list[tuple[datetime, datetime]]
) -> None:
    """A shift the edit changes must not become one the queue already has (same times and
    buddy): refused, since unlike a new day it cannot just be left out."""
    if not targets:
        return
    others = Shift.objects.filter(
        queue=pattern.queue,
        is_cancelled=False,
        buddy=pattern.buddy,
        starts_at__in=[start for start, _ in targets],
    ).exclude(pattern=pattern)
    wanted = set(targets)
    clash = next(
        (s for s in others.order_by("starts_at") if (s.starts_at, s.ends_at) in wanted), None
    )
    if clash is not None:
        raise ValidationError(
            f"{pattern.queue.name} already has the shift this edit would make on "
            f"{day_and_time(clash.starts_at, pattern.queue.zone)}"
            f"{f' with {pattern.buddy.full_name}' if pattern.buddy else ''}. "
            "Take one of them off the schedule first, or skip that date."
        )


def _move_shift(shift: Shift, pattern: ShiftPattern, target: tuple[datetime, datetime]) -> None:
    if pattern.capacity < shift.seats_taken:
        raise ValidationError(
            f"The shift on {day_and_time(shift.starts_at, pattern.queue.zone)} already has {shift.seats_taken} "
            f"booked; the capacity cannot go below that."
        )
    wanted = _shift_of(pattern, *target)
    for name in (*BOOKED_DETAILS, "capacity"):
        setattr(shift, name, getattr(wanted, name))
    shift.save()
    # Every booked calendar learns of the change: new times, buddy or place.
    for booking in shift.bookings.filter(status=BookingStatus.CONFIRMED).select_related("person"):
        lock_person(booking.person)
        booking_apply_move(booking=booking, to_shift=shift)


def _remove_shift(
    shift: Shift, *, reason: str = "The shift was taken off the schedule.", keep: bool = False
) -> int:
    """Off the schedule: deleted if nobody ever booked it (unless ``keep``), else kept,
    cancelled, for its bookings' history. Returns how many bookings it cancelled."""
    if not keep and not shift.bookings.exists():
        shift.delete()
        return 0
    cancelled = 0
    for booking in shift.bookings.filter(status=BookingStatus.CONFIRMED).select_related("person"):
        lock_person(booking.person)
        booking_apply_cancel(booking=booking, reason=reason)
        cancelled += 1
    shift.is_cancelled = True
    shift.seats_taken = 0
    shift.save(update_fields=["is_cancelled", "seats_taken"])
    return cancelled


LOCK_ATTEMPTS = 5


def _lock_with_people(shifts: QuerySet[Shift]) -> list[Shift]:
    """Lock ``shifts`` and everyone booked on them, people first as booking does, so a
    lead's change and an executive's booking never wait on each other in a circle.

    Someone who books between reading who is booked and locking the shifts shows up on a
    second read; all these locks are then let go (a savepoint) and taken again in order.
    """
    for _ in range(LOCK_ATTEMPTS):
        people = _booked_people(shifts)
        point = transaction.savepoint()
        lock_people(people)
        locked = list(shifts.select_for_update(of=("self",)))
        if _booked_people([shift.pk for shift in locked]) <= people:
            transaction.savepoint_commit(point)
            return locked
        transaction.savepoint_rollback(point)
    raise ValidationError(
        "Executives are booking these shifts at this very moment: try again in a few seconds."
    )


def _booked_people(shifts) -> set[int]:
    return set(
        Booking.objects.filter(shift__in=shifts, status=BookingStatus.CONFIRMED).values_list(
            "person_id", flat=True
        )
    )


def shift_cancel(*, shift: Shift, reason: str) -> int:
    """Take one upcoming shift off the schedule. Its bookings are cancelled and their
    calendars told why; a pattern's shift becomes one of its exception dates, so no later
    edit of the pattern brings it back. Returns how many bookings were cancelled."""
    reason = (reason or "").strip()
    with transaction.atomic():
        # Pattern first, as the pattern's edits and the beat lock it (a shift's pattern
        # never changes, so the unlocked read says which).
        pattern = _lock_pattern(shift.pattern_id) if shift.pattern_id is not None else None
        locked = _lock_with_people(Shift.objects.select_related("queue").filter(pk=shift.pk))
        if not locked:
            raise ValidationError("This shift is already off the schedule.")
        [shift] = locked
        if shift.is_cancelled:
            raise ValidationError("This shift is already off the schedule.")
        if shift.starts_at <= timezone.now():
            raise ValidationError("This shift has started: mark its attendance instead.")
        if not reason and _booked_people([shift.pk]):
            raise ValidationError(
                "Say why the shift is coming off the schedule: booked executives are told."
            )
        if pattern is not None:
            day = timezone.localtime(shift.starts_at, shift.queue.zone).date().isoformat()
            pattern.exdates = sorted({*pattern.exdates, day})
            pattern.save(update_fields=["exdates"])
        # Kept even when nobody booked it: someone booking it this moment is told it was
        # cancelled rather than that it never existed.
        told = (
            f"The shift was taken off the schedule: {reason}"
            if reason
            else "The shift was taken off the schedule."
        )
        cancelled = _remove_shift(shift, reason=told, keep=True)
        shifts_changed()
    return cancelled
