"""Support queues, the shifts executives sit in them, and their bookings."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from rotations.common.sql import concrete_field
from rotations.common.validators import validate_time_zone


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social"


# Nothing is scheduled further ahead: two years, leap day included.
SCHEDULE_HORIZON_DAYS = 731
# Times of day (a pattern, or a shift entered as a day and two times) cannot say "the next
# day", so a lead typing 23:00–01:00 must hear why, not only that the end comes first.
# A shift shorter than this is a typing slip (a 1 µs shift's invite read "11:00–11:00").
MIN_SHIFT_MINUTES = 15
TOO_SHORT_MESSAGE = f"A shift lasts at least {MIN_SHIFT_MINUTES} minutes."
ENDS_SAME_DAY_MESSAGE = (
    "A shift must end after it starts, on the same day: a shift cannot run past midnight "
    "(make two shifts, one each side of it)."
)


class Queue(models.Model):
    """A support queue executives visit, run by one or more support leads."""

    name = models.CharField(max_length=120, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    team = models.CharField(max_length=120)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    opens_at = models.TimeField(default=time(9, 0), help_text="Local time in the queue's zone.")
    closes_at = models.TimeField(default=time(17, 0))
    leads = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="led_queues", blank=True)
    visitor_capacity = models.PositiveSmallIntegerField(
        default=2,
        help_text="How many visiting executives the queue takes at once.",
        validators=[MaxValueValidator(50)],
    )
    brief = models.TextField(
        blank=True, help_text="What a visitor will do: shown on every shift and invite."
    )
    is_paused = models.BooleanField(
        default=False, help_text="Closed for new bookings (an incident, a busy day)."
    )
    pause_reason = models.CharField(max_length=200, blank=True)
    # Booking rules, checked on every booking, reschedule and cancellation.
    # Bounds a person would recognise, that keep date arithmetic in range.
    booking_window_days = models.PositiveSmallIntegerField(
        default=90,
        help_text="How many days ahead shifts can be booked.",
        validators=[MinValueValidator(1), MaxValueValidator(SCHEDULE_HORIZON_DAYS)],
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        default=24,
        help_text="Hours before a shift after which it cannot be booked, moved or cancelled.",
        validators=[MaxValueValidator(24 * 90)],
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="queue_opens_before_it_closes",
                violation_error_message="The queue must close after it opens.",
            ),
            models.CheckConstraint(
                condition=Q(visitor_capacity__gte=1),
                name="queue_takes_a_visitor",
                violation_error_message="A queue takes at least one visitor.",
            ),
            # "Billing chat" and "billing chat" would be two queues nobody can tell apart.
            models.UniqueConstraint(
                Lower("name"),
                name="queue_name_unique_ignoring_case",
                violation_error_message="A queue with this name already exists.",
            ),
        ]
        permissions = [
            ("manage_queues", "Can run queues, shifts and attendance"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def is_open_between(self, start_time: time, end_time: time) -> bool:
        """Whether a visit from ``start_time`` to ``end_time`` (local) fits the opening hours."""
        return self.opens_at <= start_time and end_time <= self.closes_at

    def is_open_for(self, starts_at, ends_at) -> bool:
        """Whether a shift at these moments fits the hours: on one local day, while open."""
        start, end = starts_at.astimezone(self.zone), ends_at.astimezone(self.zone)
        return start.date() == end.date() and self.is_open_between(start.time(), end.time())


class ShiftPattern(models.Model):
    """A recurring rule (RFC 5545 RRULE) that generates a queue's shifts.

    Times are local to the queue: 09:00 stays 09:00 across a daylight-saving change.
    """

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="patterns")
    rrule = models.CharField(
        max_length=500, help_text="e.g. FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270630"
    )
    starts_on = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    exdates = models.JSONField(default=list, blank=True, help_text="ISO dates with no shift.")
    capacity = models.PositiveSmallIntegerField(default=1)
    buddy = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.CharField(max_length=200, blank=True)
    meeting_url = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["queue", "starts_on", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="pattern_ends_after_start",
                violation_error_message=ENDS_SAME_DAY_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="pattern_has_a_seat",
                violation_error_message="A pattern has at least one seat.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.queue}: {self.rrule} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class Shift(models.Model):
    """One slot of time in one queue, with a capacity and a buddy."""

    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="shifts")
    pattern = models.ForeignKey(
        ShiftPattern, null=True, blank=True, on_delete=models.SET_NULL, related_name="shifts"
    )
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(default=1)
    # Seats held by confirmed (and later attended / no-show) bookings. Kept by the booking
    # services with conditional updates, so the database itself refuses an overbooking.
    seats_taken = models.PositiveSmallIntegerField(default=0)
    buddy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buddy_shifts",
    )
    location = models.CharField(max_length=200, blank=True)
    meeting_url = models.URLField(blank=True)
    is_cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at", "queue_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="shift_ends_after_start",
                violation_error_message="A shift must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="shift_has_a_seat",
                violation_error_message="A shift has at least one seat.",
            ),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="shift_never_overbooked"
            ),
            # Live shifts only: a day taken off (kept, cancelled, for its bookings'
            # history) can be put back on the schedule by the pattern.
            models.UniqueConstraint(
                fields=["pattern", "starts_at"],
                condition=Q(pattern__isnull=False, is_cancelled=False),
                name="one_live_shift_per_pattern_occurrence",
            ),
        ]
        indexes = [models.Index(fields=["queue", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.queue} {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def seats_left(self) -> int:
        return 0 if self.is_cancelled else max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_taken >= self.capacity


# What a booking copies from its shift or its invites say of it: a change to any of these
# is one every booked calendar must hear of, and a seat is taken only on a shift whose
# details are still as the booking read them.
BOOKED_DETAILS = ("starts_at", "ends_at", "buddy", "location", "meeting_url")


def same_booked_details(shift: Shift, other: Shift) -> bool:
    """Whether two readings of a shift agree on everything a booking takes from it."""
    attnames = (concrete_field(Shift, name).attname for name in BOOKED_DETAILS)
    return all(getattr(shift, name) == getattr(other, name) for name in attnames)


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"


# Statuses that hold a seat (and a place in the person's calendar).
SEAT_HOLDING = (BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)


class Booking(models.Model):
    """An executive's seat on a shift.

    ``uid`` and ``sequence`` are what calendars need: one event per booking whose
    sequence grows with every change, so a moved shift moves the same calendar entry.
    """

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="bookings")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookings"
    )
    status = models.CharField(
        max_length=10, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    # Copied from the shift so a person's calendar can be checked without joins.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "person"],
                condition=~Q(status="cancelled"),
                name="one_live_booking_per_person_per_shift",
            ),
        ]
        indexes = [models.Index(fields=["person", "starts_at"])]
        permissions = [
            ("book_shift", "Can book shifts for themselves"),
            ("book_for_others", "Can book, move and cancel shifts for someone else"),
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.shift}"

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING


class CalendarChangeKind(models.TextChoices):
    BOOKED = "booked", "Booked"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"


class CalendarChange(models.Model):
    """What the attendees' calendars must be told, written with the change it records.

    The invites worker turns each into iCalendar messages; nothing is sent from a view.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="calendar_changes")
    # The shift as of this change: an invite rendered late still describes this one.
    shift = models.ForeignKey(Shift, null=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=CalendarChangeKind.choices)
    sequence = models.PositiveIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["booking", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "sequence"], name="one_change_per_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.sequence} of booking {self.booking_id}"
