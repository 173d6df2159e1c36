"""Support leads manage bookings on the queues they lead; HR on any; an executive their own.

Leo Lead leads Billing chat and not Phone support. Every door — the shift page, the move
and cancel pages, the API — answers the same: another queue's bookings do not exist for
him (404), and booking, moving or overriding notice there is refused (403) and changes
nothing. Time is frozen at Monday 1 March 2027, 12:00 UTC.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from rotations.directory.roles import Role
from rotations.models import Booking, BookingStatus
from tests.factories import PersonFactory, book, shift_at
from tests.helpers import toronto

NOW = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def post_json(client: Client, path: str, data: dict):
    return client.post(path, data, content_type="application/json")


@pytest.fixture
def world(executive, queue, phone_queue):
    """Eve booked on a Billing shift (Leo's) and on a Phone shift (not his), each with a
    later shift of its queue free to move to."""
    billing = shift_at(queue, toronto(3, 10))
    phone = shift_at(phone_queue, toronto(4, 10))
    return {
        "billing_booking": book(billing, executive),
        "phone_booking": book(phone, executive),
        "billing_later": shift_at(queue, toronto(10, 10)),
        "phone_later": shift_at(phone_queue, toronto(11, 10)),
        "phone_soon": shift_at(phone_queue, NOW + dt.timedelta(hours=2)),
        "other_exec": PersonFactory(full_name="Otto Other", roles=[Role.EXECUTIVE]),
    }


def snapshot() -> list[tuple]:
    return list(Booking.objects.order_by("pk").values_list("pk", "shift_id", "status", "sequence"))


def test_a_lead_reads_only_the_bookings_of_queues_they_lead(support_lead, world):
    lead = signed_in(support_lead)
    assert lead.get(f"/api/bookings/{world['billing_booking'].pk}/").status_code == 200
    assert lead.get(f"/api/bookings/{world['phone_booking'].pk}/").status_code == 404
    # The shift page of another queue lists no one's bookings to him, and offers no Move.
    phone_page = lead.get(f"/shifts/{world['phone_booking'].shift_id}/")
    assert phone_page.status_code == 200
    assert b"Eve Executive" not in phone_page.content
    assert f"/shifts/bookings/{world['phone_booking'].pk}/reschedule/" not in phone_page.text
    billing_page = lead.get(f"/shifts/{world['billing_booking'].shift_id}/")
    assert f"/shifts/bookings/{world['billing_booking'].pk}/reschedule/" in billing_page.text


def test_a_lead_cannot_cancel_or_move_a_booking_on_another_queue(support_lead, world):
    lead = signed_in(support_lead)
    before = snapshot()
    phone = world["phone_booking"].pk
    assert post_json(lead, f"/api/bookings/{phone}/cancel/", {"reason": "x"}).status_code == 404
    assert (
        post_json(lead, f"/api/bookings/{phone}/reschedule/", {"shift": world["phone_later"].pk})
    ).status_code == 404
    assert lead.get(f"/shifts/bookings/{phone}/cancel/").status_code == 404
    assert lead.post(f"/shifts/bookings/{phone}/cancel/", {"reason": "x"}).status_code == 404
    assert lead.get(f"/shifts/bookings/{phone}/reschedule/").status_code == 404
    assert snapshot() == before


def test_a_lead_cannot_move_a_booking_of_their_queue_onto_another(support_lead, world):
    lead = signed_in(support_lead)
    before = snapshot()
    billing = world["billing_booking"].pk
    response = post_json(
        lead, f"/api/bookings/{billing}/reschedule/", {"shift": world["phone_later"].pk}
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Support leads book, move and cancel for others only on the queues they lead."
    }
    page = lead.post(f"/shifts/bookings/{billing}/reschedule/", {"shift": world["phone_later"].pk})
    assert page.status_code == 400  # not among the choices offered
    assert snapshot() == before
    # The move page offers only his queues' shifts.
    offered = lead.get(f"/shifts/bookings/{billing}/reschedule/")
    assert f'value="{world["billing_later"].pk}"' in offered.text
    assert f'value="{world["phone_later"].pk}"' not in offered.text
    # Within his queue the move goes through.
    moved = post_json(
        lead, f"/api/bookings/{billing}/reschedule/", {"shift": world["billing_later"].pk}
    )
    assert (moved.status_code, moved.json()["shift"]["id"]) == (200, world["billing_later"].pk)


def test_a_lead_books_others_only_on_queues_they_lead(support_lead, world):
    lead = signed_in(support_lead)
    other = world["other_exec"]
    before = snapshot()
    refused = post_json(
        lead, "/api/bookings/", {"shift": world["phone_later"].pk, "person": other.pk}
    )
    assert refused.status_code == 403
    page = lead.post(f"/shifts/{world['phone_later'].pk}/book/", {"person": other.pk})
    assert page.status_code == 403
    assert snapshot() == before
    booked = post_json(
        lead, "/api/bookings/", {"shift": world["billing_later"].pk, "person": other.pk}
    )
    assert (booked.status_code, booked.json()["person"]) == (201, other.pk)


def test_a_lead_overrides_notice_only_on_queues_they_lead(support_lead, hr_admin, world):
    soon = world["phone_soon"].pk
    other = world["other_exec"].pk
    body = {"shift": soon, "person": other, "override_notice": True}
    assert post_json(signed_in(support_lead), "/api/bookings/", body).status_code == 403
    assert not Booking.objects.filter(shift_id=soon).exists()
    # HR may, on any queue.
    assert post_json(signed_in(hr_admin), "/api/bookings/", body).status_code == 201


def test_hr_manages_bookings_on_every_queue(hr_admin, world):
    hr = signed_in(hr_admin)
    phone = world["phone_booking"].pk
    assert hr.get(f"/api/bookings/{phone}/").status_code == 200
    moved = post_json(hr, f"/api/bookings/{phone}/reschedule/", {"shift": world["phone_later"].pk})
    assert moved.status_code == 200
    cancelled = post_json(hr, f"/api/bookings/{phone}/cancel/", {"reason": "Board meeting"})
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, BookingStatus.CANCELLED)


def test_a_lead_of_both_queues_moves_between_them(support_lead, phone_queue, world):
    phone_queue.leads.add(support_lead)
    moved = post_json(
        signed_in(support_lead),
        f"/api/bookings/{world['billing_booking'].pk}/reschedule/",
        {"shift": world["phone_later"].pk},
    )
    assert (moved.status_code, moved.json()["shift"]["id"]) == (200, world["phone_later"].pk)
