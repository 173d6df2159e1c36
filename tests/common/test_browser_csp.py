"""In real Chromium, under the Content-Security-Policy: the pages that script or draw
still work, and the policy's listener (the ``page`` fixture fails any test whose pages
the policy blocked something on) does catch an inline script."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from rotations.models import Booking, BookingStatus, Person
from tests.factories import PASSWORD, QueueFactory, ShiftFactory
from tests.helpers import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_feed_address_is_selected_for_copying(page, executive):
    browser_sign_in(page, executive)
    page.goto("/account/calendar/")
    field = page.locator("#feed-url")
    field.click()
    selected = page.evaluate(
        "() => window.getSelection().toString() || (() => {"
        " const f = document.getElementById('feed-url');"
        " return f.value.slice(f.selectionStart, f.selectionEnd); })()"
    )
    assert selected.endswith(".ics")
    assert selected == field.input_value()


def test_the_two_factor_set_up_shows_its_qr_code(page, executive):
    browser_sign_in(page, executive)
    page.goto("/accounts/2fa/totp/activate/")
    page.fill("input[name=password]", PASSWORD)  # allauth asks again before changing 2FA
    page.get_by_role("button", name="Confirm").click()
    qr = page.locator("img[src^='data:']").first
    qr.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())


def test_the_coverage_heat_map_is_shaded_by_the_stylesheet(page, support_lead, executive):
    # No style attribute carries the shade (the policy allows none): the busiest week is
    # coloured from the stylesheet, an empty one is not.
    shift = ShiftFactory(
        queue=QueueFactory(name="Billing chat", leads=[support_lead]),
        starts_at=timezone.now() - timedelta(days=2),
    )
    Booking.objects.create(
        shift=shift,
        person=executive,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=BookingStatus.ATTENDED,
    )
    browser_sign_in(page, support_lead)
    page.goto("/insights/impact/")
    shade = "(td) => getComputedStyle(td).backgroundColor"
    busiest = page.locator(".heatmap td[data-heat='10']")
    empty = page.locator(".heatmap td[data-heat='0']").first
    assert busiest.count() == 1
    assert busiest.evaluate(shade) != empty.evaluate(shade)


def test_the_admin_works_under_the_policy(page):
    root = Person.objects.create_superuser("root@example.com", PASSWORD, full_name="Root Admin")
    EmailAddress.objects.create(user=root, email=root.email, verified=True, primary=True)
    browser_sign_in(page, root)
    page.goto("/admin/rotations/department/add/")
    page.get_by_role("heading", name="Add department").wait_for()
    page.goto("/admin/rotations/person/")
    page.get_by_role("heading", name="Select person to change").wait_for()
    assert page.csp_violations == []  # type: ignore[attr-defined]


def test_an_inline_script_is_blocked_and_reported(page, executive):
    browser_sign_in(page, executive)
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = true'; document.body.appendChild(s); }"
    )
    page.wait_for_function("() => true")
    assert page.evaluate("() => window.ran === undefined")
    page.wait_for_timeout(200)  # the report arrives through the exposed binding
    blocked = list(page.csp_violations)  # type: ignore[attr-defined]
    assert len(blocked) == 1 and blocked[0].startswith("script-src-elem blocked inline"), blocked
    page.csp_violations.clear()  # type: ignore[attr-defined]  # seen, so the fixture passes
