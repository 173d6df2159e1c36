"""Followers hear what became of an insight: an email per change, a digest past the daily
allowance, never twice; through a real worker and a real SMTP server end to end."""

from __future__ import annotations

import datetime as dt
import email
import time
from email import policy

import pytest
import time_machine

from rotations.insights import notices as insight_notices
from rotations.insights.services import insight_log, insight_transition
from rotations.invites.outbox import render_missing
from rotations.models import EmailKind, InsightNotice, OutgoingEmail
from tests.factories import PersonFactory, QueueFactory, attended_booking
from tests.servers import CeleryWorker

UTC = dt.UTC
FIELDS = {
    "title": "Refund status is invisible",
    "what_happened": "Customers asked where their refund was.",
    "category": "product",
    "severity": "high",
}


def text_of(row: OutgoingEmail) -> str:
    message = email.message_from_bytes(bytes(row.message), policy=policy.default)
    return message.get_body(("plain",)).get_content()


@pytest.mark.django_db
class TestAllowanceAndDigest:
    @pytest.fixture
    def world(self, settings, support_lead):
        settings.INSIGHT_EMAILS_PER_DAY = 2
        settings.SITE_URL = "https://frontline.example.com"
        executive = PersonFactory(
            full_name="Eve Executive", time_zone="Asia/Tokyo", roles=["Executive"]
        )
        buddy = PersonFactory(
            full_name="Bea Buddy", time_zone="America/New_York", roles=["Front-line employee"]
        )
        queue = QueueFactory(leads=[support_lead])
        insight = insight_log(
            booking=attended_booking(executive, queue, buddy),
            author=executive,
            fields=FIELDS,
            tags=[],
        )
        return executive, buddy, insight

    def emails_to(self, person):
        return list(
            OutgoingEmail.objects.filter(recipient=person, kind=EmailKind.INSIGHT_UPDATE).order_by(
                "pk"
            )
        )

    def test_one_email_per_change_up_to_the_allowance_then_one_digest_the_next_local_day(
        self, world, support_lead
    ):
        executive, buddy, insight = world
        # 10:00 UTC is 19:00 in Tokyo and 05:00 in New York.
        with time_machine.travel(dt.datetime(2027, 3, 1, 10, tzinfo=UTC), tick=False):
            for step in (
                {"to_status": "acknowledged"},
                {"to_status": "routed", "owner_team": "Payments"},
                {"to_status": "actioned"},
                {"to_status": "shipped"},
            ):
                insight_transition(insight=insight, actor=support_lead, **step)
                insight_notices.flush()
            assert len(self.emails_to(executive)) == 2  # the allowance
            assert InsightNotice.objects.filter(person=executive, email__isnull=True).count() == 2
            assert insight_notices.flush() == 0  # still today: they keep waiting
        # 15:30 UTC is 00:30 the next day in Tokyo, but still 10:30 the same day in New York.
        with time_machine.travel(dt.datetime(2027, 3, 1, 15, 30, tzinfo=UTC), tick=False):
            assert insight_notices.flush() == 1
        mails = self.emails_to(executive)
        assert len(mails) == 3 and len(self.emails_to(buddy)) == 2
        digest = mails[-1]
        assert digest.insight_notices.count() == 2
        render_missing([m.pk for m in mails])
        digest.refresh_from_db()
        assert digest.subject == "2 updates on insights you follow"
        body = text_of(digest)
        assert "Leo Lead marked it actioned." in body and "Leo Lead marked it shipped." in body
        assert f"https://frontline.example.com/insights/{insight.pk}/" in body
        first = OutgoingEmail.objects.get(pk=mails[0].pk)
        assert first.subject == "“Refund status is invisible”: Leo Lead marked it acknowledged"
        # New York's day turns at 05:00 UTC the next morning.
        with time_machine.travel(dt.datetime(2027, 3, 2, 5, 1, tzinfo=UTC), tick=False):
            assert insight_notices.flush() == 1
        assert len(self.emails_to(buddy)) == 3
        assert not InsightNotice.objects.filter(email__isnull=True).exists()

    def test_flushing_again_mails_nothing_twice(self, world, support_lead):
        executive, buddy, insight = world
        insight_transition(insight=insight, actor=support_lead, to_status="acknowledged")
        assert insight_notices.flush() == 2
        assert insight_notices.flush() == 0
        assert insight_notices.flush([executive.pk, buddy.pk]) == 0
        assert OutgoingEmail.objects.filter(kind=EmailKind.INSIGHT_UPDATE).count() == 2

    def test_the_actor_is_not_told_of_their_own_change(self, world, support_lead):
        executive, buddy, insight = world
        insight_transition(insight=insight, actor=support_lead, to_status="acknowledged")
        insight.followers.create(person=support_lead, reason="chose")
        insight_transition(
            insight=insight, actor=support_lead, to_status="declined", reason="Not now"
        )
        assert not InsightNotice.objects.filter(person=support_lead).exists()


WORKER_ENV = {
    "DEFAULT_FROM_EMAIL": "Frontline <frontline@frontline.example.com>",
    "OUTBOX_RETRY_BASE_SECONDS": "0.5",
    "INSIGHT_EMAILS_PER_DAY": "5",
    "SITE_URL": "https://frontline.example.com",
}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_logged_insight_is_triaged_through_the_pages_and_both_followers_hear_each_step(
    smtp_server, broker_available, client, support_lead
):
    executive = PersonFactory(
        full_name="Eve Executive", email="eve@example.com", roles=["Executive"]
    )
    buddy = PersonFactory(
        full_name="Bea Buddy", email="bea@example.com", roles=["Front-line employee"]
    )
    booking = attended_booking(executive, QueueFactory(leads=[support_lead]), buddy)
    worker = CeleryWorker(env={**WORKER_ENV, "EMAIL_URL": smtp_server.url}).start()
    try:
        client.force_login(executive)
        response = client.post(
            f"/shifts/bookings/{booking.pk}/insights/new/", {**FIELDS, "tags": "refunds"}
        )
        assert response.status_code == 302
        insight = executive.insights.get()
        client.force_login(support_lead)
        # Steps a little apart, as in life: each one mailed before the next is taken
        # (changes that pile up before a worker gets to them go out as one email).
        steps = [
            {"to_status": "acknowledged", "expected_status": "new"},
            {"to_status": "routed", "expected_status": "acknowledged", "owner_team": "Payments"},
            {"to_status": "shipped", "expected_status": "routed"},
        ]
        for n, step in enumerate(steps, start=1):
            assert client.post(f"/insights/{insight.pk}/status/", step).status_code == 302
            if n == 2:
                assert (
                    client.post(
                        f"/insights/{insight.pk}/comment/", {"body": "On the Q2 roadmap"}
                    ).status_code
                    == 302
                )
            received = smtp_server.wait_for(2 * n, timeout=60)
        time.sleep(3)  # anything extra would arrive now (a task starts 2 s after a change)
    finally:
        worker.stop()
    assert len(smtp_server.received) == 6
    subjects = sorted((r.rcpt_tos[0], str(r.message["Subject"])) for r in received)
    title = "“Refund status is invisible”: Leo Lead"
    assert subjects == sorted(
        (to, f"{title} {what}")
        for to in ("eve@example.com", "bea@example.com")
        for what in ("marked it acknowledged", "routed it to Payments", "marked it shipped")
    )
    assert all(r.message["Message-ID"] for r in received)
