"""Rotation programs: HR's rule ("every VP, two shifts in two queues by 15 March") and
the plans the auto-scheduler proposes to get everyone there."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class RequirementUnit(models.TextChoices):
    SHIFTS = "shifts", "Shifts"
    HOURS = "hours", "Hours"


class DistinctBy(models.TextChoices):
    QUEUE = "queue", "Queues"
    CHANNEL = "channel", "Channels"


class ComplianceState(models.TextChoices):
    DONE = "done", "Done"
    ON_TRACK = "on_track", "On track"
    BEHIND = "behind", "Behind"
    NOT_STARTED = "not_started", "Not started"


class Program(models.Model):
    """Who must do how much front-line time, where, and by when.

    Participants are everyone active at one of ``levels`` (and, when departments are
    chosen, in one of them), plus ``included``, minus ``excluded`` — evaluated against the
    directory whenever it is read, so a promotion or a new hire joins by itself. Bookings
    count when their shift starts between ``starts_on`` and ``ends_on`` (UTC days) in one of
    ``queues`` (all queues when none are chosen).
    """

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    starts_on = models.DateField()
    ends_on = models.DateField()
    deadline = models.DateField(help_text="Everyone should have booked by this day.")
    booking_opens_on = models.DateField(
        null=True,
        blank=True,
        help_text="From this day participants are asked to book (empty: the start).",
    )
    levels = models.JSONField(default=list, blank=True)
    departments = models.ManyToManyField("rotations.Department", blank=True, related_name="+")
    included = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    excluded = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    required_amount = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    unit = models.CharField(
        max_length=6, choices=RequirementUnit.choices, default=RequirementUnit.SHIFTS
    )
    min_distinct = models.PositiveSmallIntegerField(
        "distinct at least",
        default=1,
        validators=[MaxValueValidator(20)],
        help_text="How many different queues (or channels) the shifts must cover.",
    )
    distinct_by = models.CharField(
        max_length=7, choices=DistinctBy.choices, default=DistinctBy.QUEUE
    )
    queues = models.ManyToManyField("rotations.Queue", blank=True, related_name="programs")
    blackout_dates = models.JSONField(
        default=list, blank=True, help_text="ISO dates with no program shifts."
    )
    auto_schedule = models.BooleanField(
        default=False,
        help_text="At the deadline, plan shifts for everyone still short (HR reviews before it books).",
    )
    nudge_days = models.JSONField(
        default=list,
        blank=True,
        help_text="Days before the deadline to remind people who are behind.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-deadline", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="program_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=F("starts_on")) & Q(deadline__lte=F("ends_on")),
                name="program_deadline_in_period",
            ),
        ]
        permissions = [("manage_programs", "Can run rotation programs and their auto-scheduler")]

    def __str__(self) -> str:
        return self.name

    @property
    def requirement_text(self) -> str:
        unit = "shift" if self.unit == RequirementUnit.SHIFTS else "hour"
        amount = f"{self.required_amount} {unit}{'s' if self.required_amount != 1 else ''}"
        if self.min_distinct > 1:
            amount += f" in at least {self.min_distinct} different {self.get_distinct_by_display().lower()}"
        return amount


class NudgePoint(models.Model):
    """A reminder point of a program that has been handled: nobody is nudged twice for it."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="nudge_points")
    days_before = models.PositiveSmallIntegerField()
    nudged = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "days_before"], name="one_nudge_per_point")
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.days_before} days before the deadline"


class PlanStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    READY = "ready", "Ready for review"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"


class SchedulePlan(models.Model):
    """One run of the auto-scheduler for a program: its lines, and who it could not place."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="plans")
    status = models.CharField(max_length=9, choices=PlanStatus.choices, default=PlanStatus.PLANNING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"placed", "seconds", "gap_to_bound", "optimal", ...} from the solver.
    stats = models.JSONField(default=dict, blank=True)
    # [{"person_id", "name", "missing", "reasons": [...]}, ...]
    unplaced = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One plan at a time in the works per program.
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status__in=["planning", "ready"]),
                name="one_open_plan_per_program",
            ),
        ]

    def __str__(self) -> str:
        return f"plan for {self.program} ({self.status})"


class PlanLine(models.Model):
    """One proposed seat: this person on this shift. Publishing books it like a person would."""

    plan = models.ForeignKey(SchedulePlan, on_delete=models.CASCADE, related_name="lines")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shift = models.ForeignKey("rotations.Shift", on_delete=models.CASCADE, related_name="+")
    removed = models.BooleanField(default=False)
    booking = models.ForeignKey(
        "rotations.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why publishing could not book it (the booking rule's own message), if it could not.
    refused = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["plan", "person__full_name", "shift__starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "person", "shift"], name="one_line_per_seat")
        ]

    def __str__(self) -> str:
        return f"{self.plan}: person {self.person_id} on shift {self.shift_id}"
