"""Reverse mentoring from the directory to the calendar: eligibility, matching under the
hard rules, HR's review, published series (expanded by recurring-ical-events and by a
real Radicale), moved sessions, ended pairings and re-matching the people left over."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from rotations.insights.selectors import visible_insights
from rotations.insights.services import InsightRefused, insight_log_for_session
from rotations.mentoring.selectors import eligible_mentors, responses
from rotations.mentoring.services import (
    MentoringRefused,
    cycle_close,
    cycle_publish,
    pairing_end,
    pairing_remove,
    pairing_swap,
    profile_save,
    run_matching,
    session_mark,
    session_reschedule,
)
from rotations.models import (
    CycleStatus,
    EmailKind,
    Insight,
    MentoringCycle,
    OutgoingEmail,
    Pairing,
    PairingStatus,
    SessionStatus,
)
from tests.factories import PersonFactory
from tests.helpers import deliver_all
from tests.mentoring.dates import ADA_SESSIONS, NEW_YORK, NOW

LONDON = ZoneInfo("Europe/London")
INSIGHT_FIELDS = {
    "title": "Agents retype the customer's address three times",
    "what_happened": "The CRM and the billing tool do not share addresses.",
    "category": "tooling",
    "severity": "medium",
}


def pairs(cycle, status=PairingStatus.PROPOSED) -> set[tuple[str, str]]:
    return {(p.mentee.full_name, p.mentor.full_name) for p in cycle.pairings.filter(status=status)}


def calendar_part(raw: bytes) -> bytes:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_payload(decode=True)


def text_of(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


def expand(ics: bytes) -> list[datetime]:
    found = recurring_ical_events.of(icalendar.Calendar.from_ical(ics)).between(
        datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    )
    return sorted(event["DTSTART"].dt for event in found)


# --- who takes part ---------------------------------------------------------------------


def test_mentors_are_chosen_by_level_tenure_and_title_and_hr_sees_who_has_not_answered(org):
    cycle = org["cycle"]
    eligible = set(eligible_mentors(cycle).values_list("full_name", flat=True))
    # Nora joined a month ago (six are asked for); Sam's title is not an agent's.
    assert eligible == {"Ivy Inline", "Nia Agent", "Leo Agent", "Quinn Quiet"}
    answers = responses(cycle)
    assert [p.full_name for p in answers.not_answered] == ["Quinn Quiet"]
    assert {p.person.full_name for p in answers.opted_in} == {
        "Ivy Inline",
        "Nia Agent",
        "Leo Agent",
    }
    assert (answers.mentees_with_profile, answers.mentees) == (2, 2)


# --- matching ----------------------------------------------------------------------------


def test_the_matcher_keeps_every_hard_rule_and_says_why(org):
    cycle, hr = org["cycle"], org["hr"]
    run = run_matching(cycle=cycle, by=hr)
    # Ivy would share both of Ada's topics, but she sits three levels under Ada; Leo is
    # five hours from New York; so Ada gets Nia, and Ben (London) gets Leo.
    assert pairs(cycle) == {("Ada VP", "Nia Agent"), ("Ben VP", "Leo Agent")}
    assert run.status == "optimal" and run.unmatched == []
    ada = cycle.pairings.get(mentee=org["exec_a"])
    details = " ".join(r["detail"] for r in ada.reasons)
    assert "shares 1 of 2 topics: Billing" in details and "both speak english" in details
    assert ada.score == pytest.approx(sum(r["contribution"] for r in ada.reasons))
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.PROPOSED


def test_unmatched_executives_are_listed_with_the_reason(org):
    cycle, hr = org["cycle"], org["hr"]
    profile_save(
        cycle=cycle,
        person=org["agent_ny"],
        role="mentor",
        topics=[],
        languages="",
        about="",
        opted_in=False,
    )
    run = run_matching(cycle=cycle, by=hr)
    assert pairs(cycle) == {("Ben VP", "Leo Agent")}
    [ada] = run.unmatched
    assert ada["name"] == "Ada VP"
    assert "reporting line" in " ".join(ada["reasons"])


def test_a_pair_from_an_earlier_cycle_is_never_repeated(org):
    cycle, hr = org["cycle"], org["hr"]
    earlier = MentoringCycle.objects.create(
        name="Autumn 2026", starts_on=date(2026, 9, 1), ends_on=date(2026, 11, 30)
    )
    Pairing.objects.create(
        cycle=earlier,
        mentee=org["exec_a"],
        mentor=org["agent_ny"],
        status=PairingStatus.ENDED,
        ended_at=NOW - timedelta(days=60),
    )
    run = run_matching(cycle=cycle, by=hr)
    assert pairs(cycle) == {("Ben VP", "Leo Agent")}
    assert "earlier cycle" in " ".join(run.unmatched[0]["reasons"])


def test_hr_swaps_only_into_pairs_that_keep_the_hard_rules(org):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    ada, ben = cycle.pairings.get(mentee=org["exec_a"]), cycle.pairings.get(mentee=org["exec_b"])
    with pytest.raises(MentoringRefused, match="time zones too far apart"):
        pairing_swap(first=ada, second=ben)
    assert pairs(cycle) == {("Ada VP", "Nia Agent"), ("Ben VP", "Leo Agent")}

    cycle.max_tz_difference_hours = 6
    cycle.save()
    a, b = pairing_swap(first=ada, second=ben)
    assert pairs(cycle) == {("Ada VP", "Leo Agent"), ("Ben VP", "Nia Agent")}
    assert a.score == pytest.approx(sum(r["contribution"] for r in a.reasons))


def test_removing_a_proposal_leaves_the_executive_for_the_next_run(org):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    pairing_remove(pairing=cycle.pairings.get(mentee=org["exec_b"]))
    assert pairs(cycle) == {("Ada VP", "Nia Agent")}
    run_matching(cycle=cycle, by=hr)
    assert pairs(cycle) == {("Ada VP", "Nia Agent"), ("Ben VP", "Leo Agent")}


# --- publishing: the series ----------------------------------------------------------------


def test_publishing_emails_both_sides_a_series_that_real_clients_expand_to_the_sessions(
    org, smtp_settings
):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    assert cycle_publish(cycle=cycle, by=hr) == 2
    ada = Pairing.objects.get(mentee=org["exec_a"])
    assert ada.status == PairingStatus.ACTIVE and ada.sequence == 0
    assert [s.starts_at.astimezone(NEW_YORK) for s in ada.sessions.all()] == ADA_SESSIONS
    # The same wall-clock hour is 15:00 UTC before the change and 14:00 after it.
    assert [s.starts_at.astimezone(UTC).hour for s in ada.sessions.all()] == [
        15,
        15,
        15,
        14,
        14,
        14,
        14,
    ]

    deliver_all()
    received = smtp_settings.wait_for(4)
    by_recipient = {tuple(item.rcpt_tos): item for item in received}
    assert set(by_recipient) == {
        (p.email,) for p in (org["exec_a"], org["agent_ny"], org["exec_b"], org["agent_london"])
    }
    ics = calendar_part(by_recipient[(org["agent_ny"].email,)].raw)
    assert b"METHOD:REQUEST" in ics and b"RRULE:FREQ=WEEKLY;UNTIL=" in ics and b"INTERVAL=2" in ics
    assert [d.astimezone(NEW_YORK) for d in expand(ics)] == ADA_SESSIONS
    text = text_of(by_recipient[(org["agent_ny"].email,)])
    assert "You will mentor Ada VP" in text

    from tests.caldav import RadicaleServer, without_method

    with RadicaleServer() as server:
        server.make_calendar("mentoring")
        assert server.put("mentoring", "series.ics", without_method(ics)).status in (201, 204)
        for start in ADA_SESSIONS:
            assert server.events_between("mentoring", start, start + timedelta(minutes=45)) == [
                "series.ics"
            ]
            # Nothing an hour early: the server puts each occurrence at 10:00 New York.
            assert server.events_between("mentoring", start - timedelta(hours=1), start) == []


def test_moving_one_session_updates_that_occurrence_only(org, smtp_settings):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    cycle_publish(cycle=cycle, by=hr)
    ada = Pairing.objects.get(mentee=org["exec_a"])
    third = ada.sessions.all()[2]
    moved_to = datetime(2027, 3, 4, 14, 30, tzinfo=NEW_YORK)
    session_reschedule(session=third, starts_at=moved_to, by=org["agent_ny"])
    ada.refresh_from_db()
    assert ada.sequence == 1

    deliver_all()
    updates = [r for r in smtp_settings.wait_for(6) if b"SEQUENCE:1" in calendar_part(r.raw)]
    assert {tuple(r.rcpt_tos) for r in updates} == {
        (org["exec_a"].email,),
        (org["agent_ny"].email,),
    }
    ics = calendar_part(updates[0].raw)
    assert b"RECURRENCE-ID;TZID=America/New_York:20270302T100000" in ics
    expected = sorted([d for d in ADA_SESSIONS if d != ADA_SESSIONS[2]] + [moved_to])
    assert [d.astimezone(NEW_YORK) for d in expand(ics)] == expected

    from tests.caldav import RadicaleServer, without_method

    with RadicaleServer() as server:
        server.make_calendar("mentoring")
        assert server.put("mentoring", "series.ics", without_method(ics)).status in (201, 204)
        assert server.events_between("mentoring", moved_to, moved_to + timedelta(minutes=45)) == [
            "series.ics"
        ]
        assert (
            server.events_between(
                "mentoring", ADA_SESSIONS[2], ADA_SESSIONS[2] + timedelta(minutes=45)
            )
            == []
        )


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (datetime(2027, 1, 19, 10, tzinfo=NEW_YORK), "in the future"),
        (datetime(2027, 6, 1, 10, tzinfo=NEW_YORK), "before the cycle ends"),
        (ADA_SESSIONS[3] + timedelta(minutes=15), "Another session"),
    ],
)
def test_a_session_cannot_move_into_the_past_past_the_cycle_or_onto_another(org, when, message):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    cycle_publish(cycle=cycle, by=hr)
    session = Pairing.objects.get(mentee=org["exec_a"]).sessions.all()[2]
    with pytest.raises(MentoringRefused, match=message):
        session_reschedule(session=session, starts_at=when, by=org["exec_a"])


def test_only_the_pair_or_hr_moves_or_ends_it(org):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    cycle_publish(cycle=cycle, by=hr)
    ada = Pairing.objects.get(mentee=org["exec_a"])
    with pytest.raises(MentoringRefused, match="Only the two people"):
        session_reschedule(
            session=ada.sessions.all()[1],
            starts_at=ADA_SESSIONS[1] + timedelta(days=1),
            by=org["agent_london"],
        )
    with pytest.raises(MentoringRefused, match="Only the two people"):
        pairing_end(pairing=ada, by=org["exec_b"], reason="Not mine")


def test_ending_a_pairing_stops_the_series_keeps_held_sessions_tells_hr_and_leaves_the_rest_alone(
    org, smtp_settings
):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    cycle_publish(cycle=cycle, by=hr)
    ada, ben = Pairing.objects.get(mentee=org["exec_a"]), Pairing.objects.get(mentee=org["exec_b"])
    deliver_all()
    smtp_settings.wait_for(4)

    org["clock"].move_to(ADA_SESSIONS[1] + timedelta(hours=2))
    with pytest.raises(MentoringRefused, match="Say why"):
        pairing_end(pairing=ada, by=org["agent_ny"], reason="  ")
    pairing_end(pairing=ada, by=org["agent_ny"], reason="I am moving to the product team.")
    ada.refresh_from_db()
    assert ada.status == PairingStatus.ENDED and ada.sequence == 1
    states = [s.status for s in ada.sessions.all()]
    assert states[:2] == [SessionStatus.SCHEDULED] * 2 and set(states[2:]) == {
        SessionStatus.CANCELLED
    }

    deliver_all()
    received = smtp_settings.wait_for(7)[4:]
    # Two sessions were held: they stay in both calendars; the series now stops here.
    ends = [r for r in received if r.rcpt_tos != [hr.email]]
    assert {tuple(r.rcpt_tos) for r in ends} == {(org["exec_a"].email,), (org["agent_ny"].email,)}
    ics = calendar_part(ends[0].raw)
    assert b"METHOD:REQUEST" in ics and b"SEQUENCE:1" in ics
    assert [d.astimezone(NEW_YORK) for d in expand(ics)] == ADA_SESSIONS[:2]
    assert str(ends[0].message["Subject"]).startswith("Ended: reverse mentoring")
    [to_hr] = [r for r in received if r.rcpt_tos == [hr.email]]
    assert "I am moving to the product team." in text_of(to_hr)

    # A new mentor for Ada: re-running pairs only the people left over.
    newcomer = PersonFactory(
        full_name="Max Mentor",
        level="ic",
        manager=org["director"],
        title="Support agent",
        location="Boston",
        time_zone="America/New_York",
        hired_on=date(2018, 1, 1),
    )
    profile_save(
        cycle=cycle,
        person=newcomer,
        role="mentor",
        topics=[],
        languages="English",
        about="",
        opted_in=True,
    )
    before = OutgoingEmail.objects.filter(pairing=ben).count()
    run = run_matching(cycle=cycle, by=hr)
    assert run.kept == 1 and run.proposed == 1
    # Nia and Ada were paired this cycle; that pairing ended, so Ada gets Max.
    assert pairs(cycle) == {("Ada VP", "Max Mentor")}
    ben.refresh_from_db()
    assert (ben.status, ben.sequence, ben.mentor_id) == (
        PairingStatus.ACTIVE,
        0,
        org["agent_london"].pk,
    )
    cycle_publish(cycle=cycle, by=hr)
    assert OutgoingEmail.objects.filter(pairing=ben).count() == before
    new = Pairing.objects.get(mentee=org["exec_a"], status=PairingStatus.ACTIVE)
    # The new series starts after today, on the cycle's rhythm.
    assert new.sessions.first().starts_at > ADA_SESSIONS[1]


def test_a_mentor_who_opts_out_leaves_their_pairing_and_hr_is_told(org):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    cycle_publish(cycle=cycle, by=hr)
    profile_save(
        cycle=cycle,
        person=org["agent_london"],
        role="mentor",
        topics=[],
        languages="",
        about="",
        opted_in=False,
    )
    ben = Pairing.objects.get(mentee=org["exec_b"])
    assert ben.status == PairingStatus.ENDED and "opted out" in ben.end_reason
    assert OutgoingEmail.objects.filter(
        pairing=ben, kind=EmailKind.PAIRING_ENDED, to_email=hr.email
    ).exists()


# --- the session log ---------------------------------------------------------------------------


def test_sessions_are_marked_after_they_start_and_insights_follow_a_held_one(org):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    cycle_publish(cycle=cycle, by=hr)
    ada = Pairing.objects.get(mentee=org["exec_a"])
    first = ada.sessions.first()
    with pytest.raises(MentoringRefused, match="once it has started"):
        session_mark(session=first, status="held", by=org["agent_ny"])

    org["clock"].move_to(ADA_SESSIONS[0] + timedelta(minutes=50))
    with pytest.raises(InsightRefused, match="marked as held"):
        insight_log_for_session(session=first, author=org["exec_a"], fields=INSIGHT_FIELDS, tags=[])
    first = session_mark(session=first, status="held", by=org["agent_ny"])
    with pytest.raises(InsightRefused, match="Only the executive"):
        insight_log_for_session(
            session=first, author=org["agent_ny"], fields=INSIGHT_FIELDS, tags=[]
        )
    insight = insight_log_for_session(
        session=first, author=org["exec_a"], fields=INSIGHT_FIELDS, tags=["crm"]
    )

    assert insight.session == first and insight.buddy == org["agent_ny"] and insight.queue is None
    assert set(insight.followers.values_list("person__full_name", "reason")) == {
        ("Ada VP", "author"),
        ("Nia Agent", "mentor"),
    }
    # The mentor sees it; another front-line employee does not.
    assert visible_insights(org["agent_ny"]).filter(pk=insight.pk).exists()
    assert not visible_insights(org["agent_london"]).filter(pk=insight.pk).exists()
    assert Insight.objects.filter(session__pairing=ada).count() == 1


def test_the_schedule_of_a_published_cycle_cannot_change_under_its_series(org, client):
    from rotations.mentoring.services import cycle_update

    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    cycle_update(cycle=cycle, session_minutes=60)  # nothing published yet: fine
    cycle_publish(cycle=cycle, by=hr)
    with pytest.raises(MentoringRefused, match="can no longer change"):
        cycle_update(cycle=cycle, session_minutes=90)
    cycle_update(cycle=cycle, weight_language=2.0)  # the matching rules may change
    client.force_login(hr)
    form = client.get(f"/mentoring/cycles/{cycle.pk}/edit/").context["form"]
    assert form.fields["session_minutes"].disabled and not form.fields["weight_language"].disabled


def test_an_ended_cycle_stops_asking_and_takes_no_answers(org):
    from rotations.mentoring.selectors import cycles_asking

    cycle = org["cycle"]
    assert [c for c, _, _ in cycles_asking(org["silent"])] == [cycle]
    org["clock"].move_to(datetime(2027, 5, 2, 12, tzinfo=UTC))
    assert cycles_asking(org["silent"]) == []
    with pytest.raises(MentoringRefused, match="has ended"):
        profile_save(
            cycle=cycle,
            person=org["silent"],
            role="mentor",
            topics=[],
            languages="",
            about="",
            opted_in=True,
        )
    with pytest.raises(MentoringRefused, match="has ended"):
        run_matching(cycle=cycle, by=org["hr"])


def test_hr_closes_a_cycle_early_and_both_calendars_of_every_pair_hear_of_it(org, smtp_settings):
    from rotations.mentoring.selectors import cycles_asking

    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    cycle_publish(cycle=cycle, by=hr)
    ada, ben = Pairing.objects.get(mentee=org["exec_a"]), Pairing.objects.get(mentee=org["exec_b"])
    deliver_all()
    smtp_settings.wait_for(4)
    org["clock"].move_to(ADA_SESSIONS[1] + timedelta(hours=2))  # two of Ada's sessions held
    with pytest.raises(MentoringRefused, match="Say why"):
        cycle_close(cycle=cycle, by=hr, reason=" ")

    assert (
        cycle_close(cycle=cycle, by=hr, reason="The program is paused for the reorganisation.") == 2
    )
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.CLOSED
    for pairing in (ada, ben):
        pairing.refresh_from_db()
        assert pairing.status == PairingStatus.ENDED and pairing.sequence == 1
        assert (
            pairing.end_reason
            == "The cycle was closed: The program is paused for the reorganisation."
        )
        later = set(
            pairing.sessions.filter(starts_at__gt=ADA_SESSIONS[1] + timedelta(hours=2)).values_list(
                "status", flat=True
            )
        )
        assert later == {SessionStatus.CANCELLED}

    deliver_all()
    received = smtp_settings.wait_for(8)[4:]
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(
        p.email for p in (org["exec_a"], org["agent_ny"], org["exec_b"], org["agent_london"])
    )  # both sides of both pairs, and nothing to HR, who closed it
    ada_mail = next(r for r in received if r.rcpt_tos == [org["exec_a"].email])
    assert [d.astimezone(NEW_YORK) for d in expand(calendar_part(ada_mail.raw))] == ADA_SESSIONS[:2]
    assert "paused for the reorganisation" in text_of(ada_mail)

    # Closed: no more answers, matching, publishing or closing again.
    assert cycles_asking(org["silent"]) == []
    with pytest.raises(MentoringRefused, match="closed"):
        profile_save(
            cycle=cycle,
            person=org["silent"],
            role="mentor",
            topics=[],
            languages="",
            about="",
            opted_in=True,
        )
    with pytest.raises(MentoringRefused, match="closed"):
        run_matching(cycle=cycle, by=hr)
    with pytest.raises(MentoringRefused, match="closed already"):
        cycle_close(cycle=cycle, by=hr, reason="again")


def test_a_cycle_that_has_ended_is_not_closed_and_a_late_end_never_grows_the_series(org):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    cycle_publish(cycle=cycle, by=hr)
    ada = Pairing.objects.get(mentee=org["exec_a"])
    until_before = ada.rrule
    org["clock"].move_to(datetime(2027, 5, 10, 12, tzinfo=UTC))  # weeks after the cycle's end
    with pytest.raises(MentoringRefused, match="has ended already"):
        cycle_close(cycle=cycle, by=hr, reason="Tidying up.")
    # Ending the pair now sends the series as it was: no sessions after the cycle's end.
    pairing_end(pairing=ada, by=hr, reason="Tidying up.")
    ada.refresh_from_db()
    assert ada.rrule == until_before and ada.status == PairingStatus.ENDED


def test_a_matcher_answer_arriving_after_the_close_writes_nothing(org, monkeypatch):
    from rotations.mentoring import services as mentoring
    from rotations.models import MatchRun

    cycle, hr = org["cycle"], org["hr"]
    run = MatchRun.objects.create(cycle=cycle, run_by=hr, status="running")
    real_match = mentoring.solver.match

    def close_meanwhile(*args, **kwargs):
        result = real_match(*args, **kwargs)
        cycle_close(cycle=cycle, by=hr, reason="Cancelled by the board.")
        return result

    monkeypatch.setattr(mentoring.solver, "match", close_meanwhile)
    returned = run_matching(cycle=cycle, by=hr, run=run)
    assert returned.status == "failed" and returned.error == "The cycle was closed."
    assert not cycle.pairings.exists()


def test_publishing_drops_proposals_that_no_longer_keep_the_rules(org):
    cycle, hr = org["cycle"], org["hr"]
    run_matching(cycle=cycle, by=hr)
    # Since the proposal, Ben and Leo turn out to have been paired in an earlier cycle.
    earlier = MentoringCycle.objects.create(
        name="Autumn 2026", starts_on=date(2026, 9, 1), ends_on=date(2026, 11, 30)
    )
    Pairing.objects.create(
        cycle=earlier,
        mentee=org["exec_b"],
        mentor=org["agent_london"],
        status=PairingStatus.ENDED,
        ended_at=NOW - timedelta(days=60),
    )
    assert cycle_publish(cycle=cycle, by=hr) == 1
    assert pairs(cycle, PairingStatus.ACTIVE) == {("Ada VP", "Nia Agent")}
    assert not cycle.pairings.filter(mentee=org["exec_b"]).exists()


@pytest.mark.django_db
def test_the_cycle_services_own_the_rules_whatever_door_asks():
    """cycle_create once saved whatever it was given; it and cycle_update now check
    every rule themselves (the page's form only parses)."""
    from django.core.exceptions import ValidationError

    from rotations.mentoring.services import cycle_create, cycle_update
    from rotations.models import MentoringCycle

    hr = PersonFactory(roles=["HR admin"])
    good = dict(
        name="Spring",
        starts_on=date(2027, 4, 1),
        ends_on=date(2027, 6, 30),
        mentee_levels=["vp"],
        mentor_levels=["ic"],
    )
    with pytest.raises(TypeError, match="unknown cycle settings: \\['status'\\]"):
        cycle_create(by=hr, status="closed", **good)
    with pytest.raises(ValidationError) as refused:
        cycle_create(
            by=hr,
            **{**good, "ends_on": date(2027, 3, 1), "mentor_levels": ["vp"], "mentor_capacity": 0},
        )
    assert refused.value.message_dict == {
        "ends_on": ["The cycle must end after it starts."],
        "mentor_levels": ["A level cannot be both mentees and mentors."],
    }
    assert not MentoringCycle.objects.exists()
    cycle = cycle_create(by=hr, **good)
    with pytest.raises(ValidationError, match="weight above zero"):
        cycle_update(
            cycle=cycle,
            weight_topic_overlap=0,
            weight_language=0,
            weight_different_department=0,
            weight_different_location=0,
        )
    cycle.refresh_from_db()
    assert cycle.weight_topic_overlap > 0
