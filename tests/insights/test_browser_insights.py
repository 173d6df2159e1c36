"""In real Chromium: an insight draft survives a session timeout; a lead triages it; the
impact dashboard draws its charts."""

from __future__ import annotations

import re

import pytest

from rotations.directory.roles import Role
from rotations.models import Booking, BookingStatus, Insight
from tests.factories import PASSWORD, PersonFactory, QueueFactory, ShiftFactory
from tests.helpers import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_draft_survives_a_session_timeout_and_is_forgotten_once_logged(page):
    from playwright.sync_api import expect

    executive = PersonFactory(
        email="maya.exec@example.com", full_name="Maya Exec", roles=[Role.EXECUTIVE]
    )
    lead = PersonFactory(
        email="leo.lead@example.com", full_name="Leo Lead", roles=[Role.SUPPORT_LEAD]
    )
    queue = QueueFactory(name="Billing chat", leads=[lead])
    shift = ShiftFactory(queue=queue)
    booking = Booking.objects.create(
        shift=shift,
        person=executive,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=BookingStatus.ATTENDED,
    )
    browser_sign_in(page, executive)
    expect(page.locator("#awaiting-insights")).to_contain_text("Billing chat")
    page.locator("#awaiting-insights a").first.click()
    page.fill("input[name=title]", "Refund status is invisible")
    page.fill("textarea[name=what_happened]", "Three chats asked where their refund was.")
    page.select_option("select[name=category]", "product")
    page.select_option("select[name=severity]", "high")

    # The session times out while they write: the server forgets them (the CSRF cookie,
    # which lives for a year, stays).
    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="Log this insight").click()
    expect(page).to_have_url(
        re.compile(rf"/accounts/login/\?next=/shifts/bookings/{booking.pk}/insights/new/$")
    )
    assert not Insight.objects.exists()
    page.fill("input[name=login]", executive.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    # Back on the form, as they left it.
    expect(page.locator("#draft-note")).to_be_visible()
    expect(page.locator("input[name=title]")).to_have_value("Refund status is invisible")
    expect(page.locator("textarea[name=what_happened]")).to_have_value(
        "Three chats asked where their refund was."
    )
    expect(page.locator("select[name=severity]")).to_have_value("high")
    page.get_by_role("button", name="Log this insight").click()
    expect(page.get_by_text("your insight is logged")).to_be_visible()
    insight = Insight.objects.get()
    assert (insight.title, insight.severity, insight.author) == (
        "Refund status is invisible",
        "high",
        executive,
    )
    # Logged: the draft is gone, the form is empty for the next one.
    page.reload()
    expect(page.locator("input[name=title]")).to_have_value("")
    expect(page.locator("#draft-note")).to_be_hidden()

    # The lead routes it from the inbox.
    page.context.clear_cookies()
    browser_sign_in(page, lead)
    page.get_by_role("link", name="Insights", exact=True).click()
    page.get_by_role("link", name="Refund status is invisible").click()
    page.select_option("#transition select[name=to_status]", "routed")
    page.fill("#transition input[name=owner_team]", "Payments")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#status")).to_have_text("Routed")
    expect(page.locator("#history")).to_contain_text("Leo Lead routed it to Payments")

    page.get_by_role("link", name="Impact").click()
    expect(page.locator("html")).to_have_attribute("data-charts-drawn", "true")
    expect(page.locator("#funnel tfoot")).to_contain_text("1")
