"""Logging insights after a shift."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q

from ..models import Booking, BookingStatus, Insight, Person, Tag
from .booking import BookingRefused


def split_tags(text: str) -> list[str]:
    """"Billing, refunds;  Refunds" → ["Billing", "refunds"]: one per name, whatever the case."""
    seen: dict[str, str] = {}
    for name in re.split(r"[,;]", text or ""):
        name = " ".join(name.split())[:40]
        if name:
            seen.setdefault(name.lower(), name)
    return list(seen.values())


def insight_log(*, booking: Booking, author: Person, fields: dict, tags: list[str]) -> Insight:
    """Record what the executive saw on this shift; only after they attended it."""
    if booking.person_id != author.pk:
        raise BookingRefused("not_yours", "Only the executive who sat the shift can log its insights.")
    if booking.status != BookingStatus.ATTENDED:
        raise BookingRefused(
            "not_attended", "Insights are logged after a shift the lead or buddy marked as attended."
        )
    with transaction.atomic():
        insight = Insight.objects.create(author=author, booking=booking, **fields)
        if tags:
            existing = {t.name.lower() for t in Tag.objects.filter(_named(tags))}
            missing = [Tag(name=name) for name in tags if name.lower() not in existing]
            # A tag another person creates meanwhile loses on the unique name, silently.
            Tag.objects.bulk_create(missing, ignore_conflicts=True)
            insight.tags.set(Tag.objects.filter(_named(tags)))
    return insight


def _named(names: list[str]) -> Q:
    query = Q()
    for name in names:
        query |= Q(name__iexact=name)
    return query
