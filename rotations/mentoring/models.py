"""Reverse mentoring: cycles, who takes part, the pairings and their sessions."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower


class MentoringTopic(models.Model):
    """One entry of the fixed list HR edits: what mentors teach and executives want to learn."""

    name = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True, help_text="Retired topics stay on old profiles.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="mentoring_topic_name_ci_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CycleStatus(models.TextChoices):
    OPEN = "open", "Collecting profiles"
    PROPOSED = "proposed", "Pairs proposed"
    PUBLISHED = "published", "Published"
    CLOSED = "closed", "Closed"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"


class MentoringCycle(models.Model):
    """One round of reverse mentoring: who takes part, how pairs are made, how often they meet.

    Sessions fall on ``session_weekday`` at ``session_time`` in the executive's own time
    zone (their calendar is the scarce one), every ``cadence_weeks`` weeks until
    ``ends_on``.
    """

    name = models.CharField(max_length=120)
    starts_on = models.DateField()
    ends_on = models.DateField()
    cadence_weeks = models.PositiveSmallIntegerField(
        "weeks between sessions", default=2, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    session_minutes = models.PositiveSmallIntegerField(
        default=45, validators=[MinValueValidator(15), MaxValueValidator(240)]
    )
    session_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.TUESDAY
    )
    session_time = models.TimeField(default=time(10, 0), help_text="In the executive's time zone.")
    # Who takes part, evaluated against the directory.
    mentee_levels = models.JSONField(default=list, help_text="Levels whose people are mentees.")
    mentor_levels = models.JSONField(default=list, help_text="Levels whose people may mentor.")
    mentor_min_tenure_months = models.PositiveSmallIntegerField(
        default=0, help_text="Months since they joined the company (0: no minimum)."
    )
    mentor_title_contains = models.CharField(
        max_length=80, blank=True, help_text="Only people whose title contains this (e.g. “Agent”)."
    )
    mentor_capacity = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(2)],
        help_text="The most mentees one mentor takes.",
    )
    max_tz_difference_hours = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(24)],
        help_text="The largest time-zone difference between mentor and executive.",
    )
    forbid_same_department = models.BooleanField(
        default=False, help_text="Never pair people from the same department."
    )
    weight_topic_overlap = models.FloatField(
        default=1.0, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    weight_language = models.FloatField(
        default=0.5, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    weight_different_department = models.FloatField(
        default=0.5, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    weight_different_location = models.FloatField(
        default=0.5, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    min_cross_location_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="At least this share of pairs across locations (empty: no target).",
    )
    status = models.CharField(max_length=10, choices=CycleStatus.choices, default=CycleStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")), name="cycle_ends_after_start"
            ),
        ]
        permissions = [("manage_mentoring", "Can run reverse-mentoring cycles")]

    def __str__(self) -> str:
        return self.name


class MentoringRole(models.TextChoices):
    MENTOR = "mentor", "Mentor"
    MENTEE = "mentee", "Mentee"


class MentoringProfile(models.Model):
    """What one person brings to or wants from one cycle; a mentor's answer to the invitation.

    ``opted_in`` is None until they answer; a mentor who opts out later is left out of
    the next matching run.
    """

    cycle = models.ForeignKey(MentoringCycle, on_delete=models.CASCADE, related_name="profiles")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentoring_profiles"
    )
    role = models.CharField(max_length=6, choices=MentoringRole.choices)
    topics = models.ManyToManyField(MentoringTopic, blank=True, related_name="+")
    languages = models.CharField(
        max_length=200, blank=True, help_text="Separated by commas, e.g. English, Spanish."
    )
    about = models.TextField(blank=True, max_length=2000)
    opted_in = models.BooleanField(null=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cycle", "role", "person__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "person", "role"], name="one_profile_per_role_per_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} as {self.role} in {self.cycle}"

    @property
    def language_set(self) -> frozenset[str]:
        return frozenset(part.strip().lower() for part in self.languages.split(",") if part.strip())


class MatchRunStatus(models.TextChoices):
    """A matcher run: working, then the solver's verdict, or failed (with its error)."""

    RUNNING = "running", "working…"
    OPTIMAL = "optimal", "the best pairing under your rules"
    FEASIBLE = "feasible", "a good pairing (the time limit ran out before it was proven best)"
    INFEASIBLE = "infeasible", "no pairing: the cross-location target cannot be met"
    FAILED = "failed", "failed"


class PairingStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class Pairing(models.Model):
    """An executive (mentee) and the front-line employee who mentors them in one cycle.

    Published, it is one recurring calendar series (``uid``) whose ``sequence`` grows with
    every change: a moved session, the end of the pairing.
    """

    cycle = models.ForeignKey(MentoringCycle, on_delete=models.CASCADE, related_name="pairings")
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentored_by"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentoring"
    )
    status = models.CharField(
        max_length=8, choices=PairingStatus.choices, default=PairingStatus.PROPOSED
    )
    score = models.FloatField(default=0)
    # [{"criterion", "value", "weight", "contribution", "detail"}, ...] from the matcher.
    reasons = models.JSONField(default=list, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    # The series, as published: first session (UTC), the zone it repeats in, its rule.
    first_session_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    rrule = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cycle", "mentee__full_name"]
        constraints = [
            # An executive has one live pairing per cycle, however many HR clicks race.
            models.UniqueConstraint(
                fields=["cycle", "mentee"],
                condition=~Q(status="ended"),
                name="one_live_pairing_per_mentee",
            ),
            models.CheckConstraint(
                condition=~Q(mentee=F("mentor")), name="pairing_not_with_oneself"
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_at__isnull=False),
                name="ended_pairing_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} mentors {self.mentee}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or "UTC")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


class MentoringSession(models.Model):
    """One occurrence of a pairing's series.

    ``occurrence_at`` is where the series rule puts it (its RECURRENCE-ID, never changed);
    ``starts_at`` is where it is now, after a reschedule.
    """

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="sessions")
    occurrence_at = models.DateTimeField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=9, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pairing", "occurrence_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "occurrence_at"], name="one_session_per_occurrence"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["starts_at"])]

    def __str__(self) -> str:
        return f"session of {self.pairing} at {self.starts_at:%Y-%m-%d %H:%M}Z"

    @property
    def is_moved(self) -> bool:
        return self.starts_at != self.occurrence_at


class MatchRun(models.Model):
    """One run of the matcher for a cycle: its verdict, and who it could not place and why."""

    cycle = models.ForeignKey(MentoringCycle, on_delete=models.CASCADE, related_name="match_runs")
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=MatchRunStatus.choices, default=MatchRunStatus.RUNNING
    )
    error = models.CharField(max_length=500, blank=True)
    total_score = models.FloatField(default=0)
    seconds = models.FloatField(default=0)
    proposed = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(
        default=0, help_text="Published pairs the run left as they were."
    )
    # [{"person_id", "name", "reasons": [...]}, ...]
    unmatched = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One run at a time per cycle, however often HR clicks.
            models.UniqueConstraint(
                fields=["cycle"],
                condition=Q(status=MatchRunStatus.RUNNING),
                name="one_running_match_per_cycle",
            ),
        ]

    def __str__(self) -> str:
        return f"matching of {self.cycle} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.status == MatchRunStatus.RUNNING

    @property
    def verdict(self) -> str:
        if self.status == MatchRunStatus.FAILED:
            return f"failed: {self.error}"
        return self.get_status_display()
