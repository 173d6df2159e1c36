"""Every kind of email has one renderer, and every subject is plain text."""

from __future__ import annotations

import email
import email.policy

import pytest

from rotations.invites import outbox
from rotations.invites.rendering import renderer_for, renders
from rotations.models import EmailKind, OutgoingEmail
from rotations.shifts.permissions import actor
from rotations.shifts.services.booking import booking_create
from tests.factories import PersonFactory, QueueFactory, ShiftFactory

pytestmark = pytest.mark.django_db


def test_every_kind_of_email_has_a_renderer():
    for kind in EmailKind:
        assert callable(renderer_for(kind)), kind


def test_a_kind_gets_one_renderer_only():
    with pytest.raises(ValueError, match="invite emails already have a renderer"):
        renders(EmailKind.INVITE)(lambda rows, siblings: {})


def test_subjects_and_plain_text_are_not_escaped_for_html(executive):
    buddy = PersonFactory(full_name="Seán O'Brien", roles=["Front-line employee"])
    queue = QueueFactory(name="Billing & <Refunds>")
    booking_create(
        shift=ShiftFactory(queue=queue, buddy=buddy), person=executive, by=actor(executive)
    )
    outbox.render_missing(list(OutgoingEmail.objects.values_list("pk", flat=True)))
    row = OutgoingEmail.objects.get(to_email=buddy.email)
    assert row.subject.startswith("Invitation: Billing & <Refunds> shift, ")
    message = email.message_from_bytes(bytes(row.message), policy=email.policy.default)
    assert message["Subject"] == row.subject
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Billing & <Refunds>" in text and "&amp;" not in text
    assert "Billing &amp; &lt;Refunds&gt;" in html and "<Refunds>" not in html
