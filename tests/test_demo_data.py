"""The demo company: believable, idempotent, and usable to sign in with."""

from collections import Counter

import pytest
from django.core.management import call_command

from rotations.directory.roles import Role
from rotations.directory.selectors import find_manager_cycles
from rotations.management.commands.load_demo_data import DEMO_PASSWORD, DEMO_SIGN_INS
from rotations.models import Department, Person


def role_count(role: Role) -> int:
    return Person.objects.filter(groups__name=role.value).count()


def test_it_builds_a_company_of_sixty_in_six_departments(demo):
    assert Person.objects.count() == 60
    assert Department.objects.count() == 6
    assert role_count(Role.EXECUTIVE) == 10
    assert role_count(Role.HR_ADMIN) + role_count(Role.SUPPORT_LEAD) == 4
    assert role_count(Role.FRONTLINE) == 30
    levels = Counter(Person.objects.values_list("level", flat=True))
    assert set(levels) == {"ic", "manager", "director", "vp", "c_level"}


def test_its_reporting_line_is_one_tree(demo):
    manager_of = dict(Person.objects.values_list("email", "manager__email"))
    assert [e for e, m in manager_of.items() if m is None] == ["olivia.hart@example.com"]
    assert find_manager_cycles(manager_of) == []


def test_it_is_idempotent(demo, capsys):
    before = sorted(Person.objects.values_list("email", "manager__email", "password"))
    call_command("load_demo_data")
    assert (
        "0 added, 0 updated, 60 unchanged; 0 new shifts, 0 new bookings, "
        "0 past visits with insights; 0 mentoring pairs; 0 programs."
    ) in capsys.readouterr().out
    assert sorted(Person.objects.values_list("email", "manager__email", "password")) == before


@pytest.mark.parametrize(("role", "email"), DEMO_SIGN_INS)
def test_every_printed_demo_sign_in_works(demo, client, role, email):
    response = client.post(
        "/accounts/login/", {"login": email, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1] == ("/", 302)
    assert f"<li>{role}</li>" in response.content.decode()


def test_it_has_queues_with_shifts_buddies_and_bookings(demo):
    from rotations.models import Booking, Queue, Shift

    assert Queue.objects.count() == 4
    assert all(q.leads.exists() for q in Queue.objects.all())
    assert Shift.objects.filter(buddy__isnull=False).count() == Shift.objects.count() > 30
    assert Booking.objects.filter(status="confirmed").count() == 4


def test_it_has_last_quarters_insights_at_every_stage_and_mails_nobody_about_them(demo):
    from rotations.models import Insight, InsightNotice, OutgoingEmail

    statuses = set(Insight.objects.values_list("status", flat=True))
    assert statuses == {"new", "acknowledged", "routed", "actioned", "shipped", "declined"}
    from_shifts = Insight.objects.filter(booking__isnull=False).select_related("booking")
    assert all(i.booking.status == "attended" and i.buddy_id for i in from_shifts)
    assert all(i.created_at > i.booking.ends_at for i in from_shifts)
    assert not InsightNotice.objects.exists()
    assert not OutgoingEmail.objects.filter(kind="insight_update").exists()


def test_its_dashboard_and_inbox_open_for_the_demo_sign_ins(demo, client):
    from rotations.models import Person

    for email, path in [
        ("priya.raman@example.com", "/insights/impact/"),
        ("marcus.reid@example.com", "/insights/"),
    ]:
        client.force_login(Person.objects.get(email=email))
        response = client.get(path)
        assert response.status_code == 200, path
    assert "Refund status is invisible to customers" in response.content.decode()


def test_it_has_a_mentoring_cycle_under_way_and_the_next_one_asking(demo, client):
    from rotations.models import Insight, MentoringCycle, OutgoingEmail, Person

    current = MentoringCycle.objects.get(status="published")
    pairings = list(current.pairings.select_related("mentee", "mentor"))
    assert len(pairings) >= 5
    statuses = {s.status for p in pairings for s in p.sessions.all()}
    assert statuses == {"held", "missed", "scheduled"}
    # The CEO, the COO and the VP of customer experience have every agent in their own
    # reporting line: HR sees them unmatched, with that reason.
    unmatched = {u["name"]: u["reasons"][0] for u in current.match_runs.first().unmatched}
    assert unmatched["Olivia Hart"] == "every eligible mentor is in their reporting line"
    assert Insight.objects.filter(session__pairing__cycle=current).exists()
    assert not OutgoingEmail.objects.filter(pairing__cycle=current).exists()
    assert MentoringCycle.objects.filter(status="open").exists()

    client.force_login(Person.objects.get(email="sofia.alvarez@example.com"))
    page = client.get("/mentoring/").content.decode()
    assert "You mentor" in page and "Answer the invitation" in page
    client.force_login(Person.objects.get(email="priya.raman@example.com"))
    assert client.get(f"/mentoring/cycles/{current.pk}/").status_code == 200


def test_its_programs_show_each_executive_their_requirement_and_hr_the_compliance(demo, client):
    import csv
    import io

    from rotations.models import Person, Program
    from rotations.programs.selectors import standings, summary

    quarter = Program.objects.get(name__startswith="Leaders")
    rows = standings(quarter)
    assert len(rows) == 10  # every VP and C-level leader
    counts = summary(rows)
    assert sum(counts.values()) == 10 and counts["not_started"] < 10
    client.force_login(Person.objects.get(email="olivia.hart@example.com"))
    card = (
        client.get("/")
        .content.decode()
        .split(f'id="program-{quarter.pk}"')[1]
        .split("</article>")[0]
    )
    assert "2 shifts in at least 2 different queues" in card
    client.force_login(Person.objects.get(email="priya.raman@example.com"))
    assert client.get(f"/programs/{quarter.pk}/").status_code == 200
    exported = list(
        csv.DictReader(
            io.StringIO(client.get(f"/programs/{quarter.pk}/compliance.csv").content.decode())
        )
    )
    assert len(exported) == 10
