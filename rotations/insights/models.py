"""Insights: what an executive learned on the front line, and what becomes of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower


class InsightCategory(models.TextChoices):
    PRODUCT = "product", "Product"
    PROCESS = "process", "Process"
    POLICY = "policy", "Policy"
    TOOLING = "tooling", "Tooling"
    PEOPLE = "people", "People"


class Severity(models.TextChoices):
    LOW = "low", "Low: an annoyance"
    MEDIUM = "medium", "Medium: slows customers down"
    HIGH = "high", "High: customers cannot do what they came for"
    CRITICAL = "critical", "Critical: customers lose money or data"


class InsightStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ROUTED = "routed", "Routed"
    ACTIONED = "actioned", "Actioned"
    SHIPPED = "shipped", "Shipped"
    DECLINED = "declined", "Declined"
    DUPLICATE = "duplicate", "Duplicate"


class Tag(models.Model):
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Insight(models.Model):
    """One thing an executive saw on a shift, tied to the booking it came from.

    ``queue`` and ``buddy`` are copied from the booking's shift when the insight is
    logged: they decide who may see it (the queue's leads, the buddy who sat there), and
    the inbox filters on them without joins.
    """

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="insights"
    )
    booking = models.ForeignKey(
        "rotations.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="insights",
    )
    session = models.ForeignKey(
        "rotations.MentoringSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="insights",
    )
    queue = models.ForeignKey(
        "rotations.Queue", null=True, blank=True, on_delete=models.PROTECT, related_name="insights"
    )
    buddy = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    # Free text has limits (forms, the API and the service hold them): an insight is read
    # by people, and PostgreSQL's text search takes at most 1 MB of words.
    what_happened = models.TextField(max_length=5000)
    customer_quote = models.TextField(
        max_length=2000, blank=True, help_text="The customer's own words, if you have them."
    )
    ticket_refs = models.CharField(
        max_length=300, blank=True, help_text="Ticket numbers or links, separated by commas."
    )
    category = models.CharField(max_length=10, choices=InsightCategory.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    suggested_fix = models.TextField(max_length=5000, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="insights")
    is_shared = models.BooleanField(
        "share with everyone",
        default=False,
        help_text="Everyone in Frontline may read it; otherwise only you, the buddy, the queue's leads and HR.",
    )
    status = models.CharField(
        max_length=12, choices=InsightStatus.choices, default=InsightStatus.NEW
    )
    # Routing: to a person, a team, or both, by a date.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_insights",
    )
    owner_team = models.CharField(max_length=120, blank=True)
    due_on = models.DateField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    # Every searchable word in one column, kept by the services; PostgreSQL indexes it
    # for full-text search (migration 0005), SQLite searches it by substring.
    search_text = models.TextField(blank=True, editable=False)
    # When it first left "new", and when it was actioned / shipped: the dashboard's clocks.
    triaged_at = models.DateTimeField(null=True, blank=True)
    actioned_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["created_at"], name="insight_created"),
            models.Index(fields=["queue", "created_at"]),
            models.Index(fields=["author", "created_at"]),
            models.Index(fields=["buddy", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(booking__isnull=True) | Q(session__isnull=True),
                name="insight_from_one_visit",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("pk")), name="insight_not_duplicate_of_itself"
            ),
            models.CheckConstraint(
                condition=Q(status="duplicate", duplicate_of__isnull=False)
                | (~Q(status="duplicate") & Q(duplicate_of__isnull=True)),
                name="insight_duplicate_names_original",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="insight_decline_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="routed") | Q(owner__isnull=False) | ~Q(owner_team=""),
                name="insight_routed_has_owner",
            ),
        ]
        permissions = [
            ("triage_insights", "Can triage the insights of the queues they lead"),
            ("view_all_insights", "Can see and triage every insight"),
            ("view_insight_dashboard", "Can see the impact dashboard"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


CLOSED_STATUSES = (InsightStatus.SHIPPED, InsightStatus.DECLINED, InsightStatus.DUPLICATE)

# Which status may follow which. Routing again (a new owner) is a move to "routed" too;
# a closed insight can be reopened by acknowledging it again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    InsightStatus.NEW: ("acknowledged", "routed", "declined", "duplicate"),
    InsightStatus.ACKNOWLEDGED: ("routed", "actioned", "declined", "duplicate"),
    InsightStatus.ROUTED: ("routed", "actioned", "shipped", "declined", "duplicate"),
    InsightStatus.ACTIONED: ("routed", "shipped", "declined"),
    InsightStatus.SHIPPED: ("acknowledged",),
    InsightStatus.DECLINED: ("acknowledged",),
    InsightStatus.DUPLICATE: (),
}


class InsightEventKind(models.TextChoices):
    LOGGED = "logged", "Logged"
    STATUS = "status", "Status changed"
    COMMENT = "comment", "Comment"
    MERGED = "merged", "Duplicate merged in"
    FOLLOWED = "followed", "Followed"
    UNFOLLOWED = "unfollowed", "Stopped following"
    PLUS_ONE = "plus_one", "+1"


class InsightEvent(models.Model):
    """One line of an insight's history: who did what, when. Never edited."""

    insight = models.ForeignKey(Insight, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=InsightEventKind.choices)
    from_status = models.CharField(max_length=12, choices=InsightStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=InsightStatus.choices, blank=True)
    # A comment, a decline reason, a +1's note.
    body = models.TextField(blank=True)
    # What else the step carried: owner, team and due date of a routing, the other
    # insight of a merge.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["insight", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on insight {self.insight_id}"

    # What the event says to one reader, set by selectors.event_lines.
    text: str

    @property
    def other_insight_id(self) -> int | None:
        """The other insight of a merge."""
        if self.kind == InsightEventKind.MERGED:
            return self.data.get("from")
        if self.kind == InsightEventKind.STATUS and self.to_status == InsightStatus.DUPLICATE:
            return self.data.get("into")
        return None

    def describe(self, *, names_other: bool = False) -> str:
        """What happened, as one sentence after the actor's name ("marked it shipped").
        A merge names the other insight only when told the reader may read it
        (``selectors.event_lines``)."""
        if self.kind == InsightEventKind.LOGGED:
            return "logged it"
        if self.kind == InsightEventKind.COMMENT:
            return "commented"
        if self.kind == InsightEventKind.MERGED:
            if not names_other:
                return "merged a duplicate into it"
            return f"merged duplicate #{self.data.get('from')} “{self.data.get('from_title', '')}” into it"
        if self.kind == InsightEventKind.PLUS_ONE:
            return "gave it a +1"
        if self.kind in (InsightEventKind.FOLLOWED, InsightEventKind.UNFOLLOWED):
            return (
                "started following it"
                if self.kind == InsightEventKind.FOLLOWED
                else "stopped following it"
            )
        status = InsightStatus(self.to_status)
        if status == InsightStatus.ROUTED:
            to = " and ".join(x for x in (self.data.get("owner_name"), self.data.get("team")) if x)
            due = f", due {self.data['due_on']}" if self.data.get("due_on") else ""
            return f"routed it to {to}{due}"
        if status == InsightStatus.DUPLICATE:
            if not names_other:
                return "merged it into another insight"
            return f"merged it into #{self.data.get('into')} “{self.data.get('into_title', '')}”"
        if status == InsightStatus.ACKNOWLEDGED and self.from_status in (
            InsightStatus.SHIPPED,
            InsightStatus.DECLINED,
        ):
            return "reopened it"
        return f"marked it {status.label.lower()}"


class FollowReason(models.TextChoices):
    AUTHOR = "author", "Logged it"
    BUDDY = "buddy", "Buddy on that shift"
    MENTOR = "mentor", "Mentor of that session"
    OWNER = "owner", "Owns it"
    CHOSE = "chose", "Chose to follow"
    PLUS_ONE = "plus_one", "Gave it a +1"
    MERGED = "merged", "Followed a merged duplicate"


class InsightFollower(models.Model):
    insight = models.ForeignKey(Insight, on_delete=models.CASCADE, related_name="followers")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_insights"
    )
    reason = models.CharField(max_length=10, choices=FollowReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["insight", "person"], name="one_follow_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person} follows {self.insight_id}"


class InsightVote(models.Model):
    """A "+1": someone else saw it too, with an optional note."""

    insight = models.ForeignKey(Insight, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["insight", "person"], name="one_vote_per_person"),
        ]

    def __str__(self) -> str:
        return f"+1 by {self.person} on {self.insight_id}"


class InsightNotice(models.Model):
    """A status change a follower is owed an email about.

    ``email`` stays empty until a flush puts the notice into an outgoing email: one per
    change while a person gets few, one digest a day for the rest.
    """

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(InsightEvent, on_delete=models.CASCADE, related_name="notices")
    email = models.ForeignKey(
        "rotations.OutgoingEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="insight_notices",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "person"], name="one_notice_per_event_and_person"
            ),
        ]
        indexes = [
            models.Index(
                fields=["person"], condition=Q(email__isnull=True), name="insight_notice_unsent"
            ),
        ]

    def __str__(self) -> str:
        return f"notice of event {self.event_id} for {self.person_id}"
