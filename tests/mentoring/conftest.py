"""The mentoring tests' company and its clock, for the service tests and the page tests."""

from datetime import date, time

import pytest
import time_machine

from rotations.mentoring.services import profile_save
from rotations.models import MentoringCycle, MentoringTopic
from tests.factories import DepartmentFactory, PersonFactory
from tests.mentoring.dates import NOW


@pytest.fixture
def clock():
    # Ticking: a real worker and mail server may be waited for while it runs.
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def org(db, clock):
    """A small company: two VPs under a CEO; a support director's agents in New York and
    London; and an agent deep inside one VP's own reporting line."""
    sales, product, support = (DepartmentFactory(name=n) for n in ("Sales", "Product", "Support"))
    hr = PersonFactory(full_name="Hana HR", roles=["HR admin"])
    ceo = PersonFactory(full_name="Cleo CEO", level="c_level", department=sales)
    exec_a = PersonFactory(
        full_name="Ada VP",
        level="vp",
        manager=ceo,
        department=sales,
        location="New York",
        time_zone="America/New_York",
        roles=["Executive"],
    )
    exec_b = PersonFactory(
        full_name="Ben VP",
        level="vp",
        manager=ceo,
        department=product,
        location="London",
        time_zone="Europe/London",
        roles=["Executive"],
    )
    # Three levels under Ada: never her mentor, however well they would score.
    lead = PersonFactory(
        full_name="Lou Lead",
        level="manager",
        manager=exec_a,
        department=support,
        location="New York",
        time_zone="America/New_York",
    )
    senior = PersonFactory(
        full_name="Sam Senior",
        level="ic",
        manager=lead,
        department=support,
        location="New York",
        time_zone="America/New_York",
    )
    in_line = PersonFactory(
        full_name="Ivy Inline",
        level="ic",
        manager=senior,
        department=support,
        location="New York",
        time_zone="America/New_York",
        title="Support agent",
        hired_on=date(2020, 1, 1),
    )
    director = PersonFactory(
        full_name="Dee Director", level="director", manager=ceo, department=support
    )
    agent_ny = PersonFactory(
        full_name="Nia Agent",
        level="ic",
        manager=director,
        department=support,
        location="Toronto",
        time_zone="America/Toronto",
        title="Support agent",
        hired_on=date(2021, 6, 1),
        roles=["Front-line employee"],
    )
    agent_london = PersonFactory(
        full_name="Leo Agent",
        level="ic",
        manager=director,
        department=support,
        location="Manchester",
        time_zone="Europe/London",
        title="Support agent",
        hired_on=date(2022, 3, 1),
        roles=["Front-line employee"],
    )
    silent = PersonFactory(
        full_name="Quinn Quiet",
        level="ic",
        manager=director,
        department=support,
        title="Support agent",
        hired_on=date(2019, 1, 1),
    )
    newcomer = PersonFactory(
        full_name="Nora New",
        level="ic",
        manager=director,
        department=support,
        title="Support agent",
        hired_on=date(2026, 12, 1),
    )
    topics = {
        n: MentoringTopic.objects.create(name=n)
        for n in ("Billing", "Refunds", "Onboarding", "Churn")
    }
    cycle = MentoringCycle.objects.create(
        name="Spring 2027",
        starts_on=date(2027, 2, 1),
        ends_on=date(2027, 4, 30),
        cadence_weeks=2,
        session_minutes=45,
        session_weekday=1,
        session_time=time(10, 0),
        mentee_levels=["vp"],
        mentor_levels=["ic"],
        mentor_min_tenure_months=6,
        mentor_title_contains="agent",
        mentor_capacity=1,
        max_tz_difference_hours=3,
        created_by=hr,
    )
    for person, chosen in ((exec_a, ["Billing", "Refunds"]), (exec_b, ["Churn"])):
        profile_save(
            cycle=cycle,
            person=person,
            role="mentee",
            topics=[topics[t] for t in chosen],
            languages="English",
            about="",
            opted_in=True,
        )
    for person, chosen, langs in (
        (in_line, ["Billing", "Refunds"], "English"),
        (agent_ny, ["Billing"], "English, French"),
        (agent_london, ["Churn", "Onboarding"], "English"),
    ):
        profile_save(
            cycle=cycle,
            person=person,
            role="mentor",
            topics=[topics[t] for t in chosen],
            languages=langs,
            about="",
            opted_in=True,
        )
    return locals()
