"""Reverse mentoring through the pages: HR's cycle, the mentor's answer, the pair's
sessions; clear messages for bad input; writes refused to the wrong people; and a fixed
number of queries however many pairs a cycle has."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from rotations.mentoring.services import cycle_publish, run_matching
from rotations.mentoring.tasks import run_cycle_matching
from rotations.models import (
    EmailKind,
    MentoringCycle,
    MentoringSession,
    OutgoingEmail,
    Pairing,
    PairingStatus,
    Person,
    SessionStatus,
)
from tests.factories import PersonFactory
from tests.helpers import count_page_queries
from tests.mentoring.dates import ADA_SESSIONS, NEW_YORK

CYCLE_FORM = {
    "name": "Summer 2027",
    "starts_on": "2027-06-01",
    "ends_on": "2027-08-31",
    "cadence_weeks": 2,
    "session_minutes": 45,
    "session_weekday": 1,
    "session_time": "10:00",
    "mentee_levels": ["vp"],
    "mentor_levels": ["ic"],
    "mentor_min_tenure_months": 0,
    "mentor_title_contains": "",
    "mentor_capacity": 1,
    "max_tz_difference_hours": 3,
    "weight_topic_overlap": 1,
    "weight_language": 0.5,
    "weight_different_department": 0.5,
    "weight_different_location": 0.5,
    "min_cross_location_percent": "",
}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.django_db
def test_hr_creates_a_cycle_and_bad_settings_get_clear_messages(client, org):
    client.force_login(org["hr"])
    bad = {
        **CYCLE_FORM,
        "ends_on": "2027-05-01",
        "mentor_levels": ["vp"],
        "weight_topic_overlap": 0,
        "weight_language": 0,
        "weight_different_department": 0,
        "weight_different_location": 0,
    }
    response = client.post("/mentoring/cycles/new/", bad)
    assert response.status_code == 400
    page = response.content.decode()
    for text in (
        "The cycle must end after it starts.",
        "A level cannot be both mentees and mentors.",
        "Give at least one soft criterion a weight above zero.",
    ):
        assert text in page
    garbage = {**CYCLE_FORM, "starts_on": "soon", "cadence_weeks": "-1", "mentor_capacity": "9"}
    assert client.post("/mentoring/cycles/new/", garbage).status_code == 400
    assert not MentoringCycle.objects.filter(name="Summer 2027").exists()

    response = client.post("/mentoring/cycles/new/", CYCLE_FORM, follow=True)
    cycle = MentoringCycle.objects.get(name="Summer 2027")
    assert response.redirect_chain[-1][0] == f"/mentoring/cycles/{cycle.pk}/"
    assert cycle.created_by == org["hr"] and cycle.mentee_levels == ["vp"]


@pytest.mark.django_db
def test_a_mentor_answers_the_invitation_on_their_page(client, org):
    cycle, quinn = org["cycle"], org["silent"]
    client.force_login(quinn)
    home = client.get("/mentoring/").content.decode()
    assert "Spring 2027" in home and "Answer the invitation" in home

    response = client.post(
        f"/mentoring/cycles/{cycle.pk}/profile/", {"opted_in": "yes", "languages": "English"}
    )
    assert response.status_code == 400
    assert "Choose at least one topic you could teach." in response.content.decode()

    billing = org["topics"]["Billing"]
    response = client.post(
        f"/mentoring/cycles/{cycle.pk}/profile/",
        {"opted_in": "yes", "topics": [billing.pk], "languages": "English, spanish"},
        follow=True,
    )
    assert "your answer is saved" in " ".join(messages_of(response))
    profile = quinn.mentoring_profiles.get(cycle=cycle)
    assert profile.opted_in is True and profile.language_set == {"english", "spanish"}
    # HR no longer sees Quinn among those who have not answered.
    client.force_login(org["hr"])
    assert (
        "Quinn Quiet"
        not in client.get(f"/mentoring/cycles/{cycle.pk}/")
        .content.decode()
        .split('id="not-answered"')[-1]
    )
    # Someone the cycle's rules leave out has no profile to fill.
    client.force_login(org["lead"])
    assert client.get(f"/mentoring/cycles/{cycle.pk}/profile/").status_code == 403


@pytest.mark.django_db
def test_hr_runs_the_matcher_reviews_swaps_removes_and_publishes(client, org):
    cycle = org["cycle"]
    client.force_login(org["hr"])
    response = client.post(f"/mentoring/cycles/{cycle.pk}/match/", follow=True)
    assert "The matcher is working" in " ".join(messages_of(response))
    assert 'http-equiv="refresh"' in response.content.decode()
    again = client.post(f"/mentoring/cycles/{cycle.pk}/match/", follow=True)
    assert "already working on this cycle" in " ".join(messages_of(again))
    run_cycle_matching(cycle.match_runs.get().pk)  # what the worker does
    page = client.get(f"/mentoring/cycles/{cycle.pk}/").content.decode()
    assert "the best pairing under your rules — 2 new pairs proposed" in page
    assert "Nia Agent" in page and "shares 1 of 2 topics: Billing" in page

    ada = cycle.pairings.get(mentee=org["exec_a"])
    ben = cycle.pairings.get(mentee=org["exec_b"])
    response = client.post(
        f"/mentoring/cycles/{cycle.pk}/swap/", {"first": ada.pk, "second": ben.pk}, follow=True
    )
    assert "time zones too far apart" in " ".join(messages_of(response))
    response = client.post(
        f"/mentoring/cycles/{cycle.pk}/swap/", {"first": ada.pk, "second": "nope"}, follow=True
    )
    assert "Choose two proposed pairs" in " ".join(messages_of(response))

    client.post(f"/mentoring/pairings/{ben.pk}/remove/")
    assert not Pairing.objects.filter(pk=ben.pk).exists()
    response = client.post(f"/mentoring/cycles/{cycle.pk}/publish/", follow=True)
    assert "1 pairs published" in " ".join(messages_of(response))
    ada.refresh_from_db()
    assert ada.status == PairingStatus.ACTIVE
    assert set(
        OutgoingEmail.objects.filter(pairing=ada, kind=EmailKind.MENTORING_INVITE).values_list(
            "to_email", "method"
        )
    ) == {
        (org["exec_a"].email, "REQUEST"),
        (org["agent_ny"].email, "REQUEST"),
    }
    # Publishing twice sends nothing twice.
    response = client.post(f"/mentoring/cycles/{cycle.pk}/publish/", follow=True)
    assert "no proposed pairs" in " ".join(messages_of(response))
    assert OutgoingEmail.objects.filter(pairing=ada).count() == 2


@pytest.fixture
def published(org):
    run_matching(cycle=org["cycle"], by=org["hr"])
    cycle_publish(cycle=org["cycle"], by=org["hr"])
    return Pairing.objects.get(mentee=org["exec_a"])


@pytest.mark.django_db
def test_the_pair_moves_a_session_and_bad_times_get_a_message(client, org, published):
    session = published.sessions.all()[2]
    client.force_login(org["exec_a"])
    url = f"/mentoring/sessions/{session.pk}/reschedule/"
    assert client.get(url).status_code == 200
    for value, message in (
        ("next tuesday", "Enter a valid date/time."),
        ("2027-01-01T10:00", "Choose a time in the future."),
        ("2027-09-01T10:00", "Choose a time before the cycle ends."),
    ):
        response = client.post(url, {"starts_at": value})
        assert response.status_code == 400 and message in response.content.decode(), value
    session.refresh_from_db()
    assert session.starts_at == ADA_SESSIONS[2]

    # Ada's time zone is New York: the time she types is New York time.
    org["exec_a"].time_zone = "America/New_York"
    response = client.post(url, {"starts_at": "2027-03-04T14:30"}, follow=True)
    assert "Session moved" in " ".join(messages_of(response))
    session.refresh_from_db()
    assert session.starts_at.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M") == "2027-03-04 14:30"
    assert "moved from" in client.get(f"/mentoring/pairings/{published.pk}/").content.decode()


@pytest.mark.django_db
def test_ending_needs_a_reason_and_marking_a_held_session_leads_to_the_insight_form(
    client, org, published
):
    client.force_login(org["agent_ny"])
    response = client.post(f"/mentoring/pairings/{published.pk}/end/", {"reason": ""}, follow=True)
    assert "Say why the pairing ends" in " ".join(messages_of(response))
    published.refresh_from_db()
    assert published.status == PairingStatus.ACTIVE

    org["clock"].move_to(ADA_SESSIONS[0] + timedelta(minutes=50))
    first = published.sessions.first()
    client.force_login(org["exec_a"])
    response = client.post(f"/mentoring/sessions/{first.pk}/mark/", {"status": "held"})
    assert (
        response.status_code == 302
        and response["Location"] == f"/mentoring/sessions/{first.pk}/insights/new/"
    )
    response = client.post(
        response["Location"],
        {
            "title": "Refund policy confuses agents",
            "what_happened": "x",
            "category": "policy",
            "severity": "high",
            "tags": "refunds",
        },
    )
    assert response.status_code == 302
    assert first.insights.get().buddy == org["agent_ny"]
    response = client.post(
        f"/mentoring/sessions/{first.pk}/mark/", {"status": "bogus"}, follow=True
    )
    assert "Mark a session as held or missed." in " ".join(messages_of(response))
    later = published.sessions.all()[3]
    response = client.post(
        f"/mentoring/sessions/{later.pk}/mark/", {"status": "missed"}, follow=True
    )
    assert "once it has started" in " ".join(messages_of(response))
    later.refresh_from_db()
    assert later.status == SessionStatus.SCHEDULED


@pytest.mark.django_db
def test_writes_are_refused_to_everyone_the_rule_leaves_out(client, org, published):
    cycle, session = org["cycle"], published.sessions.first()
    ben = Pairing.objects.get(mentee=org["exec_b"])
    for person in (org["exec_a"], org["agent_ny"], org["lead"]):
        client.force_login(person)
        for path in (
            f"/mentoring/cycles/{cycle.pk}/match/",
            f"/mentoring/cycles/{cycle.pk}/publish/",
            f"/mentoring/cycles/{cycle.pk}/swap/",
            f"/mentoring/pairings/{published.pk}/remove/",
        ):
            assert client.post(path).status_code == 403, (person, path)
    # Another pair's executive, mentor, or a manager: the pairing does not exist for them.
    for person in (org["exec_b"], org["agent_london"], org["lead"]):
        client.force_login(person)
        assert (
            client.post(f"/mentoring/pairings/{published.pk}/end/", {"reason": "x"}).status_code
            == 404
        )
        assert (
            client.post(f"/mentoring/sessions/{session.pk}/mark/", {"status": "held"}).status_code
            == 404
        )
        assert (
            client.post(
                f"/mentoring/sessions/{session.pk}/reschedule/", {"starts_at": "2027-03-04T10:00"}
            ).status_code
            == 404
        )
    published.refresh_from_db()
    assert published.status == PairingStatus.ACTIVE and ben.status == PairingStatus.ACTIVE


@pytest.mark.django_db
def test_hr_closes_a_cycle_from_its_page_and_no_one_else_can(client, org, published):
    cycle = org["cycle"]
    url = f"/mentoring/cycles/{cycle.pk}/close/"
    for person in (org["exec_a"], org["agent_ny"], org["lead"]):
        client.force_login(person)
        assert client.post(url, {"reason": "x"}).status_code == 403, person
    client.force_login(org["hr"])
    page = client.get(f"/mentoring/cycles/{cycle.pk}/").content.decode()
    assert f'action="{url}"' in page
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Say why the cycle closes" in " ".join(messages_of(response))
    response = client.post(url, {"reason": "Budget freeze."}, follow=True)
    assert "The cycle is closed. 2 running pairs ended" in " ".join(messages_of(response))
    body = response.content.decode()
    assert "· Closed</p>" in body and f'action="{url}"' not in body
    published.refresh_from_db()
    assert published.status == PairingStatus.ENDED
    response = client.post(url, {"reason": "Again."}, follow=True)
    assert "This cycle is closed already." in " ".join(messages_of(response))


def _grow(cycle, extra: int) -> None:
    """``extra`` more published pairs with sessions, some held, in the cycle."""
    mentors = Person.objects.bulk_create(
        Person(email=f"m{cycle.pk}-{i}@example.com", full_name=f"Mentor {i}", level="ic")
        for i in range(extra)
    )
    mentees = Person.objects.bulk_create(
        Person(email=f"e{cycle.pk}-{i}@example.com", full_name=f"Exec {i}", level="vp")
        for i in range(extra)
    )
    pairings = Pairing.objects.bulk_create(
        Pairing(cycle=cycle, mentee=e, mentor=m, status="active", time_zone="UTC")
        for e, m in zip(mentees, mentors, strict=True)
    )
    start = ADA_SESSIONS[0]
    MentoringSession.objects.bulk_create(
        MentoringSession(
            pairing=p,
            occurrence_at=start + timedelta(weeks=2 * k),
            starts_at=start + timedelta(weeks=2 * k),
            ends_at=start + timedelta(weeks=2 * k, minutes=45),
            status="held" if k == 0 else "scheduled",
        )
        for p in pairings
        for k in range(4)
    )


@pytest.mark.django_db
def test_the_cycle_page_and_mentoring_home_run_a_fixed_number_of_queries(client, org, published):
    cycle = org["cycle"]
    org["clock"].move_to(ADA_SESSIONS[1] + timedelta(hours=1))

    def count(path, person) -> int:
        client.force_login(person)
        client.get(path)  # the first page after signing in also reads the session's person once
        return count_page_queries(client, path)

    # HR's cycle page, and Nia's mentoring home.
    assert (
        count(f"/mentoring/cycles/{cycle.pk}/", org["hr"]),
        count("/mentoring/", org["agent_ny"]),
    ) == (8, 6)
    _grow(cycle, 40)
    more_sessions_for_nia = Pairing.objects.create(
        cycle=MentoringCycle.objects.create(
            name="Older", starts_on=date(2026, 1, 1), ends_on=date(2026, 3, 1), status="closed"
        ),
        mentee=PersonFactory(level="vp"),
        mentor=org["agent_ny"],
        status="ended",
        ended_at=ADA_SESSIONS[0],
    )
    MentoringSession.objects.create(
        pairing=more_sessions_for_nia,
        occurrence_at=ADA_SESSIONS[0],
        starts_at=ADA_SESSIONS[0],
        ends_at=ADA_SESSIONS[0] + timedelta(minutes=45),
    )
    assert (
        count(f"/mentoring/cycles/{cycle.pk}/", org["hr"]),
        count("/mentoring/", org["agent_ny"]),
    ) == (8, 6)
    page = client.get("/mentoring/").content.decode()
    assert "You mentor Ada VP" in page


@pytest.mark.django_db
def test_the_home_page_costs_the_same_however_many_cycles_and_programs_run(client, org, published):
    from rotations.models import Program

    def count(person) -> int:
        client.force_login(person)
        client.get("/")
        return count_page_queries(client, "/")

    def add_cycle_and_program(n: int) -> None:
        cycle = org["cycle"]
        MentoringCycle.objects.create(
            name=f"Extra {n}",
            starts_on=cycle.starts_on,
            ends_on=cycle.ends_on,
            mentee_levels=cycle.mentee_levels,
            mentor_levels=cycle.mentor_levels,
        )
        Program.objects.create(
            name=f"Program {n}",
            starts_on=cycle.starts_on,
            ends_on=cycle.ends_on,
            deadline=cycle.ends_on,
            levels=["vp"],
            required_amount=1,
        )

    # Ada, a mentee, and Nia, a mentor.
    add_cycle_and_program(0)
    assert (count(org["exec_a"]), count(org["agent_ny"])) == (18, 18)
    for n in range(1, 5):
        add_cycle_and_program(n)
    assert (count(org["exec_a"]), count(org["agent_ny"])) == (18, 18)
    page = client.get("/").content.decode()  # Nia, a mentor: asked by every new cycle
    assert all(f"Extra {n}" in page for n in range(5))


@pytest.mark.django_db
def test_home_asks_for_the_answer_and_shows_the_next_sessions(client, org, published):
    client.force_login(org["silent"])
    card = client.get("/").content.decode().split('id="mentoring"')[1]
    assert "Spring 2027</a>: would you mentor an executive?" in card
    client.force_login(org["exec_a"])
    card = client.get("/").content.decode().split('id="mentoring"')[1]
    assert "with Nia Agent" in card and f"/mentoring/pairings/{published.pk}/" in card
    # Someone with no cycle and no pairing gets no card.
    client.force_login(org["lead"])
    assert 'id="mentoring"' not in client.get("/").content.decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_each_series_invite_once_and_the_end_to_both_and_hr(
    client, org, smtp_server, broker_available, settings
):
    from tests.servers import CeleryWorker

    # A task per change: a shared task would start 2 s after the change by this test's
    # clock, which is months ahead of the worker's.
    settings.OUTBOX_BATCH_SECONDS = 0

    worker = CeleryWorker(
        env={"EMAIL_URL": smtp_server.url, "SITE_URL": "https://frontline.example.com"}
    ).start()
    try:
        client.force_login(org["hr"])
        client.post(f"/mentoring/cycles/{org['cycle'].pk}/match/")
        # The worker runs the matcher, then HR publishes.
        for _ in range(600):
            if not org["cycle"].match_runs.filter(status="running").exists():
                break
            time.sleep(0.1)
        assert org["cycle"].match_runs.get().status == "optimal"
        assert client.post(f"/mentoring/cycles/{org['cycle'].pk}/publish/").status_code == 302
        published = smtp_server.wait_for(4, timeout=60)
        ada = Pairing.objects.get(mentee=org["exec_a"])
        client.force_login(org["exec_a"])
        assert (
            client.post(
                f"/mentoring/pairings/{ada.pk}/end/", {"reason": "Moving to Singapore"}
            ).status_code
            == 302
        )
        received = smtp_server.wait_for(7, timeout=60)
        time.sleep(3)  # anything extra would arrive now (a task starts 2 s after a change)
    finally:
        worker.stop()
    assert len(smtp_server.received) == 7
    assert sorted(r.rcpt_tos[0] for r in published) == sorted(
        p.email for p in (org["exec_a"], org["agent_ny"], org["exec_b"], org["agent_london"])
    )
    subjects = {(r.rcpt_tos[0], str(r.message["Subject"])) for r in received[4:]}
    assert subjects == {
        (org["exec_a"].email, "Ended: reverse mentoring with Nia Agent"),
        (org["agent_ny"].email, "Ended: reverse mentoring with Ada VP"),
        (org["hr"].email, "Pairing ended: Nia Agent and Ada VP (Spring 2027)"),
    }
    assert OutgoingEmail.objects.filter(status="sent").count() == 7


@pytest.mark.django_db
def test_a_lost_or_failed_matcher_run_does_not_block_the_next(client, org):
    from rotations.mentoring.services import MentoringRefused, match_request
    from rotations.models import MatchRun

    cycle, hr = org["cycle"], org["hr"]
    lost = MatchRun.objects.create(cycle=cycle, run_by=hr)
    with pytest.raises(MentoringRefused, match="already working"):
        match_request(cycle=cycle, by=hr)
    MatchRun.objects.filter(pk=lost.pk).update(created_at=lost.created_at - timedelta(minutes=11))
    fresh = match_request(cycle=cycle, by=hr)
    lost.refresh_from_db()
    assert (lost.status, lost.error) == ("failed", "No answer from the worker.")
    # A run whose rules leave nobody to pair says so instead of running forever.
    cycle.mentee_levels = []
    cycle.save()
    run_cycle_matching(fresh.pk)
    fresh.refresh_from_db()
    assert fresh.status == "failed" and "No one in the directory" in fresh.error
    client.force_login(hr)
    assert (
        "failed: No one in the directory"
        in client.get(f"/mentoring/cycles/{cycle.pk}/").content.decode()
    )
