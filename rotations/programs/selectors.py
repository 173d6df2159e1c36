"""Reads for rotation programs: who takes part, and where each participant stands.

Compliance is computed from one query over the participants' bookings, however many
people and bookings a program has.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from rotations.common.timezones import zone_named
from rotations.directory.selectors import holders_of
from rotations.models import (
    Booking,
    BookingStatus,
    ComplianceState,
    DistinctBy,
    Person,
    Program,
    RequirementUnit,
)


def participants(program: Program) -> QuerySet[Person]:
    """Everyone the program's rule takes in today who can book shifts (the Executive role)."""
    return matched_by_rule(program).filter(
        pk__in=holders_of("book_shift", superusers=True).values("pk")
    )


def matched_by_rule(program: Program) -> QuerySet[Person]:
    """Everyone the program's rule takes in today, from the directory, able to book or not."""
    rule = Q(pk__in=[])
    if program.levels:
        rule = Q(level__in=program.levels)
        department_ids = [d.pk for d in program.departments.all()]
        if department_ids:
            rule &= Q(department_id__in=department_ids)
    elif program.departments.exists():
        rule = Q(department__in=program.departments.all())
    included = [p.pk for p in program.included.all()]
    excluded = [p.pk for p in program.excluded.all()]
    return (
        Person.objects.filter(is_active=True)
        .filter(rule | Q(pk__in=included))
        .exclude(pk__in=excluded)
        .select_related("department")
        .order_by("full_name", "pk")
    )


# UTC offsets run from -12 h to +14 h: a program's days, in any participant's time zone,
# fall inside its UTC days widened by this much on each side.
WIDEST_OFFSET = timedelta(hours=14)


def period_bounds(program: Program) -> tuple[datetime, datetime]:
    """A UTC window that holds the program's days in every time zone: a coarse first cut,
    refined by ``in_period``."""
    start = datetime.combine(program.starts_on, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(program.ends_on + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return start - WIDEST_OFFSET, end + WIDEST_OFFSET


def in_period(program: Program, zones: Iterable[str], *, person: str = "person") -> Q:
    """Bookings that start on one of the program's days in their person's own time zone:
    a shift on the last evening counts for someone whose calendar says it is that day.

    One condition per time zone among ``zones`` (there are a handful), so it stays one query.
    """
    condition = Q(pk__in=[])
    for name in sorted(set(zones)):
        zone = zone_named(name)
        condition |= Q(
            **{
                f"{person}__time_zone": name,
                "starts_at__gte": datetime.combine(
                    program.starts_on, datetime.min.time(), tzinfo=zone
                ),
                "starts_at__lt": datetime.combine(
                    program.ends_on + timedelta(days=1), datetime.min.time(), tzinfo=zone
                ),
            }
        )
    return condition


def counting_bookings(program: Program, people: list[Person]) -> QuerySet[Booking]:
    """The bookings of ``people`` that count toward the program: booked or attended, on its
    days (in each person's time zone) and in its queues."""
    start, end = period_bounds(program)
    bookings = Booking.objects.filter(
        status__in=[BookingStatus.CONFIRMED, BookingStatus.ATTENDED],
        person_id__in=[p.pk for p in people],
        starts_at__gte=start,
        starts_at__lt=end,
    ).filter(in_period(program, (p.time_zone for p in people)))
    queue_ids = [q.pk for q in program.queues.all()]
    if queue_ids:
        bookings = bookings.filter(shift__queue_id__in=queue_ids)
    return bookings


@dataclass
class Standing:
    """One participant against the program's requirement."""

    person: Person
    required: int  # shifts, or minutes for an hours requirement
    unit: str
    min_distinct: int
    distinct_by: str = DistinctBy.QUEUE
    attended: int = 0  # in the requirement's unit (minutes for hours)
    booked: int = 0  # booked and still to come (or not yet marked)
    attended_shifts: int = 0
    booked_shifts: int = 0
    distinct_attended: set = field(default_factory=set)
    distinct_all: set = field(default_factory=set)

    @property
    def state(self) -> str:
        if self.attended >= self.required and len(self.distinct_attended) >= self.min_distinct:
            return ComplianceState.DONE
        if (
            self.attended + self.booked >= self.required
            and len(self.distinct_all) >= self.min_distinct
        ):
            return ComplianceState.ON_TRACK
        if self.attended + self.booked == 0:
            return ComplianceState.NOT_STARTED
        return ComplianceState.BEHIND

    @property
    def state_label(self) -> str:
        return ComplianceState(self.state).label

    @property
    def left(self) -> int:
        return max(0, self.required - self.attended - self.booked)

    @property
    def distinct_left(self) -> int:
        return max(0, self.min_distinct - len(self.distinct_all))

    def show(self, amount: int, *, up: bool = False) -> str:
        """Shifts, or minutes as hours to a tenth; what is still owed is rounded ``up``,
        so a few minutes short never reads as nothing left."""
        if self.unit == RequirementUnit.HOURS:
            tenths = math.ceil(amount / 6) if up else round(amount / 6)
            return f"{tenths / 10:g} h"
        return f"{amount} shift{'s' if amount != 1 else ''}"

    # The amounts as a table cell shows them: hours for an hours requirement.
    @property
    def attended_shown(self) -> str:
        return (
            self.show(self.attended) if self.unit == RequirementUnit.HOURS else str(self.attended)
        )

    @property
    def booked_shown(self) -> str:
        return self.show(self.booked) if self.unit == RequirementUnit.HOURS else str(self.booked)

    @property
    def left_shown(self) -> str:
        return (
            self.show(self.left, up=True) if self.unit == RequirementUnit.HOURS else str(self.left)
        )

    @property
    def still_to_book(self) -> str:
        """What is left, in words: the amount, and how many queues (or channels) the
        person has neither visited nor booked yet, which is a different count from the shifts."""
        nouns = DistinctBy(self.distinct_by).label.lower()  # "queues"
        new = f"{self.distinct_left} {nouns if self.distinct_left != 1 else nouns[:-1]} new to you"
        if self.left and self.distinct_left:
            return f"{self.show(self.left, up=True)}, in at least {new}"
        if self.left:
            return self.show(self.left, up=True)
        if self.distinct_left:
            return f"{'a shift' if self.distinct_left == 1 else 'shifts'} in {new}"
        return ""


# What each counting booking contributes: who, how it stands, how long, where.
TALLY_FIELDS = (
    "person_id",
    "status",
    "starts_at",
    "ends_at",
    "shift__queue_id",
    "shift__queue__channel",
)


def _standing(program: Program, person: Person) -> Standing:
    hours = program.unit == RequirementUnit.HOURS
    required = program.required_amount * 60 if hours else program.required_amount
    return Standing(
        person=person,
        required=required,
        unit=program.unit,
        min_distinct=program.min_distinct,
        distinct_by=program.distinct_by,
    )


def _tally(program: Program, rows: dict[int, Standing], bookings) -> None:
    """Add ``bookings`` (rows of ``TALLY_FIELDS``) to each person's standing."""
    hours = program.unit == RequirementUnit.HOURS
    by_channel = program.distinct_by == DistinctBy.CHANNEL
    for person_id, status, starts, ends, queue_id, channel in bookings:
        row = rows.get(person_id)
        if row is None:
            continue
        amount = int((ends - starts).total_seconds() // 60) if hours else 1
        key = channel if by_channel else queue_id
        row.distinct_all.add(key)
        if status == BookingStatus.ATTENDED:
            row.attended += amount
            row.attended_shifts += 1
            row.distinct_attended.add(key)
        else:
            row.booked += amount
            row.booked_shifts += 1


def standings(program: Program, people: list[Person] | None = None) -> list[Standing]:
    """Every participant (or just ``people``) with what they booked and attended."""
    if people is None:
        people = list(participants(program))
    rows = {p.pk: _standing(program, p) for p in people}
    _tally(program, rows, counting_bookings(program, people).values_list(*TALLY_FIELDS))
    return list(rows.values())


def standings_of(person: Person, programs: list[Program]) -> list[Standing]:
    """One person's standing in each of ``programs``, in one query however many there are."""
    if not programs:
        return []
    parts = [
        counting_bookings(program, [person])
        .order_by()
        .annotate(program_pk=Value(program.pk, output_field=IntegerField()))
        .values_list("program_pk", *TALLY_FIELDS)
        for program in programs
    ]
    found: dict[int, list] = {}
    for program_pk, *booking in parts[0].union(*parts[1:], all=True):
        found.setdefault(program_pk, []).append(booking)
    result = []
    for program in programs:
        rows = {person.pk: _standing(program, person)}
        _tally(program, rows, found.get(program.pk, ()))
        result.append(rows[person.pk])
    return result


def summary(rows: list[Standing]) -> dict[str, int]:
    counts = Counter(row.state for row in rows)
    return {state.value: counts.get(state.value, 0) for state in ComplianceState}


def programs_of(person: Person, *, today: date | None = None) -> list[Program]:
    """The programs running now (not yet ended) that take this person in."""
    today = today or timezone.localdate()
    running = list(
        Program.objects.filter(ends_on__gte=today).prefetch_related(
            "departments", "included", "excluded", "queues"
        )
    )
    if not running:
        return []
    # One query however many programs run: a yes/no column per program.
    flags = (
        Person.objects.filter(pk=person.pk)
        .annotate(
            **{f"in_{p.pk}": Exists(participants(p).filter(pk=OuterRef("pk"))) for p in running}
        )
        .values(*(f"in_{p.pk}" for p in running))
        .first()
    ) or {}
    return [p for p in running if flags.get(f"in_{p.pk}")]


def blackout_set(program: Program) -> set[date]:
    days = set()
    for text in program.blackout_dates:
        try:
            days.add(date.fromisoformat(text))
        except (TypeError, ValueError):
            continue
    return days
