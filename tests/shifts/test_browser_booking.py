"""An executive finds, books, moves and cancels a shift in real Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rotations.directory.roles import Role
from rotations.models import Booking
from tests.factories import PASSWORD, PersonFactory, QueueFactory, ShiftFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_executive_books_moves_and_cancels_a_shift(page):
    from playwright.sync_api import expect

    executive = PersonFactory(
        email="maya.exec@example.com",
        full_name="Maya Exec",
        roles=[Role.EXECUTIVE],
        time_zone="America/Toronto",
    )
    buddy = PersonFactory(full_name="Ben Buddy", roles=[Role.FRONTLINE])
    queue = QueueFactory(name="Billing chat", time_zone="America/New_York")
    base = (timezone.now() + timedelta(days=4)).replace(hour=15, minute=0, second=0, microsecond=0)
    first = ShiftFactory(
        queue=queue, buddy=buddy, starts_at=base, ends_at=base + timedelta(hours=3)
    )
    second = ShiftFactory(
        queue=queue,
        buddy=buddy,
        starts_at=base + timedelta(days=2),
        ends_at=base + timedelta(days=2, hours=3),
    )

    page.goto("/accounts/login/")
    page.fill("input[name=login]", executive.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Hello, Maya")).to_be_visible()

    page.get_by_role("link", name="Find a shift").first.click()
    expect(page.locator("#shift-rows")).to_contain_text("2 open shifts")
    page.locator("#shift-rows a", has_text="View").first.click()
    expect(page.get_by_role("heading", name="Billing chat")).to_be_visible()
    page.get_by_role("button", name="Book this shift").click()

    expect(page.get_by_text("You are booked on Billing chat.")).to_be_visible()
    booking = Booking.objects.get(person=executive)
    assert (booking.shift_id, booking.sequence, booking.status) == (first.pk, 0, "confirmed")

    page.locator("#my-upcoming").get_by_role("link", name="Move").click()
    page.select_option("select[name=shift]", str(second.pk))
    page.get_by_role("button", name="Move booking").click()
    expect(page.get_by_text("Moved. The calendar entry moves with it.")).to_be_visible()
    booking.refresh_from_db()
    assert (booking.shift_id, booking.sequence) == (second.pk, 1)

    page.locator("#my-upcoming").get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Cancel booking").click()  # no reason yet: the browser holds it
    expect(page.locator("textarea[name=reason]:invalid")).to_have_count(1)
    page.fill("textarea[name=reason]", "Quarterly review moved onto that day")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text("Cancelled. It disappears from the calendar.")).to_be_visible()
    expect(page.locator("#my-upcoming")).to_contain_text("Nothing booked.")
    booking.refresh_from_db()
    assert (booking.status, booking.sequence, booking.cancel_reason) == (
        "cancelled",
        2,
        "Quarterly review moved onto that day",
    )
