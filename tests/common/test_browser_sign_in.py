"""Demo accounts sign in through the real sign-in page in Chromium and see their home."""

from __future__ import annotations

import pytest

from rotations.management.commands.load_demo_data import DEMO_PASSWORD, DEMO_SIGN_INS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD = {
    "Executive": "#next-executive",
    "HR admin": "#next-hr",
    "Support lead": "#next-lead",
    "Front-line employee": "#next-frontline",
}


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.parametrize(("role", "email"), DEMO_SIGN_INS)
def test_each_demo_account_signs_in_and_sees_its_role_home(page, demo, role, email):
    from playwright.sync_api import expect

    from rotations.models import Person

    person = Person.objects.get(email=email)
    sign_in(page, email)
    expect(page.get_by_role("heading", name=f"Hello, {person.get_short_name()}")).to_be_visible()
    expect(page.get_by_label("Your roles")).to_contain_text(role)
    expect(page.locator(CARD[role])).to_be_visible()
    for other, selector in CARD.items():
        if other != role:
            expect(page.locator(selector)).to_have_count(0)


def test_hr_searches_the_directory_live_and_a_buddy_is_refused_it(page, demo):
    from playwright.sync_api import expect

    sign_in(page, "priya.raman@example.com")
    page.get_by_role("link", name="Directory").click()
    expect(page.locator("#people-rows")).to_contain_text("60 people")
    page.fill("input[name=q]", "zahra")
    expect(page.locator("#people-rows")).to_contain_text("1 person")
    expect(page.locator("#people-rows")).to_contain_text("Fatima Zahra")

    page.locator("summary", has_text="Priya").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(page.url.split("/accounts")[0] + "/accounts/login/")

    sign_in(page, "sofia.alvarez@example.com")
    response = page.goto("/people/")
    assert response.status == 403


def test_a_wrong_password_is_refused_on_the_page(page, demo):
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "olivia.hart@example.com")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(
        page.get_by_text("The email address and/or password you specified are not correct.")
    ).to_be_visible()
