"""An executive logs insights from an attended shift (where the post-shift prompt leads)."""

from __future__ import annotations

import pytest

from rotations.invites.reminders import queue_due_emails
from rotations.models import Booking, BookingStatus, Insight, Tag
from tests.factories import PersonFactory, ShiftFactory

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Refund status is invisible to customers",
    "what_happened": "Three chats in an hour asked where their refund was; agents had to check two tools.",
    "customer_quote": "I just want to know if my money is coming back.",
    "ticket_refs": "CHAT-1201, CHAT-1207",
    "category": "product",
    "severity": "high",
    "suggested_fix": "Show refund status in the customer portal.",
    "tags": "Refunds, billing; refunds",
}


@pytest.fixture
def attended(executive):
    buddy = PersonFactory(full_name="Bea Buddy", roles=["Front-line employee"])
    shift = ShiftFactory(buddy=buddy)
    return Booking.objects.create(
        shift=shift,
        person=executive,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=BookingStatus.ATTENDED,
    )


def test_the_executive_logs_an_insight_with_tags_from_the_form(client, executive, attended):
    client.force_login(executive)
    page = client.get(f"/shifts/bookings/{attended.pk}/insights/new/")
    assert page.status_code == 200
    assert b"with Bea Buddy" in page.content

    response = client.post(f"/shifts/bookings/{attended.pk}/insights/new/", FORM, follow=True)
    assert response.status_code == 200
    assert b"your insight is logged" in response.content
    [insight] = Insight.objects.all()
    assert (insight.author, insight.booking, insight.status) == (executive, attended, "new")
    assert insight.customer_quote == FORM["customer_quote"]
    assert sorted(t.name for t in insight.tags.all()) == ["Refunds", "billing"]
    assert FORM["title"].encode() in response.content  # listed under "logged from this shift"

    # A second insight reuses the tags, whatever their case.
    client.post(
        f"/shifts/bookings/{attended.pk}/insights/new/",
        {**FORM, "title": "Two tools", "tags": "REFUNDS"},
    )
    assert Tag.objects.count() == 2
    assert Insight.objects.count() == 2


def test_missing_fields_are_named_and_nothing_is_saved(client, executive, attended):
    client.force_login(executive)
    response = client.post(
        f"/shifts/bookings/{attended.pk}/insights/new/", {**FORM, "title": "", "category": "gossip"}
    )
    assert response.status_code == 400
    assert b"This field is required." in response.content
    assert b"Select a valid choice" in response.content
    assert not Insight.objects.exists()


def test_a_shift_not_attended_cannot_have_insights_yet(client, executive, attended):
    attended.status = BookingStatus.CONFIRMED
    attended.save()
    client.force_login(executive)
    response = client.post(f"/shifts/bookings/{attended.pk}/insights/new/", FORM)
    assert response.status_code == 400
    assert b"marked as attended" in response.content
    assert not Insight.objects.exists()


def test_nobody_else_logs_for_the_executive(client, attended, hr_admin):
    client.force_login(hr_admin)
    assert client.post(f"/shifts/bookings/{attended.pk}/insights/new/", FORM).status_code == 403
    client.force_login(attended.shift.buddy)
    assert client.post(f"/shifts/bookings/{attended.pk}/insights/new/", FORM).status_code == 403
    client.force_login(PersonFactory(roles=["Executive"]))
    assert client.post(f"/shifts/bookings/{attended.pk}/insights/new/", FORM).status_code == 404
    assert not Insight.objects.exists()


def test_the_prompt_email_links_straight_to_this_form(settings, attended):
    from rotations.invites.outbox import render_missing
    from rotations.models import OutgoingEmail

    settings.SITE_URL = "https://frontline.example.com"
    from datetime import timedelta

    from django.utils import timezone

    # Ended two hours ago: the sweep owes a prompt.
    now = timezone.now()
    Booking.objects.filter(pk=attended.pk).update(
        starts_at=now - timedelta(hours=6), ends_at=now - timedelta(hours=2)
    )
    assert queue_due_emails() == 1
    prompt = OutgoingEmail.objects.get(kind="insight_prompt")
    render_missing([prompt.pk])
    prompt.refresh_from_db()
    link = f"https://frontline.example.com/shifts/bookings/{attended.pk}/insights/new/"
    assert link.encode() in bytes(prompt.message).replace(b"=\r\n", b"")
    assert queue_due_emails() == 0  # once
