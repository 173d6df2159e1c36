"""Rotation programs: nudging people who are behind, and the auto-scheduler's plans.

The optimisation itself is ``solvers.autoschedule`` (plain data, no Django); this module
turns a program's participants and open shifts into its inputs, stores its plan for HR
to review, and publishes the plan line by line through ``booking_create`` — the same
path, rules and invites as a person booking for themselves.
"""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import (
    SEAT_HOLDING,
    Booking,
    ComplianceState,
    DistinctBy,
    EmailKind,
    NudgePoint,
    OutgoingEmail,
    Person,
    PlanLine,
    PlanStatus,
    Program,
    RequirementUnit,
    SchedulePlan,
    Shift,
)
from ..selectors.programs import blackout_set, period_bounds, standings
from . import outbox
from .booking import Actor, BookingRefused, booking_create

BEHIND = (ComplianceState.BEHIND, ComplianceState.NOT_STARTED)


class ProgramRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- nudges ----------------------------------------------------------------------------------


def hr_people() -> list[Person]:
    return list(
        Person.objects.filter(
            Q(groups__permissions__codename="manage_programs") | Q(user_permissions__codename="manage_programs"),
            is_active=True,
        ).distinct()
    )


def due_point(program: Program, today) -> int | None:
    """The latest reminder point that has arrived (days before the deadline), if any."""
    arrived = [d for d in program.nudge_days if isinstance(d, int) and program.deadline - timedelta(days=d) <= today]
    if not arrived or today > program.deadline:
        return None
    return min(arrived)


def send_due_nudges(*, now: datetime | None = None) -> int:
    """Email everyone behind at each program's reminder point that has just arrived, and
    HR a digest; each point is handled once (an older point passed unseen is skipped)."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    sent = 0
    for program in Program.objects.filter(deadline__gte=today).prefetch_related("departments", "included", "excluded", "queues"):
        point = due_point(program, today)
        if point is None:
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    marker = NudgePoint.objects.create(program=program, days_before=point)
            except IntegrityError:
                continue  # handled already (by this beat or a concurrent one)
            # Older points that were never reached in time are handled by this one.
            for older in program.nudge_days:
                if isinstance(older, int) and older > point:
                    NudgePoint.objects.get_or_create(program=program, days_before=older)
            behind = [row.person for row in standings(program) if row.state in BEHIND]
            rows = [
                OutgoingEmail(
                    key=f"nudge:{program.pk}:{point}:{person.pk}", kind=EmailKind.PROGRAM_NUDGE, program=program,
                    recipient=person, to_email=person.email, sequence=point, next_attempt_at=now,
                )
                for person in behind
            ] + [
                OutgoingEmail(
                    key=f"nudge-digest:{program.pk}:{point}:{person.pk}", kind=EmailKind.PROGRAM_DIGEST,
                    program=program, recipient=person, to_email=person.email, sequence=point, next_attempt_at=now,
                )
                for person in hr_people()
            ]
            OutgoingEmail.objects.bulk_create(rows)
            outbox.enqueue(rows)
            marker.nudged = len(behind)
            marker.save(update_fields=["nudged"])
            sent += len(rows)
    return sent


# --- the auto-scheduler ----------------------------------------------------------------------


def plan_request(*, program: Program, by: Person | None) -> SchedulePlan:
    """Start a plan (a worker computes it); refused while another is open."""
    from ..tasks import make_schedule_plan

    try:
        with transaction.atomic():
            plan = SchedulePlan.objects.create(program=program, requested_by=by)
    except IntegrityError:
        raise ProgramRefused(
            "plan_open", "A plan for this program is already being made or waiting for review."
        ) from None
    make_schedule_plan.delay_on_commit(plan.pk)
    return plan


def _program_end(program: Program) -> datetime:
    return period_bounds(program)[1]


def _solver():
    # Loaded when a plan is made: web processes need not import numpy and OR-tools.
    from ..solvers import autoschedule

    return autoschedule


def solver_inputs(program: Program, *, now: datetime) -> tuple[list, list, object, dict]:
    """The solver's view: people still short, open shifts they might take, the rules."""
    solver = _solver()
    rows = [row for row in standings(program) if row.left > 0 or row.distinct_left > 0]
    end = _program_end(program)
    queue_ids = [q.pk for q in program.queues.all()]
    shifts = Shift.objects.filter(
        is_cancelled=False, queue__is_paused=False, seats_taken__lt=F("capacity"), starts_at__gt=now, ends_at__lte=end,
    ).select_related("queue")
    if queue_ids:
        shifts = shifts.filter(queue_id__in=queue_ids)
    open_shifts = [
        s for s in shifts
        if s.starts_at >= now + timedelta(hours=s.queue.min_notice_hours)
        and s.starts_at <= now + timedelta(days=s.queue.booking_window_days)
    ]
    typical = statistics.median([(s.ends_at - s.starts_at).total_seconds() / 60 for s in open_shifts]) if open_shifts else 240
    busy: dict[int, list] = {}
    for person_id, start, stop in Booking.objects.filter(
        person_id__in=[r.person.pk for r in rows], status__in=SEAT_HOLDING, ends_at__gt=now - timedelta(days=1),
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
                id=p.pk, time_zone=p.time_zone, work_start=p.work_starts_at, work_end=p.work_ends_at,
                need=max(left, row.distinct_left), need_distinct=row.distinct_left,
                used=frozenset(row.distinct_all), busy=tuple(busy.get(p.pk, ())),
            )
        )
    channel = program.distinct_by == DistinctBy.CHANNEL
    shift_inputs = [
        solver.Shift(id=s.pk, queue=s.queue_id, channel=s.queue.channel, start=s.starts_at, end=s.ends_at,
                     seats=s.capacity - s.seats_taken)
        for s in open_shifts
    ]
    rules = solver.Rules(
        blackout_dates=frozenset(blackout_set(program)), earliest=now, latest=end,
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
        PlanLine.objects.bulk_create(
            [PlanLine(plan=plan, person_id=p.person_id, shift_id=p.shift_id) for p in result.placements],
            ignore_conflicts=True,
        )
        plan.stats = {
            "short": len(people), "shifts": len(shifts), "placed": result.placed, "seconds": round(result.seconds, 2),
            "gap_to_bound": round(result.gap_to_bound, 5), "optimal": result.optimal,
        }
        plan.unplaced = [
            {"person_id": u.person_id, "name": str(by_id[u.person_id]), "missing": u.missing, "reasons": list(u.reasons)}
            for u in result.unplaced
        ]
        plan.status = PlanStatus.READY
        plan.save(update_fields=["stats", "unplaced", "status"])
    return plan


def plan_failed(plan_id: int, error: str) -> None:
    SchedulePlan.objects.filter(pk=plan_id, status=PlanStatus.PLANNING).update(status=PlanStatus.FAILED, error=error[:500])


def plan_line_toggle(*, line: PlanLine, removed: bool) -> PlanLine:
    if line.plan.status != PlanStatus.READY:
        raise ProgramRefused("not_ready", "Only a plan waiting for review can be changed.")
    line.removed = removed
    line.save(update_fields=["removed"])
    return line


def plan_discard(*, plan: SchedulePlan) -> None:
    updated = SchedulePlan.objects.filter(pk=plan.pk, status__in=[PlanStatus.READY, PlanStatus.FAILED]).update(
        status=PlanStatus.FAILED, error="Discarded by HR."
    )
    if not updated:
        raise ProgramRefused("not_ready", "Only a plan waiting for review can be discarded.")


def plan_publish(*, plan: SchedulePlan, by: Person) -> tuple[int, int]:
    """Book every line HR kept, each through ``booking_create`` in its own transaction.

    A line the booking rules now refuse (the shift filled up, the person booked that day
    meanwhile) is left unbooked with the rule's message; the rest go ahead.
    """
    with transaction.atomic():
        claimed = SchedulePlan.objects.filter(pk=plan.pk, status=PlanStatus.READY).update(
            status=PlanStatus.PUBLISHED, published_at=timezone.now(), published_by=by
        )
    if not claimed:
        raise ProgramRefused("not_ready", "This plan is not waiting for review (published or discarded already).")
    actor = Actor(person=by, may_override_notice=by.has_perm("rotations.book_for_others"))
    booked = refused = 0
    for line in plan.lines.filter(removed=False).select_related("person", "shift"):
        try:
            booking = booking_create(shift=line.shift, person=line.person, by=actor, override_notice=actor.may_override_notice)
        except BookingRefused as refusal:
            line.refused = refusal.message[:300]
            line.save(update_fields=["refused"])
            refused += 1
        else:
            line.booking = booking
            line.save(update_fields=["booking"])
            booked += 1
    return booked, refused


def plan_due_programs(*, now: datetime | None = None) -> int:
    """At the deadline, programs that ask for it get a plan for HR to review."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    started = 0
    for program in Program.objects.filter(auto_schedule=True, deadline__lt=today, ends_on__gte=today).exclude(
        plans__isnull=False
    ):
        try:
            plan_request(program=program, by=None)
        except ProgramRefused:
            continue
        started += 1
    return started


def suitable_shifts_path(program: Program, *, today=None) -> str:
    """The shift list filtered to this program: its queues, its dates, the viewer's calendar."""
    from django.urls import reverse

    today = today or timezone.localdate()
    start = max(today, program.booking_opens_on or program.starts_on, program.starts_on)
    return f"{reverse('shifts:list')}?program={program.pk}&fits=on&date_from={start:%Y-%m-%d}&date_to={program.ends_on:%Y-%m-%d}"
