"""Who may see which insights, and the inbox's filtered, searchable list of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypedDict

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from rotations.common.timezones import local_midnight, local_midnight_after
from rotations.models import Insight, InsightEvent, InsightFollower, InsightVote, Person, Queue

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _Counts(TypedDict):
        plus_ones: int
        follower_count: int

    # An insight as the inbox reads it, with its +1s and followers counted.
    InboxInsight = WithAnnotations[Insight, _Counts]


def sees_every_insight(person: Person) -> bool:
    return person.is_superuser or person.has_perm("rotations.view_all_insights")


def led_queue_ids(person: Person) -> QuerySet:
    return Queue.leads.through.objects.filter(person_id=person.pk).values("queue_id")


def visible_insights(person: Person) -> QuerySet[Insight]:
    """HR sees every insight; a support lead those of the queues they lead; everyone
    their own, those from shifts they were the buddy on, those routed to them, and
    those their authors shared with everyone."""
    insights = Insight.objects.all()
    if sees_every_insight(person):
        return insights
    rule = Q(author=person) | Q(buddy=person) | Q(owner=person) | Q(is_shared=True)
    if person.has_perm("rotations.triage_insights"):
        rule |= Q(queue__in=led_queue_ids(person))
    return insights.filter(rule)


def who_may_see(insight: Insight, person_ids: Iterable[int]) -> set[int]:
    """Those of ``person_ids`` who may read ``insight``: ``visible_insights``'s rule asked
    of one insight for many people, in at most two queries whatever their number (a
    merge's followers, a notice's recipients)."""
    wanted = set(person_ids)
    if not wanted:
        return set()
    if insight.is_shared:
        return wanted
    seen = wanted & {insight.author_id, insight.buddy_id, insight.owner_id}
    rest = wanted - seen
    if not rest:
        return seen
    everything = Q(is_superuser=True) | _holds("view_all_insights")
    if insight.queue_id is not None:
        leads = Queue.leads.through.objects.filter(queue_id=insight.queue_id).values("person_id")
        everything |= Q(pk__in=leads) & _holds("triage_insights")
    return seen | set(
        Person.objects.filter(pk__in=rest).filter(everything).values_list("pk", flat=True)
    )


def _holds(codename: str) -> Q:
    """People holding ``rotations.<codename>``, through a role or given them directly."""
    return Q(
        pk__in=Person.objects.filter(
            Q(
                groups__permissions__codename=codename,
                groups__permissions__content_type__app_label="rotations",
            )
            | Q(
                user_permissions__codename=codename,
                user_permissions__content_type__app_label="rotations",
            )
        ).values("pk")
    )


def event_lines(person: Person, events: Iterable[InsightEvent]) -> list[InsightEvent]:
    """``events`` with ``text``, what each says to ``person``: a merge names the other
    insight only to someone who may read it (one query for all of them)."""
    events = list(events)
    others = {e.other_insight_id for e in events if e.other_insight_id is not None}
    readable = (
        set(visible_insights(person).filter(pk__in=others).values_list("pk", flat=True))
        if others
        else set()
    )
    for event in events:
        event.text = event.describe(names_other=event.other_insight_id in readable)
    return events


def can_triage(person: Person, insight: Insight) -> bool:
    if not person.has_perm("rotations.triage_insights"):
        return False
    if sees_every_insight(person):
        return True
    return (
        insight.queue_id is not None
        and led_queue_ids(person).filter(queue_id=insight.queue_id).exists()
    )


@dataclass(frozen=True)
class InboxFilter:
    status: str = ""  # a status, "open", or "" for all
    queue_id: int | None = None
    category: str = ""
    severity: str = ""
    tag: str = ""
    author_id: int | None = None
    author_name: str = ""
    logged_from: date | None = None
    logged_to: date | None = None
    text: str = ""
    following: bool = False


def inbox(person: Person, wanted: InboxFilter, *, zone) -> QuerySet[InboxInsight]:
    """The insights ``person`` may see that match ``wanted``, newest first, with what a
    row shows loaded in a fixed number of queries."""
    insights = visible_insights(person)
    if wanted.status == "open":
        insights = insights.exclude(status__in=("shipped", "declined", "duplicate"))
    elif wanted.status:
        insights = insights.filter(status=wanted.status)
    if wanted.queue_id:
        insights = insights.filter(queue_id=wanted.queue_id)
    if wanted.category:
        insights = insights.filter(category=wanted.category)
    if wanted.severity:
        insights = insights.filter(severity=wanted.severity)
    if wanted.tag:
        insights = insights.filter(tags__name__iexact=wanted.tag)
    if wanted.author_id:
        insights = insights.filter(author_id=wanted.author_id)
    if wanted.author_name:
        insights = insights.filter(
            Q(author__full_name__icontains=wanted.author_name)
            | Q(author__email__iexact=wanted.author_name)
        )
    if wanted.logged_from:
        insights = insights.filter(created_at__gte=local_midnight(wanted.logged_from, zone))
    if wanted.logged_to:
        insights = insights.filter(created_at__lt=local_midnight_after(wanted.logged_to, zone))
    if wanted.following:
        insights = insights.filter(
            pk__in=InsightFollower.objects.filter(person=person).values("insight_id")
        )
    if wanted.text:
        insights = insights.filter(matches(wanted.text))
    return (
        insights.select_related("author", "queue", "owner")
        .prefetch_related("tags")
        .annotate(plus_ones=_count(InsightVote), follower_count=_count(InsightFollower))
    )


def matches(text: str):
    """Full-text search: PostgreSQL's, through the index of migration 0005; elsewhere
    every word must appear somewhere in the insight."""
    if connection.vendor == "postgresql":
        return RawSQL(
            "to_tsvector('english'::regconfig, rotations_insight.search_text) "
            "@@ websearch_to_tsquery('english'::regconfig, %s)",
            [text],
            output_field=BooleanField(),
        )
    query = Q()
    for word in text.split():
        query &= Q(search_text__icontains=word.strip('"'))
    return query


def _count(model) -> Coalesce:
    counted = (
        model.objects.filter(insight_id=OuterRef("pk"))
        .order_by()
        .values("insight_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def insight_detail(pk: int) -> Insight:
    return (
        Insight.objects.select_related(
            "author", "queue", "owner", "buddy", "booking__shift", "session", "duplicate_of"
        )
        .prefetch_related("tags")
        .annotate(plus_ones=_count(InsightVote))  # as the inbox counts them (the API's field)
        .get(pk=pk)
    )
