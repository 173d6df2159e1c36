"""Rotation programs: nudging people who are behind, and the auto-scheduler's plans.

The optimisation itself is ``solvers.autoschedule`` (plain data, no Django); this module
turns a program's participants and open shifts into its inputs, stores its plan for HR
to review, and publishes the plan line by line through ``booking_create`` — the same
path, rules and invites as a person booking for themselves.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from rotations.common.errors import Refused
from rotations.common.jobs import enqueue
from rotations.directory.selectors import holders_of
from rotations.invites import outbox
from rotations.models import (
    SEAT_HOLDING,
    Booking,
    ComplianceState,
    Department,
    DistinctBy,
    EmailKind,
    Level,
    NudgePoint,
    OutgoingEmail,
    Person,
    PlanLine,
    PlanStatus,
    Program,
    Queue,
    RequirementUnit,
    SchedulePlan,
    Shift,
)
from rotations.programs.selectors import blackout_set, participants, period_bounds, standings
from rotations.shifts.services.booking import Actor, BookingRefused, booking_create

BEHIND = (ComplianceState.BEHIND, ComplianceState.NOT_STARTED)


class ProgramRefused(Refused):
    """A rule of programs stopped the request."""


# --- setting a program up --------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramSettings:
    """Everything HR sets on a program, as the page or the API parsed it."""

    name: str
    # None only while a page is still being filled in (see ``check_program_settings``).
    starts_on: date | None
    ends_on: date | None
    deadline: date | None
    required_amount: int | None
    unit: str = RequirementUnit.SHIFTS
    min_distinct: int = 0
    distinct_by: str = DistinctBy.QUEUE
    description: str = ""
    booking_opens_on: date | None = None
    levels: tuple[str, ...] = ()
    departments: tuple[Department, ...] = ()
    queues: tuple[Queue, ...] = ()
    included: tuple[Person, ...] = ()
    excluded: tuple[Person, ...] = ()
    blackout_dates: tuple[str, ...] = ()
    nudge_days: tuple[int, ...] = (14, 7, 2)
    auto_schedule: bool = False


PROGRAM_FIELDS = (
    "name",
    "description",
    "starts_on",
    "ends_on",
    "booking_opens_on",
    "deadline",
    "required_amount",
    "unit",
    "min_distinct",
    "distinct_by",
    "auto_schedule",
)


def program_create(*, settings: ProgramSettings, by: Person | None) -> Program:
    """A new rotation program, held to every rule of ``_check_settings``."""
    check_program_settings(settings)
    with transaction.atomic():
        program = Program(created_by=by)
        _store(program, settings)
    return program


def program_update(*, program: Program, settings: ProgramSettings) -> Program:
    """A program's settings changed, held to the same rules as a new one."""
    check_program_settings(settings)
    with transaction.atomic():
        _store(program, settings)
    return program


def _store(program: Program, settings: ProgramSettings) -> None:
    for name in PROGRAM_FIELDS:
        setattr(program, name, getattr(settings, name))
    program.levels = list(settings.levels)
    program.blackout_dates = sorted(set(settings.blackout_dates))
    program.nudge_days = sorted(set(settings.nudge_days), reverse=True)
    # Each field's own bounds (the model's validators and choices), said of the field.
    program.full_clean(exclude=["created_by"], validate_constraints=False)
    program.save()
    program.departments.set(settings.departments)
    program.queues.set(settings.queues)
    program.included.set(settings.included)
    program.excluded.set(settings.excluded)


def check_program_settings(settings: ProgramSettings) -> None:
    """The program's rules, each said of the setting it is about, all at once. A page
    asks before the other settings are right, so that one round shows every problem:
    a rule about a setting not yet given (None) waits."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    starts, ends, deadline = settings.starts_on, settings.ends_on, settings.deadline
    if starts and ends and ends < starts:
        refuse("ends_on", "The program must end after it starts.")
    elif starts and ends and deadline and not starts <= deadline <= ends:
        refuse("deadline", "The deadline must fall inside the program's period.")
    if settings.booking_opens_on and deadline and settings.booking_opens_on > deadline:
        refuse("booking_opens_on", "Booking must open before the deadline.")
    if not settings.levels and not settings.departments and not settings.included:
        refuse("levels", "Choose who takes part: levels, departments, or people to include.")
    unknown = set(settings.levels) - set(Level.values)
    if unknown:
        refuse("levels", f"Not a level: {', '.join(sorted(unknown))}.")
    distinct = settings.min_distinct
    if settings.distinct_by == DistinctBy.QUEUE and settings.queues:
        if distinct > len(settings.queues):
            refuse("min_distinct", f"Only {len(settings.queues)} queues count for this program.")
    if settings.distinct_by == DistinctBy.CHANNEL:
        channels = {q.channel for q in (settings.queues or Queue.objects.all())}
        if distinct > len(channels):
            refuse("min_distinct", f"Only {len(channels)} channels are open to this program.")
    amount = settings.required_amount
    if distinct and amount and settings.unit == RequirementUnit.SHIFTS and distinct > amount:
        refuse("min_distinct", "Cannot ask for more different queues than shifts.")
    for day in settings.nudge_days:
        if not 0 <= day <= 365:
            refuse("nudge_days", f"{day} is not a number of days between 0 and 365.")
    if errors:
        raise ValidationError(errors)


# --- nudges ----------------------------------------------------------------------------------


def hr_people() -> list[Person]:
    return list(holders_of("manage_programs"))


# A reminder point is still sent the day after it falls (a beat that was down overnight);
# one that passed longer ago unseen is retired unsent, never mailed late.
LATE_NUDGE_DAYS = 1


def due_points(program: Program, today) -> tuple[int | None, list[int]]:
    """(the point to send today if any, every point that has arrived)."""
    arrived = sorted(
        d
        for d in program.nudge_days
        if isinstance(d, int) and program.deadline - timedelta(days=d) <= today
    )
    if not arrived or today > program.deadline:
        return None, []
    latest = arrived[0]  # the fewest days before the deadline: the most recent point
    late = (today - (program.deadline - timedelta(days=latest))).days
    return (latest if late <= LATE_NUDGE_DAYS else None), arrived


def send_due_nudges(*, now: datetime | None = None) -> int:
    """The program emails beat owes: an invitation to each participant once booking opens,
    and at each reminder point an email to everyone behind plus a digest to HR. Each is
    sent once, however often beat runs or however many beats race."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    sent = 0
    for program in Program.objects.filter(deadline__gte=today).prefetch_related(
        "departments", "included", "excluded", "queues"
    ):
        if today >= (program.booking_opens_on or program.starts_on) and today >= program.starts_on:
            sent += _send_invitations(program, now)
        point, arrived = due_points(program, today)
        if not arrived:
            continue
        with transaction.atomic():
            created = {
                d: NudgePoint.objects.get_or_create(program=program, days_before=d)[1]
                for d in arrived
            }
            if point is None or not created[point]:
                continue  # handled already (by this beat or a concurrent one), or too late
            behind = [row.person for row in standings(program) if row.state in BEHIND]
            rows = [
                OutgoingEmail(
                    key=f"nudge:{program.pk}:{point}:{person.pk}",
                    kind=EmailKind.PROGRAM_NUDGE,
                    program=program,
                    recipient=person,
                    to_email=person.email,
                    sequence=point,
                    next_attempt_at=now,
                )
                for person in behind
            ] + [
                OutgoingEmail(
                    key=f"nudge-digest:{program.pk}:{point}:{person.pk}",
                    kind=EmailKind.PROGRAM_DIGEST,
                    program=program,
                    recipient=person,
                    to_email=person.email,
                    sequence=point,
                    next_attempt_at=now,
                )
                for person in hr_people()
            ]
            OutgoingEmail.objects.bulk_create(rows)
            outbox.enqueue(rows)
            NudgePoint.objects.filter(program=program, days_before=point).update(nudged=len(behind))
            sent += len(rows)
    return sent


def _send_invitations(program: Program, now: datetime) -> int:
    """Invite every participant not yet invited (newcomers to the rule too) to book."""
    invited = set(
        OutgoingEmail.objects.filter(
            program=program, kind=EmailKind.PROGRAM_INVITATION
        ).values_list("recipient_id", flat=True)
    )
    people = [p for p in participants(program) if p.pk not in invited]
    if not people:
        return 0
    keys = [f"program-invite:{program.pk}:{person.pk}" for person in people]
    with transaction.atomic():
        # A concurrent beat may write some of them first: theirs stand, ours are skipped.
        OutgoingEmail.objects.bulk_create(
            [
                OutgoingEmail(
                    key=key,
                    kind=EmailKind.PROGRAM_INVITATION,
                    program=program,
                    recipient=person,
                    to_email=person.email,
                    next_attempt_at=now,
                )
                for key, person in zip(keys, people, strict=True)
            ],
            ignore_conflicts=True,
        )
        rows = list(OutgoingEmail.objects.filter(key__in=keys, status="pending").only("pk"))
        outbox.enqueue(rows)
    return len(rows)


# --- the auto-scheduler ----------------------------------------------------------------------


def plan_request(*, program: Program, by: Person | None) -> SchedulePlan:
    """Start a plan (a worker computes it); refused while another is open."""
    try:
        with transaction.atomic():
            plan = SchedulePlan.objects.create(program=program, requested_by=by)
    except IntegrityError:
        raise ProgramRefused(
            "plan_open", "A plan for this program is already being made or waiting for review."
        ) from None
    enqueue("make_schedule_plan", plan.pk)
    return plan


def _program_end(program: Program) -> datetime:
    """Late enough for the last day in every time zone; ``Rules.last_day`` decides per person."""
    return period_bounds(program)[1]


def _solver():
    # Loaded when a plan is made: web processes need not import OR-tools' solvers.
    from rotations.programs import autoschedule  # noqa: PLC0415 -- only where plans are made

    return autoschedule


def solver_inputs(program: Program, *, now: datetime) -> tuple[list, list, object, dict]:
    """The solver's view: people still short, open shifts they might take, the rules."""
    solver = _solver()
    rows = [row for row in standings(program) if row.left > 0 or row.distinct_left > 0]
    end = _program_end(program)
    # Only shifts that count: on the program's days, in each person's own time zone
    # (Rules.first_day and last_day); the UTC bounds only narrow the read.
    earliest = max(now, period_bounds(program)[0])
    queue_ids = [q.pk for q in program.queues.all()]
    shifts = Shift.objects.filter(
        is_cancelled=False,
        queue__is_paused=False,
        seats_taken__lt=F("capacity"),
        starts_at__gt=earliest,
        ends_at__lte=end,
    ).select_related("queue")
    if queue_ids:
        shifts = shifts.filter(queue_id__in=queue_ids)
    open_shifts = [
        s
        for s in shifts
        if s.starts_at >= now + timedelta(hours=s.queue.min_notice_hours)
        and s.starts_at <= now + timedelta(days=s.queue.booking_window_days)
    ]
    typical = (
        statistics.median([(s.ends_at - s.starts_at).total_seconds() / 60 for s in open_shifts])
        if open_shifts
        else 240
    )
    busy: dict[int, list] = {}
    for person_id, start, stop in Booking.objects.filter(
        person_id__in=[r.person.pk for r in rows],
        status__in=SEAT_HOLDING,
        ends_at__gt=now - timedelta(days=1),
        starts_at__lt=end + timedelta(days=1),
    ).values_list("person_id", "starts_at", "ends_at"):
        busy.setdefault(person_id, []).append((start, stop))
    people = []
    for row in rows:
        left = row.left
        if program.unit == RequirementUnit.HOURS:
            # Hours become shifts of the typical length on offer (rounded up).
            left = math.ceil(left / typical) if left else 0
        p = row.person
        people.append(
            solver.Person(
                id=p.pk,
                time_zone=p.time_zone,
                work_start=p.work_starts_at,
                work_end=p.work_ends_at,
                need=max(left, row.distinct_left),
                need_distinct=row.distinct_left,
                used=frozenset(row.distinct_all),
                busy=tuple(busy.get(p.pk, ())),
            )
        )
    channel = program.distinct_by == DistinctBy.CHANNEL
    shift_inputs = [
        solver.Shift(
            id=s.pk,
            queue=s.queue_id,
            channel=s.queue.channel,
            start=s.starts_at,
            end=s.ends_at,
            seats=s.capacity - s.seats_taken,
        )
        for s in open_shifts
    ]
    rules = solver.Rules(
        blackout_dates=frozenset(blackout_set(program)),
        earliest=earliest,
        latest=end,
        first_day=program.starts_on,
        last_day=program.ends_on,
        distinct_by="channel" if channel else "queue",
    )
    return people, shift_inputs, rules, {r.person.pk: r.person for r in rows}


def make_plan(plan: SchedulePlan, *, now: datetime | None = None) -> SchedulePlan:
    """Compute a plan: the optimiser's seats as lines, and who it could not place and why."""
    now = now or timezone.now()
    plan = SchedulePlan.objects.select_related("program").get(pk=plan.pk)
    if plan.status != PlanStatus.PLANNING:
        return plan  # a retried task: done already
    people, shifts, rules, by_id = solver_inputs(plan.program, now=now)
    result = _solver().plan(people, shifts, rules)
    with transaction.atomic():
        # Written once: a redelivered task, or a plan HR discarded meanwhile, writes nothing.
        plan = SchedulePlan.objects.select_for_update().select_related("program").get(pk=plan.pk)
        if plan.status != PlanStatus.PLANNING:
            return plan
        PlanLine.objects.bulk_create(
            [
                PlanLine(plan=plan, person_id=p.person_id, shift_id=p.shift_id)
                for p in result.placements
            ]
        )
        plan.stats = {
            "short": len(people),
            "shifts": len(shifts),
            "placed": result.placed,
            "seconds": round(result.seconds, 2),
            "gap_to_bound": round(result.gap_to_bound, 5),
            "optimal": result.optimal,
        }
        plan.unplaced = [
            {
                "person_id": u.person_id,
                "name": str(by_id[u.person_id]),
                "missing": u.missing,
                "reasons": list(u.reasons),
            }
            for u in result.unplaced
        ]
        plan.status = PlanStatus.READY
        plan.save(update_fields=["stats", "unplaced", "status"])
    return plan


def plan_failed(plan_id: int, error: str) -> None:
    SchedulePlan.objects.filter(pk=plan_id, status=PlanStatus.PLANNING).update(
        status=PlanStatus.FAILED, error=error[:500]
    )


def plan_line_toggle(*, line: PlanLine, removed: bool) -> PlanLine:
    if line.plan.status != PlanStatus.READY:
        raise ProgramRefused("not_ready", "Only a plan waiting for review can be changed.")
    line.removed = removed
    line.save(update_fields=["removed"])
    return line


def plan_discard(*, plan: SchedulePlan) -> None:
    """HR drops a plan under review — or one stuck "planning" (a worker lost its task)."""
    updated = SchedulePlan.objects.filter(
        pk=plan.pk, status__in=[PlanStatus.PLANNING, PlanStatus.READY, PlanStatus.FAILED]
    ).update(status=PlanStatus.FAILED, error="Discarded by HR.")
    if not updated:
        raise ProgramRefused("not_ready", "Only a plan that is not published can be discarded.")


def _still_needed(program: Program, lines: list[PlanLine]) -> dict[int, int]:
    """How many more shifts each planned person needs now (0: no longer, or left out)."""
    people = {line.person_id: line.person for line in lines}
    member_ids = set(participants(program).filter(pk__in=people).values_list("pk", flat=True))
    needed = {}
    for row in standings(program, [p for pk, p in people.items() if pk in member_ids]):
        left = row.left
        if program.unit == RequirementUnit.HOURS and left:
            lengths = [
                (line.shift.ends_at - line.shift.starts_at).total_seconds() / 60
                for line in lines
                if line.person_id == row.person.pk
            ]
            left = math.ceil(left / max(1, statistics.median(lengths)))
        needed[row.person.pk] = max(left, row.distinct_left)
    return needed


def plan_publish(*, plan: SchedulePlan, by: Person) -> tuple[int, int]:
    """Book every line HR kept, each through ``booking_create`` in its own transaction.

    Each line is checked again as a booking: the rules (capacity, notice, one a day, no
    overlap), and whether the person still takes part and still needs it (they may have
    booked themselves since the plan was made). A refused line keeps the reason; the rest
    go ahead. Publishing again books only the lines not yet decided (after a crash).
    """
    with transaction.atomic():
        claimed = SchedulePlan.objects.filter(pk=plan.pk, status=PlanStatus.READY).update(
            status=PlanStatus.PUBLISHED, published_at=timezone.now(), published_by=by
        )
    plan = SchedulePlan.objects.select_related("program").get(pk=plan.pk)
    pending = plan.lines.filter(removed=False, booking__isnull=True, refused="")
    if not claimed and not (plan.status == PlanStatus.PUBLISHED and pending.exists()):
        raise ProgramRefused(
            "not_ready", "This plan is not waiting for review (published or discarded already)."
        )
    # HR books the program's executives on any queue (never overriding notice: not asked).
    actor = Actor(person=by, for_others_on=None)
    lines = list(
        pending.select_related("person", "shift").order_by("person_id", "shift__starts_at")
    )
    needed = _still_needed(plan.program, lines)
    booked = refused = 0
    for line in lines:
        with transaction.atomic():
            line = (
                PlanLine.objects.select_for_update()
                .select_related("person", "shift")
                .get(pk=line.pk)
            )
            if line.booking_id or line.refused:
                continue  # a concurrent publish decided it
            if needed.get(line.person_id, 0) <= 0:
                reason = (
                    "No longer in the program."
                    if line.person_id not in needed
                    else "No longer needed: the requirement is met by bookings made since the plan."
                )
                line.refused = reason
                line.save(update_fields=["refused"])
                refused += 1
                continue
            try:
                with transaction.atomic():
                    booking = booking_create(shift=line.shift, person=line.person, by=actor)
            except BookingRefused as refusal:
                line.refused = refusal.message[:300]
                line.save(update_fields=["refused"])
                refused += 1
            else:
                line.booking = booking
                line.save(update_fields=["booking"])
                needed[line.person_id] -= 1
                booked += 1
    return booked, refused


def plan_due_programs(*, now: datetime | None = None) -> int:
    """The day after the deadline, programs that ask for it get a plan for HR to review
    (a preview HR made before the deadline does not count)."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    started = 0
    for program in Program.objects.filter(
        auto_schedule=True, deadline__lt=today, ends_on__gte=today
    ).exclude(plans__created_at__date__gt=F("deadline")):
        try:
            plan_request(program=program, by=None)
        except ProgramRefused:
            continue
        started += 1
    return started


def suitable_shifts_path(program: Program, *, today=None) -> str:
    """The shift list filtered to this program: its queues, its dates, the viewer's calendar."""
    today = today or timezone.localdate()
    start = max(today, program.booking_opens_on or program.starts_on, program.starts_on)
    return (
        f"{reverse('shifts:list')}?program={program.pk}&fits=on"
        f"&date_from={start:%Y-%m-%d}&date_to={program.ends_on:%Y-%m-%d}"
    )
