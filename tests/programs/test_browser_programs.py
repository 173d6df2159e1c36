"""In real Chromium: HR runs a program's auto-scheduler from compliance to booked seats,
and a mentoring cycle from a mentor's answer to a moved session."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone

from rotations.directory.roles import Role
from rotations.mentoring.services import profile_save
from rotations.mentoring.tasks import run_cycle_matching
from rotations.models import (
    Booking,
    MentoringCycle,
    MentoringTopic,
    Pairing,
    PlanStatus,
    Program,
    SchedulePlan,
)
from rotations.programs.services import make_plan
from tests.factories import DepartmentFactory, PersonFactory, QueueFactory, ShiftFactory
from tests.helpers import browser_sign_in, day_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_plans_reviews_and_publishes_a_programs_seats(page):
    from playwright.sync_api import expect

    hr = PersonFactory(email="hana.hr@example.com", full_name="Hana HR", roles=[Role.HR_ADMIN])
    execs = [
        PersonFactory(
            email=f"vp{i}@example.com",
            full_name=name,
            level="vp",
            roles=[Role.EXECUTIVE],
            time_zone="America/Toronto",
        )
        for i, name in enumerate(["Ava Vp", "Ben Vp"])
    ]
    queues = [
        QueueFactory(
            name=n, time_zone="America/Toronto", min_notice_hours=1, booking_window_days=90
        )
        for n in ("Billing chat", "Phones")
    ]
    for days in range(3, 10):
        for queue in queues:
            ShiftFactory(
                queue=queue, starts_at=day_at(days, 10), ends_at=day_at(days, 13), capacity=1
            )
    today = timezone.localdate()
    program = Program.objects.create(
        name="VPs this quarter",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=40),
        deadline=today + timedelta(days=20),
        levels=["vp"],
        required_amount=2,
        min_distinct=2,
        created_by=hr,
    )
    program.queues.set(queues)

    browser_sign_in(page, hr)
    page.get_by_role("link", name="Programs").click()
    page.get_by_role("link", name="VPs this quarter").click()
    expect(page.locator("#count-not_started")).to_have_text("2")
    # The chart is drawn in the page from the same numbers.
    page.wait_for_function("() => document.getElementById('compliance-chart').chart !== undefined")
    assert page.evaluate(
        "document.getElementById('compliance-chart').chart.data.datasets[0].data"
    ) == [0, 0, 0, 2]

    page.get_by_role("button", name="Make a plan").click()
    expect(page.locator("[aria-busy=true]")).to_contain_text("refreshes by itself")
    make_plan(SchedulePlan.objects.get(program=program))  # what the worker does meanwhile
    # The page refreshes by itself and shows the plan.
    expect(page.get_by_role("button", name="Book 4 seats and send the invites")).to_be_visible(
        timeout=10_000
    )
    lines = page.locator("#plan-lines tbody tr")
    expect(lines).to_have_count(4)
    lines.first.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("button", name="Book 3 seats and send the invites")).to_be_visible()
    page.get_by_role("button", name="Book 3 seats and send the invites").click()
    expect(page.get_by_text("Published: 3 shifts booked")).to_be_visible()
    assert SchedulePlan.objects.get(program=program).status == PlanStatus.PUBLISHED
    assert Booking.objects.filter(person__in=execs, booked_by=hr).count() == 3

    # A participant sees where they stand on their home page.
    page.context.clear_cookies()
    browser_sign_in(page, execs[1])
    card = page.locator(f"#program-{program.pk}")
    expect(card).to_contain_text("2 shifts in at least 2 different queues")
    expect(card).to_contain_text(re.compile(r"Booked: [12] shift"))


def test_a_mentor_answers_hr_publishes_and_the_executive_moves_a_session(page):
    from playwright.sync_api import expect

    support = DepartmentFactory(name="Support")
    hr = PersonFactory(email="hana.hr@example.com", full_name="Hana HR", roles=[Role.HR_ADMIN])
    vp = PersonFactory(
        email="vera.vp@example.com",
        full_name="Vera Vp",
        level="vp",
        roles=[Role.EXECUTIVE],
        time_zone="America/Toronto",
        location="Toronto",
    )
    mentor = PersonFactory(
        email="mo.agent@example.com",
        full_name="Mo Agent",
        level="ic",
        department=support,
        title="Support agent",
        time_zone="America/Toronto",
        location="Ottawa",
        roles=[Role.FRONTLINE],
    )
    billing = MentoringTopic.objects.create(name="Billing")
    today = timezone.localdate()
    cycle = MentoringCycle.objects.create(
        name="Spring mentoring",
        starts_on=today + timedelta(days=1),
        ends_on=today + timedelta(days=90),
        session_weekday=1,
        session_time=time(10),
        mentee_levels=["vp"],
        mentor_levels=["ic"],
        created_by=hr,
    )
    profile_save(
        cycle=cycle,
        person=vp,
        role="mentee",
        topics=[billing],
        languages="English",
        about="",
        opted_in=True,
    )

    browser_sign_in(page, mentor)
    page.get_by_role("link", name="Mentoring", exact=True).click()
    page.get_by_role("button", name="Answer the invitation").click()
    page.get_by_label("Yes, I'd like to mentor").check()
    page.get_by_label("Billing").check()
    page.fill("input[name=languages]", "English")
    page.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_text("your answer is saved")).to_be_visible()

    page.context.clear_cookies()
    browser_sign_in(page, hr)
    page.goto(f"/mentoring/cycles/{cycle.pk}/")
    page.get_by_role("button", name="Run the matcher").click()
    expect(page.locator("#match-status")).to_contain_text("refreshes by itself")
    run_cycle_matching(cycle.match_runs.get().pk)  # what the worker does meanwhile
    assert cycle.match_runs.get().status == "optimal", cycle.match_runs.get().error
    expect(page.locator("#match-status")).to_contain_text("1 new pair proposed", timeout=10_000)
    expect(page.locator("#proposals")).to_contain_text("shares 1 of 1 topics: Billing")
    page.get_by_role("button", name=re.compile("Publish 1 pair")).click()
    expect(page.get_by_text("1 pairs published")).to_be_visible()
    pairing = Pairing.objects.get(mentee=vp)
    first = pairing.sessions.first()

    page.context.clear_cookies()
    browser_sign_in(page, vp)
    expect(page.locator("#mentoring")).to_contain_text("with Mo Agent")
    page.locator("#mentoring a").first.click()
    page.locator("#sessions").get_by_role("link", name="Move").first.click()
    new_day = timezone.localtime(first.starts_at).date() + timedelta(days=1)
    page.fill("input[name=starts_at]", f"{new_day:%Y-%m-%d}T15:30")
    page.get_by_role("button", name="Move it").click()
    expect(page.get_by_text("Session moved")).to_be_visible()
    expect(page.locator("#sessions")).to_contain_text("moved from")
    first.refresh_from_db()
    local = timezone.localtime(first.starts_at, vp.zone)
    assert (local.date(), local.hour, local.minute) == (new_day, 15, 30)
