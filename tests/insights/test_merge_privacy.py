"""Merging two insights tells nobody anything of an insight they may not read: no new
followers who cannot open the original, no email naming it, no history line with its
title, no search that finds it through the other's words."""

from __future__ import annotations

import email
from email import policy
from importlib import import_module

import pytest
from django.contrib.auth.models import Permission

from rotations.insights import notices as insight_notices
from rotations.insights.selectors import visible_insights, who_may_see
from rotations.insights.services import insight_log, insight_merge, insight_transition
from rotations.invites.outbox import render_missing
from rotations.models import EmailKind, Insight, InsightNotice, OutgoingEmail, Person, Tag
from tests.factories import PersonFactory, QueueFactory, attended_booking

pytestmark = pytest.mark.django_db

ORIGINAL = "Acquisition customers lose refunds"
DUPLICATE = "Refund vanished after the plan change"


@pytest.fixture
def world(support_lead, buddy):
    queue = QueueFactory(name="Billing chat", leads=[support_lead])
    eve = PersonFactory(full_name="Eve Executive", roles=["Executive"])
    otto = PersonFactory(full_name="Otto Other", roles=["Executive"])
    ben = PersonFactory(full_name="Ben Buddy", roles=["Front-line employee"])
    fields = {"what_happened": "Asked twice.", "category": "product", "severity": "high"}
    original = insight_log(
        booking=attended_booking(eve, queue, buddy),
        author=eve,
        fields={**fields, "title": ORIGINAL},
        tags=[],
    )
    duplicate = insight_log(
        booking=attended_booking(otto, queue, ben),
        author=otto,
        fields={**fields, "title": DUPLICATE, "ticket_refs": "CHAT-9999"},
        tags=[],
    )
    return {
        "lead": support_lead,
        "eve": eve,
        "otto": otto,
        "ben": ben,
        "bea": buddy,
        "original": original,
        "duplicate": duplicate,
    }


def mailed_text(person: Person) -> str:
    insight_notices.flush()
    rows = list(OutgoingEmail.objects.filter(recipient=person, kind=EmailKind.INSIGHT_UPDATE))
    render_missing([r.pk for r in rows])
    texts = []
    for row in OutgoingEmail.objects.filter(pk__in=[r.pk for r in rows]):
        message = email.message_from_bytes(bytes(row.message), policy=policy.default)
        texts.append(str(message["Subject"]) + "\n" + message.get_body(("plain",)).get_content())
    return "\n".join(texts)


def test_followers_who_cannot_read_the_original_do_not_follow_it_or_hear_its_title(world):
    insight_merge(duplicate=world["duplicate"], into=world["original"], actor=world["lead"])

    followers = set(world["original"].followers.values_list("person__full_name", flat=True))
    assert followers == {"Eve Executive", "Bea Buddy"}
    # Otto hears his insight was merged, not into what.
    otto = mailed_text(world["otto"])
    assert "merged it into another insight" in otto
    assert ORIGINAL not in otto

    # The original is declined later, for a confidential reason: he hears nothing of it.
    InsightNotice.objects.all().delete()
    insight_transition(
        insight=world["original"],
        actor=world["lead"],
        to_status="acknowledged",
    )
    insight_transition(
        insight=world["original"],
        actor=world["lead"],
        to_status="declined",
        reason="Legal hold: the acquisition is not announced",
    )
    assert set(InsightNotice.objects.values_list("person__full_name", flat=True)) == {
        "Eve Executive",
        "Bea Buddy",
    }
    assert "Legal hold" not in mailed_text(world["otto"])


def test_each_history_names_the_other_insight_only_to_who_may_read_it(client, world):
    original, duplicate = world["original"], world["duplicate"]
    insight_merge(duplicate=duplicate, into=original, actor=world["lead"])

    client.force_login(world["otto"])
    page = client.get(f"/insights/{duplicate.pk}/").content.decode()
    assert "merged it into another insight" in page and ORIGINAL not in page
    client.force_login(world["eve"])
    page = client.get(f"/insights/{original.pk}/").content.decode()
    assert "merged a duplicate into it" in page and DUPLICATE not in page
    client.force_login(world["lead"])  # who may read both sees both
    assert DUPLICATE in client.get(f"/insights/{original.pk}/").content.decode()
    assert ORIGINAL in client.get(f"/insights/{duplicate.pk}/").content.decode()


def test_the_original_is_not_found_through_the_duplicates_words(client, world):
    world["duplicate"].tags.add(Tag.objects.create(name="portal"))
    insight_merge(duplicate=world["duplicate"], into=world["original"], actor=world["lead"])
    client.force_login(world["eve"])

    def found(words):
        return [i.title for i in client.get("/insights/", {"q": words}).context["page"].object_list]

    assert found("CHAT-9999") == []
    assert found("portal") == []  # nor its tags: Eve may not read the duplicate


def test_a_private_duplicates_plus_ones_count_on_the_original_without_their_notes(world):
    from rotations.insights.services import insight_plus_one

    insight_plus_one(
        insight=world["duplicate"], person=world["ben"], note="Saw it on the Acme account"
    )
    insight_merge(duplicate=world["duplicate"], into=world["original"], actor=world["lead"])
    assert list(world["original"].votes.values_list("person__full_name", "note")) == [
        ("Ben Buddy", "")
    ]


def test_the_migration_gives_each_original_its_own_text_again(world):
    from django.apps import apps

    own = import_module("rotations.migrations.0018_merged_search_text_own")
    insight_merge(duplicate=world["duplicate"], into=world["original"], actor=world["lead"])
    Insight.objects.filter(pk=world["original"].pk).update(search_text="leaked CHAT-9999")
    own.own_text_again(apps, None)
    text = Insight.objects.get(pk=world["original"].pk).search_text
    assert ORIGINAL in text and "CHAT-9999" not in text


def test_who_may_see_answers_as_visible_insights_does(world, hr_admin):
    other_lead = PersonFactory(full_name="Lou Lead", roles=["Support lead"])
    QueueFactory(name="Phone", leads=[other_lead])
    root = Person.objects.create_superuser("root@example.com", "pw", full_name="Root")
    granted = PersonFactory(full_name="Gus Granted", roles=["Executive"])
    granted.user_permissions.add(Permission.objects.get(codename="view_all_insights"))
    granted = Person.objects.get(pk=granted.pk)  # permissions read afresh
    everyone = list(Person.objects.all())
    original = world["original"]
    for shared, owner in ((False, None), (False, world["ben"]), (True, None)):
        original.is_shared, original.owner = shared, owner
        original.save()
        expected = {p.pk for p in everyone if visible_insights(p).filter(pk=original.pk).exists()}
        assert who_may_see(original, [p.pk for p in everyone]) == expected
    assert {root.pk, granted.pk, hr_admin.pk, world["lead"].pk} <= expected
