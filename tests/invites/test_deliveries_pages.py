"""Delivery status for HR and support leads: what was sent to whom, what failed, retry."""

from __future__ import annotations

import pytest

from rotations.models import EmailStatus, OutgoingEmail
from rotations.shifts.permissions import actor
from rotations.shifts.services.booking import booking_create
from tests.factories import PersonFactory, QueueFactory, ShiftFactory
from tests.helpers import count_page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(executive, support_lead, frontline_employee):
    queue = QueueFactory(leads=[support_lead])
    booking = booking_create(
        shift=ShiftFactory(queue=queue, buddy=frontline_employee),
        person=executive,
        by=actor(executive),
    )
    OutgoingEmail.objects.filter(to_email=executive.email).update(
        status=EmailStatus.FAILED, attempts=8, last_error="SMTPDataError: (451, b'Try again later')"
    )
    return booking, OutgoingEmail.objects.get(to_email=executive.email)


def test_hr_sees_what_failed_and_why(client, hr_admin, failed, frontline_employee):
    booking, email = failed
    client.force_login(hr_admin)
    page = client.get(f"/deliveries/bookings/{booking.pk}/").content.decode()
    assert email.to_email in page
    assert "Failed" in page and "Try again later" in page
    assert "Waiting to be sent" in page  # the buddy's copy
    listing = client.get("/deliveries/?status=failed").content.decode()
    assert email.to_email in listing
    assert frontline_employee.email not in listing  # the buddy's copy is not failed


@pytest.mark.parametrize(
    ("role", "expected"),
    [("executive", 403), ("frontline", 403), ("hr_admin", 302), ("support_lead", 302)],
)
def test_retry_is_for_hr_and_the_queue_lead(
    client_as, failed, role, expected, django_capture_on_commit_callbacks
):
    _, email = failed
    from unittest import mock

    with mock.patch("rotations.invites.outbox.kick") as kick:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_as(role).post(
                f"/deliveries/{email.pk}/retry/", {"next": "https://evil.example/"}
            )
    assert response.status_code == expected
    email.refresh_from_db()
    if expected == 302:
        assert response["Location"] == "/deliveries/"  # never an outside address
        assert (email.status, email.attempts) == (EmailStatus.PENDING, 0)
        kick.assert_called_once_with()
    else:
        assert email.status == EmailStatus.FAILED
        kick.assert_not_called()


def test_a_lead_cannot_retry_mail_of_a_queue_they_do_not_lead(client, failed):
    _, email = failed
    other_lead = PersonFactory(roles=["Support lead"])
    client.force_login(other_lead)
    assert client.post(f"/deliveries/{email.pk}/retry/").status_code == 404
    assert client.post("/deliveries/999999/retry/").status_code == 404
    assert email.to_email not in client.get("/deliveries/").content.decode()


def test_retrying_what_is_not_failed_changes_nothing(client, hr_admin, failed):
    booking, _ = failed
    pending = OutgoingEmail.objects.get(booking=booking, status=EmailStatus.PENDING)
    client.force_login(hr_admin)
    response = client.post(f"/deliveries/{pending.pk}/retry/", follow=True)
    assert b"nothing to retry" in response.content


def test_delivery_pages_run_a_fixed_number_of_queries(client, hr_admin, executive):
    queue = QueueFactory()
    client.force_login(hr_admin)

    def book(n):
        for _ in range(n):
            person = PersonFactory(roles=["Executive"])
            booking_create(
                shift=ShiftFactory(queue=queue, buddy=PersonFactory()),
                person=person,
                by=actor(person),
            )

    book(2)
    assert count_page_queries(client, "/deliveries/") == 3
    book(20)
    assert count_page_queries(client, "/deliveries/") == 3
