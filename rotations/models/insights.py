"""Insights: what an executive learned on the front line, and what becomes of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
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
    """One thing an executive saw on a shift, tied to the booking it came from."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="insights")
    booking = models.ForeignKey(
        "rotations.Booking", null=True, blank=True, on_delete=models.PROTECT, related_name="insights"
    )
    title = models.CharField(max_length=200)
    what_happened = models.TextField()
    customer_quote = models.TextField(blank=True, help_text="The customer's own words, if you have them.")
    ticket_refs = models.CharField(
        max_length=300, blank=True, help_text="Ticket numbers or links, separated by commas."
    )
    category = models.CharField(max_length=10, choices=InsightCategory.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    suggested_fix = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="insights")
    status = models.CharField(max_length=12, choices=InsightStatus.choices, default=InsightStatus.NEW)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.title
