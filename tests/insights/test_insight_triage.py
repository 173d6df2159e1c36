"""Triage: the life cycle, routing, merging duplicates, comments, follows, +1s, history."""

from __future__ import annotations

import datetime as dt

import pytest

from rotations.insights.services import (
    InsightRefused,
    insight_comment,
    insight_follow,
    insight_log,
    insight_merge,
    insight_plus_one,
    insight_transition,
)
from rotations.models import (
    Insight,
    InsightEvent,
    InsightFollower,
    InsightNotice,
    InsightVote,
)
from tests.factories import PersonFactory, attended_booking

pytestmark = pytest.mark.django_db

FIELDS = {
    "title": "Refund status is invisible to customers",
    "what_happened": "Three chats in an hour asked where their refund was.",
    "customer_quote": "Is my money coming back?",
    "ticket_refs": "CHAT-1201",
    "category": "product",
    "severity": "high",
    "suggested_fix": "Show refund status in the portal.",
}


@pytest.fixture
def insight(executive, queue, buddy):
    return insight_log(
        booking=attended_booking(executive, queue, buddy),
        author=executive,
        fields=FIELDS,
        tags=["Refunds"],
    )


def history(insight):
    return [
        (e.kind, e.from_status, e.to_status, e.actor.full_name)
        for e in insight.events.select_related("actor")
    ]


def test_logging_makes_the_author_and_the_buddy_followers_and_copies_queue_and_buddy(
    insight, executive, buddy, queue
):
    assert (insight.queue, insight.buddy) == (queue, buddy)
    assert sorted(insight.followers.values_list("person__full_name", "reason")) == [
        ("Bea Buddy", "buddy"),
        ("Eve Executive", "author"),
    ]
    assert history(insight) == [("logged", "", "new", "Eve Executive")]
    assert "Refunds" in insight.search_text and "CHAT-1201" in insight.search_text


def test_the_whole_life_cycle_is_recorded_step_by_step(insight, support_lead, hr_admin):
    owner = PersonFactory(full_name="Olga Owner")
    insight_transition(
        insight=insight, actor=support_lead, to_status="acknowledged", expected_status="new"
    )
    insight_transition(
        insight=insight,
        actor=support_lead,
        to_status="routed",
        owner=owner,
        owner_team="Payments",
        due_on=dt.date(2027, 1, 15),
    )
    insight_comment(insight=insight, actor=support_lead, body="Payments have it on their board.")
    insight_transition(insight=insight, actor=support_lead, to_status="actioned")
    insight_transition(insight=insight, actor=hr_admin, to_status="shipped")
    insight.refresh_from_db()
    assert insight.status == "shipped"
    assert (insight.owner, insight.owner_team, insight.due_on) == (
        owner,
        "Payments",
        dt.date(2027, 1, 15),
    )
    assert insight.triaged_at <= insight.actioned_at <= insight.shipped_at
    assert history(insight) == [
        ("logged", "", "new", "Eve Executive"),
        ("status", "new", "acknowledged", "Leo Lead"),
        ("status", "acknowledged", "routed", "Leo Lead"),
        ("comment", "", "", "Leo Lead"),
        ("status", "routed", "actioned", "Leo Lead"),
        ("status", "actioned", "shipped", "Harriet Admin"),
    ]
    routed = insight.events.get(to_status="routed")
    assert routed.describe() == "routed it to Olga Owner and Payments, due 2027-01-15"
    # The owner follows what they own.
    assert insight.followers.filter(person=owner, reason="owner").exists()


@pytest.mark.parametrize(
    ("to_status", "kwargs", "code", "message"),
    [
        ("routed", {}, "no_owner", "Route it to a person, a team, or both."),
        (
            "declined",
            {"reason": "   "},
            "no_reason",
            "Say why it is declined: the people following it will read it.",
        ),
        # new → shipped skips triage
        ("shipped", {}, "bad_transition", "A new insight cannot be marked shipped."),
        (
            "duplicate",
            {},
            "use_merge",
            "Mark a duplicate by merging it into the insight it repeats.",
        ),
        ("gossip", {}, "bad_status", "Choose one of the statuses listed."),
    ],
)
def test_a_step_the_life_cycle_does_not_allow_is_refused_with_a_reason(
    insight, support_lead, to_status, kwargs, code, message
):
    with pytest.raises(InsightRefused, match=message) as refused:
        insight_transition(insight=insight, actor=support_lead, to_status=to_status, **kwargs)
    assert refused.value.code == code
    insight.refresh_from_db()
    assert insight.status == "new"
    assert insight.events.count() == 1


def test_a_step_based_on_a_stale_page_is_refused(insight, support_lead, hr_admin):
    insight_transition(
        insight=insight, actor=hr_admin, to_status="declined", reason="Out of scope this year."
    )
    with pytest.raises(
        InsightRefused,
        match="Someone changed this insight meanwhile: it is now declined. "
        "Look again before you move it.",
    ) as refused:
        insight_transition(
            insight=insight, actor=support_lead, to_status="acknowledged", expected_status="new"
        )
    assert refused.value.code == "changed"


def test_declined_keeps_its_reason_and_reopening_clears_it(insight, support_lead):
    insight_transition(
        insight=insight, actor=support_lead, to_status="declined", reason="Policy, not product."
    )
    insight.refresh_from_db()
    assert insight.decline_reason == "Policy, not product."
    insight_transition(insight=insight, actor=support_lead, to_status="acknowledged")
    insight.refresh_from_db()
    assert (insight.status, insight.decline_reason) == ("acknowledged", "")
    assert insight.events.last().describe() == "reopened it"


def test_merging_a_duplicate_keeps_followers_votes_links_and_history(
    executive, queue, buddy, support_lead
):
    original = insight_log(
        booking=attended_booking(executive, queue, buddy),
        author=executive,
        fields=FIELDS,
        tags=["Refunds"],
    )
    other_exec = PersonFactory(full_name="Otto Other", roles=["Executive"])
    other_buddy = PersonFactory(full_name="Ben Buddy", roles=["Front-line employee"])
    dup_booking = attended_booking(other_exec, queue, other_buddy)
    duplicate = insight_log(
        booking=dup_booking,
        author=other_exec,
        # Shared with everyone, so others could +1 it; the original is private.
        fields={
            **FIELDS,
            "title": "Where is my refund?",
            "ticket_refs": "CHAT-9999",
            "is_shared": True,
        },
        tags=["portal"],
    )
    voter = PersonFactory(full_name="Vera Voter", roles=["Executive"])
    insight_plus_one(insight=duplicate, person=voter, note="Heard it twice on Tuesday")
    insight_plus_one(insight=duplicate, person=executive, note="Mine too")  # the original's author

    insight_merge(duplicate=duplicate, into=original, actor=support_lead)

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of) == ("duplicate", original)
    # Its own links stay: its booking, its tickets, its followers, its +1.
    assert duplicate.booking == dup_booking and duplicate.ticket_refs == "CHAT-9999"
    assert set(duplicate.followers.values_list("person__full_name", flat=True)) == {
        "Otto Other",
        "Ben Buddy",
        "Vera Voter",
        "Eve Executive",
    }
    assert duplicate.votes.count() == 2
    # The original gains those of them who may read it: nobody here but its own.
    assert set(original.followers.values_list("person__full_name", flat=True)) == {
        "Eve Executive",
        "Bea Buddy",
    }
    assert list(original.votes.values_list("person__full_name", "note")) == [
        ("Vera Voter", "Heard it twice on Tuesday")
    ]
    assert sorted(t.name for t in original.tags.all()) == ["Refunds", "portal"]
    original.refresh_from_db()
    assert "CHAT-9999" not in original.search_text  # its text stays its own
    assert history(duplicate)[-1] == ("status", "new", "duplicate", "Leo Lead")
    assert [e.describe(names_other=True) for e in original.events.filter(kind="merged")] == [
        f"merged duplicate #{duplicate.pk} “Where is my refund?” into it"
    ]
    # The duplicate's followers (not the lead who merged) hear of it.
    assert set(InsightNotice.objects.values_list("person__full_name", flat=True)) == {
        "Otto Other",
        "Ben Buddy",
        "Vera Voter",
        "Eve Executive",
    }


def test_merge_refuses_itself_a_duplicate_target_and_a_second_merge(
    insight, executive, queue, support_lead
):
    other = insight_log(
        booking=attended_booking(executive, queue), author=executive, fields=FIELDS, tags=[]
    )
    third = insight_log(
        booking=attended_booking(executive, queue), author=executive, fields=FIELDS, tags=[]
    )
    with pytest.raises(InsightRefused, match="itself"):
        insight_merge(duplicate=insight, into=insight, actor=support_lead)
    insight_merge(duplicate=other, into=insight, actor=support_lead)
    with pytest.raises(InsightRefused, match=f"merge into #{insight.pk} instead"):
        insight_merge(duplicate=third, into=other, actor=support_lead)
    with pytest.raises(InsightRefused, match="cannot be merged"):
        insight_merge(duplicate=other, into=third, actor=support_lead)


def test_plus_one_once_per_person_not_by_the_author_and_makes_a_follower(insight, executive):
    colleague = PersonFactory(roles=["Executive"])
    insight_plus_one(insight=insight, person=colleague, note="Same on phone")
    with pytest.raises(InsightRefused, match="already"):
        insight_plus_one(insight=insight, person=colleague)
    with pytest.raises(InsightRefused, match="You logged it"):
        insight_plus_one(insight=insight, person=executive)
    assert InsightVote.objects.filter(insight=insight).count() == 1
    assert insight.followers.filter(person=colleague, reason="plus_one").exists()


def test_follow_twice_is_one_follow(insight):
    someone = PersonFactory()
    assert insight_follow(insight=insight, person=someone) is True
    assert insight_follow(insight=insight, person=someone) is False
    assert InsightFollower.objects.filter(insight=insight, person=someone).count() == 1
    assert InsightEvent.objects.filter(insight=insight, kind="followed").count() == 1


def test_a_status_change_owes_every_follower_but_the_actor_a_notice(
    insight, support_lead, executive, buddy
):
    insight_transition(insight=insight, actor=support_lead, to_status="acknowledged")
    assert sorted(InsightNotice.objects.values_list("person__full_name", flat=True)) == [
        "Bea Buddy",
        "Eve Executive",
    ]
    # Comments and follows are history, not news.
    insight_comment(insight=insight, actor=support_lead, body="Looking into it")
    insight_follow(insight=insight, person=PersonFactory())
    assert InsightNotice.objects.count() == 2


def test_the_database_refuses_inconsistent_states(insight):
    from django.db import IntegrityError, connection, transaction

    # Both name the check constraint, each in its own words.
    refused = {
        "sqlite": "CHECK constraint failed: {}",
        "postgresql": 'new row for relation "rotations_insight" violates check constraint "{}"',
    }[connection.vendor]
    for bad, constraint in (
        ({"status": "duplicate"}, "insight_duplicate_names_original"),
        ({"status": "declined", "decline_reason": ""}, "insight_decline_has_reason"),
        ({"status": "routed", "owner": None, "owner_team": ""}, "insight_routed_has_owner"),
        ({"duplicate_of_id": insight.pk, "status": "duplicate"}, "insight_not_duplicate_of_itself"),
    ):
        with pytest.raises(IntegrityError, match=refused.format(constraint)), transaction.atomic():
            Insight.objects.filter(pk=insight.pk).update(**bad)
