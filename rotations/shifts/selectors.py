"""Reads of shifts and bookings, each at a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    DateTimeField,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    QuerySet,
    Value,
)
from django.db.models.functions import ExtractIsoWeekDay, TruncDate, TruncTime
from django.utils import timezone

from rotations.common.timezones import local_midnight, local_midnight_after
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


class Later(Func):
    """``moment`` plus a whole number of days or hours read from a column, in SQL."""

    output_field = DateTimeField()

    def __init__(self, moment: datetime, column: str, *, unit: str):
        if unit not in ("day", "hour"):
            raise ValueError(unit)
        self.unit = unit
        super().__init__(Value(moment, output_field=DateTimeField()), F(column))

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL, the other backend Frontline runs on.
        return super().as_sql(
            compiler,
            connection,
            template=f"(%(expressions)s * INTERVAL '1 {self.unit}')",
            arg_joiner=" + ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Stored as text, 'YYYY-MM-DD HH:MM:SS.ffffff': strftime keeps the same shape.
        moment, amount = (compiler.compile(expression) for expression in self.source_expressions)
        sql = f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {moment[0]}, '+' || ({amount[0]}) || ' {self.unit}s')"
        return sql, (*moment[1], *amount[1])


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
    # Each queue's own booking window and minimum notice, as one comparison each with
    # the queue's column: the statement, and its planning, stay the same however many
    # different windows and notices the queues have (one exclusion per distinct value
    # made PostgreSQL's planning grow with their square).
    shifts = shifts.filter(starts_at__lte=Later(now, "queue__booking_window_days", unit="day"))
    if not filters.within_notice:
        # Too soon to book: listing them would only lead to a refusal.
        shifts = shifts.filter(starts_at__gte=Later(now, "queue__min_notice_hours", unit="hour"))
    if filters.queue_id:
        shifts = shifts.filter(queue_id=filters.queue_id)
    if filters.channel:
        shifts = shifts.filter(queue__channel=filters.channel)
    if filters.queue_ids:
        shifts = shifts.filter(queue_id__in=filters.queue_ids)
    for day in filters.skip_days:
        shifts = shifts.exclude(
            starts_at__gte=local_midnight(day, zone),
            starts_at__lt=local_midnight_after(day, zone),
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
        shifts = shifts.filter(starts_at__gte=local_midnight(first, zone))
    if last:
        shifts = shifts.filter(starts_at__lt=local_midnight_after(last, zone))
    return shifts


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
