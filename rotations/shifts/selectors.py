"""Reads of shifts and bookings, each at a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.db.models.functions import ExtractIsoWeekDay, TruncDate, TruncTime
from django.utils import timezone

from rotations.models import SEAT_HOLDING, Booking, BookingStatus, Person, Queue, Shift


@dataclass(frozen=True)
class ShiftFilters:
    queue_id: int | None = None
    channel: str = ""
    date_from: date | None = None
    date_to: date | None = None
    fits_my_calendar: bool = False
    # A program's view: only its queues (empty: all), never on its blackout dates.
    queue_ids: tuple[int, ...] = ()
    skip_days: tuple[date, ...] = ()
    # Leads and HR may override minimum notice: they also see shifts starting too soon.
    within_notice: bool = False


def open_shifts(*, viewer: Person, filters: ShiftFilters = ShiftFilters()) -> QuerySet[Shift]:
    """Future shifts with a free seat in unpaused queues, inside the queue's booking window
    and (unless ``within_notice``) not too soon for its minimum notice.

    Dates are the viewer's own calendar days. "Fits my calendar": on a weekday, inside
    the viewer's working hours in their time zone, on a day they have no other shift.
    """
    now = timezone.now()
    zone = viewer.zone
    shifts = (
        Shift.objects.filter(
            starts_at__gt=now,
            is_cancelled=False,
            queue__is_paused=False,
            seats_taken__lt=F("capacity"),
        )
        .select_related("queue", "buddy")
        .order_by("starts_at", "queue__name", "pk")
    )
    # The booking window differs per queue; the widest bounds the query, the rest is
    # filtered against each queue's own window below in SQL.
    rules = list(Queue.objects.values_list("booking_window_days", "min_notice_hours"))
    windows = {window for window, _ in rules}
    if windows:
        shifts = shifts.filter(starts_at__lte=now + timedelta(days=max(windows)))
        for window in windows:
            if window < max(windows):
                shifts = shifts.exclude(
                    queue__booking_window_days=window, starts_at__gt=now + timedelta(days=window)
                )
    if not filters.within_notice:
        # Too soon to book: listing them would only lead to a refusal.
        for notice in {notice for _, notice in rules if notice}:
            shifts = shifts.exclude(
                queue__min_notice_hours=notice, starts_at__lt=now + timedelta(hours=notice)
            )
    if filters.queue_id:
        shifts = shifts.filter(queue_id=filters.queue_id)
    if filters.channel:
        shifts = shifts.filter(queue__channel=filters.channel)
    if filters.queue_ids:
        shifts = shifts.filter(queue_id__in=filters.queue_ids)
    for day in filters.skip_days:
        shifts = shifts.exclude(
            starts_at__gte=_local_midnight(day, zone),
            starts_at__lt=_local_midnight(day + timedelta(days=1), zone),
        )
    shifts = starting_between(shifts, filters.date_from, filters.date_to, zone)
    if filters.fits_my_calendar:
        mine = Booking.objects.filter(person=viewer, status__in=SEAT_HOLDING)
        busy_days = {
            timezone.localtime(start, zone).date()
            for start in mine.filter(starts_at__gt=now - timedelta(days=1)).values_list(
                "starts_at", flat=True
            )
        }
        shifts = (
            shifts.annotate(
                local_day=TruncDate("starts_at", tzinfo=zone),
                local_end_day=TruncDate("ends_at", tzinfo=zone),
                local_start=TruncTime("starts_at", tzinfo=zone),
                local_end=TruncTime("ends_at", tzinfo=zone),
                local_weekday=ExtractIsoWeekDay("starts_at", tzinfo=zone),
            )
            .filter(
                local_day=F("local_end_day"),
                local_start__gte=viewer.work_starts_at,
                local_end__lte=viewer.work_ends_at,
                local_weekday__lte=5,
            )
            .exclude(local_day__in=busy_days)
            .exclude(
                Exists(
                    mine.filter(
                        starts_at__lt=OuterRef("ends_at"), ends_at__gt=OuterRef("starts_at")
                    )
                )
            )
        )
    return shifts


def shifts_outside_hours(queue: Queue) -> list[Shift]:
    """Upcoming shifts that no longer fit the queue's hours (after its hours or time zone
    changed): they stay as they are, but the lead should know."""
    upcoming = queue.shifts.filter(is_cancelled=False, starts_at__gt=timezone.now()).order_by(
        "starts_at"
    )
    return [shift for shift in upcoming if not queue.is_open_for(shift.starts_at, shift.ends_at)]


def starting_between(
    shifts: QuerySet[Shift], first: date | None, last: date | None, zone
) -> QuerySet[Shift]:
    """Shifts starting on ``first`` … ``last`` (either may be open), as days on ``zone``'s calendar."""
    if first:
        shifts = shifts.filter(starts_at__gte=_local_midnight(first, zone))
    if last:
        shifts = shifts.filter(
            starts_at__lt=_local_midnight(min(last, LATEST_DAY) + timedelta(days=1), zone)
        )
    return shifts


# A filter's day at either end of the calendar means "from the beginning" or "to the end":
# held inside these, it can be moved between time zones without overflowing.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(9000, 1, 1)


def _local_midnight(day: date, zone) -> datetime:
    day = min(max(day, EARLIEST_DAY), LATEST_DAY)
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def bookings_of(person: Person) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(person=person)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("person", "shift__queue", "shift__buddy")
        .order_by("starts_at")
    )


# Older shifts drop off the home page: by then the memory has faded anyway.
AWAITING_INSIGHTS_FOR = timedelta(days=30)


def awaiting_insights(person: Person) -> QuerySet[Booking]:
    """Shifts the person attended in the last weeks and has logged nothing from yet."""
    since = timezone.now() - AWAITING_INSIGHTS_FOR
    return (
        Booking.objects.filter(
            person=person, status=BookingStatus.ATTENDED, ends_at__gte=since, insights__isnull=True
        )
        .select_related("shift__queue")
        .order_by("-starts_at")
    )


def buddy_shifts(person: Person) -> QuerySet[Shift]:
    """Shifts the person is buddy on, with the executives booked on each."""
    return (
        Shift.objects.filter(buddy=person, is_cancelled=False)
        .select_related("queue")
        .prefetch_related(
            Prefetch(
                "bookings",
                queryset=Booking.objects.exclude(status=BookingStatus.CANCELLED)
                .select_related("person")
                .order_by("person__full_name"),
                to_attr="live_bookings",
            )
        )
        .order_by("starts_at")
    )


def shift_bookings(shift: Shift) -> QuerySet[Booking]:
    return (
        shift.bookings.exclude(status=BookingStatus.CANCELLED)
        .select_related("person", "person__department")
        .order_by("person__full_name")
    )


def queue_shifts(queue: Queue, *, upcoming: bool = True) -> QuerySet[Shift]:
    now = timezone.now()
    shifts = queue.shifts.select_related("buddy").filter(is_cancelled=False)
    if upcoming:
        return shifts.filter(ends_at__gt=now).order_by("starts_at", "pk")
    return shifts.filter(ends_at__lte=now).order_by("-starts_at", "-pk")


def queue_choices() -> list[tuple[int, str]]:
    return list(Queue.objects.order_by("name").values_list("pk", "name"))
