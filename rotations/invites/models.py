"""Email on its way out: the outbox, and each person's calendar feed."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


class EmailKind(models.TextChoices):
    INVITE = "invite", "Invite"
    REMINDER = "reminder", "Reminder"
    INSIGHT_PROMPT = "insight_prompt", "Insight prompt"
    INSIGHT_UPDATE = "insight_update", "Insight update"
    MENTORING_INVITE = "mentoring_invite", "Mentoring invite"
    PAIRING_ENDED = "pairing_ended", "Pairing ended"
    PROGRAM_INVITATION = "program_invite", "Program invitation"
    PROGRAM_NUDGE = "program_nudge", "Program reminder"
    PROGRAM_DIGEST = "program_digest", "Program digest for HR"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutgoingEmail(models.Model):
    """One message to one recipient, written in the transaction of the change it reports.

    ``key`` makes delivery idempotent: an invite's is its event, sequence and recipient,
    so however often the same change is recorded, enqueued or retried, one row — and one
    message — exists for it. ``message`` holds the rendered bytes from the first attempt
    on, so a resend after a crash is byte-identical and calendars absorb it.
    """

    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=16, choices=EmailKind.choices)
    booking = models.ForeignKey(
        "rotations.Booking", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    calendar_change = models.ForeignKey(
        "rotations.CalendarChange",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
    )
    pairing = models.ForeignKey(
        "rotations.Pairing", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    program = models.ForeignKey(
        "rotations.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    # The calendar SEQUENCE a mentoring invite carries (a booking's is on its change).
    sequence = models.PositiveIntegerField(null=True, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_email = models.EmailField()
    # iCalendar METHOD of an invite (REQUEST or CANCEL); empty for other kinds.
    method = models.CharField(max_length=8, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    message = models.BinaryField(blank=True, default=b"", editable=False)
    status = models.CharField(
        max_length=8, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # When a worker is next expected to try; the sweep re-enqueues rows left well past it.
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_pending_due",
            ),
            models.Index(fields=["booking", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="sent_email_has_sent_at",
            ),
        ]
        permissions = [("view_deliveries", "Can see what was sent to whom, and retry failures")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email} ({self.status})"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's secret subscription address; a new token revokes the old address."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.person}"
