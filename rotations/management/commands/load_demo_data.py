"""Build a believable demo company: 60 people in 6 departments with a real reporting tree.

Idempotent: run it again and the same people are updated, not duplicated. It goes
through the same CSV import as HR does, so the demo exercises the real code path.
"""

from __future__ import annotations

import csv
import io
from datetime import time, timedelta
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from rotations.directory.services import directory_import
from rotations.insights.services import insight_log, insight_log_for_session, insight_transition
from rotations.mentoring.services import cycle_publish, profile_save, run_matching, session_mark
from rotations.models import (
    Booking,
    BookingStatus,
    Insight,
    InsightNotice,
    MentoringCycle,
    MentoringSession,
    MentoringTopic,
    OutgoingEmail,
    Person,
    Program,
    Queue,
    SessionStatus,
    Shift,
)
from rotations.shifts.services.booking import Actor, BookingRefused, booking_create
from rotations.shifts.services.patterns import shift_pattern_create

DEMO_PASSWORD = "frontline-demo"
DOMAIN = "example.com"

# (name, title, department, level, manager name, location, time zone, roles)
_E = "Executive"
_HR = "HR admin"
_L = "Support lead"
_F = "Front-line employee"

LEADERSHIP = [
    (
        "Olivia Hart",
        "Chief Executive Officer",
        "Executive",
        "C-level",
        None,
        "Toronto",
        "America/Toronto",
        [_E],
    ),
    (
        "Daniel Okafor",
        "Chief Operating Officer",
        "Executive",
        "C-level",
        "Olivia Hart",
        "Toronto",
        "America/Toronto",
        [_E],
    ),
    (
        "Mei Lin",
        "Chief Financial Officer",
        "Executive",
        "C-level",
        "Olivia Hart",
        "New York",
        "America/New_York",
        [_E],
    ),
    (
        "Rafael Costa",
        "Chief Technology Officer",
        "Engineering",
        "C-level",
        "Olivia Hart",
        "Berlin",
        "Europe/Berlin",
        [_E],
    ),
    (
        "Hannah Weiss",
        "Chief Product Officer",
        "Product",
        "C-level",
        "Olivia Hart",
        "London",
        "Europe/London",
        [_E],
    ),
    (
        "James Whitfield",
        "Chief Revenue Officer",
        "Sales",
        "C-level",
        "Olivia Hart",
        "Austin",
        "America/Chicago",
        [_E],
    ),
    (
        "Aisha Bello",
        "VP Customer Experience",
        "Customer Support",
        "VP",
        "Daniel Okafor",
        "Toronto",
        "America/Toronto",
        [_E],
    ),
    (
        "Tomás Rivera",
        "VP Engineering",
        "Engineering",
        "VP",
        "Rafael Costa",
        "Lisbon",
        "Europe/Lisbon",
        [_E],
    ),
    (
        "Grace Kim",
        "VP Sales",
        "Sales",
        "VP",
        "James Whitfield",
        "San Francisco",
        "America/Los_Angeles",
        [_E],
    ),
    (
        "Oliver Bennett",
        "VP Product",
        "Product",
        "VP",
        "Hannah Weiss",
        "London",
        "Europe/London",
        [_E],
    ),
    # HR admins and support leads
    (
        "Priya Raman",
        "Director of People",
        "People",
        "Director",
        "Daniel Okafor",
        "Toronto",
        "America/Toronto",
        [_HR],
    ),
    (
        "Noah Fischer",
        "People Operations Partner",
        "People",
        "IC",
        "Priya Raman",
        "Berlin",
        "Europe/Berlin",
        [_HR],
    ),
    (
        "Elena Petrova",
        "Director of Customer Support",
        "Customer Support",
        "Director",
        "Aisha Bello",
        "Toronto",
        "America/Toronto",
        [],
    ),
    (
        "Marcus Reid",
        "Support Team Lead, Americas",
        "Customer Support",
        "Manager",
        "Elena Petrova",
        "Austin",
        "America/Chicago",
        [_L],
    ),
    (
        "Fatima Zahra",
        "Support Team Lead, EMEA & APAC",
        "Customer Support",
        "Manager",
        "Elena Petrova",
        "Dublin",
        "Europe/Dublin",
        [_L],
    ),
    # Everyone else outside support
    (
        "Lukas Becker",
        "Director of Engineering",
        "Engineering",
        "Director",
        "Tomás Rivera",
        "Berlin",
        "Europe/Berlin",
        [],
    ),
    (
        "Chloé Martin",
        "Senior Software Engineer",
        "Engineering",
        "IC",
        "Lukas Becker",
        "Paris",
        "Europe/Paris",
        [],
    ),
    (
        "Arjun Mehta",
        "Software Engineer",
        "Engineering",
        "IC",
        "Lukas Becker",
        "Bengaluru",
        "Asia/Kolkata",
        [],
    ),
    (
        "Zoe Campbell",
        "Site Reliability Engineer",
        "Engineering",
        "IC",
        "Lukas Becker",
        "Edinburgh",
        "Europe/London",
        [],
    ),
    (
        "Kenji Watanabe",
        "Software Engineer",
        "Engineering",
        "IC",
        "Lukas Becker",
        "Tokyo",
        "Asia/Tokyo",
        [],
    ),
    (
        "Isabel Santos",
        "QA Engineer",
        "Engineering",
        "IC",
        "Lukas Becker",
        "Lisbon",
        "Europe/Lisbon",
        [],
    ),
    (
        "Ben Carter",
        "Product Manager, Billing",
        "Product",
        "IC",
        "Oliver Bennett",
        "London",
        "Europe/London",
        [],
    ),
    (
        "Leila Haddad",
        "Product Manager, Mobile",
        "Product",
        "IC",
        "Oliver Bennett",
        "Toronto",
        "America/Toronto",
        [],
    ),
    (
        "Sven Lindqvist",
        "Product Designer",
        "Product",
        "IC",
        "Oliver Bennett",
        "Stockholm",
        "Europe/Stockholm",
        [],
    ),
    (
        "Rachel Adler",
        "Sales Manager",
        "Sales",
        "Manager",
        "Grace Kim",
        "San Francisco",
        "America/Los_Angeles",
        [],
    ),
    (
        "Diego Morales",
        "Account Executive",
        "Sales",
        "IC",
        "Rachel Adler",
        "Mexico City",
        "America/Mexico_City",
        [],
    ),
    (
        "Emily Chen",
        "Account Executive",
        "Sales",
        "IC",
        "Rachel Adler",
        "Vancouver",
        "America/Vancouver",
        [],
    ),
    (
        "Samuel Osei",
        "Account Executive",
        "Sales",
        "IC",
        "Rachel Adler",
        "New York",
        "America/New_York",
        [],
    ),
    (
        "Laura Novak",
        "Financial Controller",
        "Executive",
        "Manager",
        "Mei Lin",
        "New York",
        "America/New_York",
        [],
    ),
    (
        "Victor Dubois",
        "Financial Analyst",
        "Executive",
        "IC",
        "Laura Novak",
        "Montreal",
        "America/Toronto",
        [],
    ),
]

AGENTS_AMERICAS = [
    ("Sofia Alvarez", "Austin", "America/Chicago"),
    ("Liam O'Connor", "Toronto", "America/Toronto"),
    ("Ava Thompson", "Denver", "America/Denver"),
    ("Mateo Rossi", "Austin", "America/Chicago"),
    ("Nia Johnson", "Atlanta", "America/New_York"),
    ("Ethan Park", "Seattle", "America/Los_Angeles"),
    ("Camila Torres", "Bogotá", "America/Bogota"),
    ("Lucas Silva", "São Paulo", "America/Sao_Paulo"),
    ("Maya Patel", "Toronto", "America/Toronto"),
    ("Owen Murphy", "Halifax", "America/Halifax"),
    ("Isla Brooks", "Phoenix", "America/Phoenix"),
    ("Jamal Carter", "Chicago", "America/Chicago"),
    ("Valentina Cruz", "Mexico City", "America/Mexico_City"),
    ("Noor Aziz", "Toronto", "America/Toronto"),
    ("Caleb Wright", "Austin", "America/Chicago"),
]
AGENTS_EMEA_APAC = [
    ("Amara Nwosu", "Dublin", "Europe/Dublin"),
    ("Jonas Keller", "Berlin", "Europe/Berlin"),
    ("Freya Olsen", "Copenhagen", "Europe/Copenhagen"),
    ("Luca Bianchi", "Milan", "Europe/Rome"),
    ("Sara Haddad", "Dublin", "Europe/Dublin"),
    ("Tom Evans", "Cardiff", "Europe/London"),
    ("Ines Moreau", "Paris", "Europe/Paris"),
    ("Piotr Nowak", "Warsaw", "Europe/Warsaw"),
    ("Hana Sato", "Tokyo", "Asia/Tokyo"),
    ("Rizal Santos", "Manila", "Asia/Manila"),
    ("Ana Reyes", "Manila", "Asia/Manila"),
    ("Wei Zhang", "Singapore", "Asia/Singapore"),
    ("Priya Nair", "Bengaluru", "Asia/Kolkata"),
    ("Jack Wilson", "Sydney", "Australia/Sydney"),
    ("Emma Hughes", "Dublin", "Europe/Dublin"),
]


def email_for(name: str) -> str:
    ascii_name = name.lower().replace("'", "").replace("é", "e").replace("á", "a").replace("ó", "o")
    return ".".join(ascii_name.split()) + "@" + DOMAIN


def demo_rows() -> list[tuple]:
    rows = list(LEADERSHIP)
    for lead, agents in (("Marcus Reid", AGENTS_AMERICAS), ("Fatima Zahra", AGENTS_EMEA_APAC)):
        for name, location, zone in agents:
            rows.append(
                (
                    name,
                    "Customer Support Specialist",
                    "Customer Support",
                    "IC",
                    lead,
                    location,
                    zone,
                    [_F],
                )
            )
    return rows


def demo_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "employee_id",
            "email",
            "name",
            "department",
            "level",
            "manager_email",
            "location",
            "time_zone",
            "title",
            "roles",
        ]
    )
    for n, (name, title, dept, level, manager, location, zone, roles) in enumerate(demo_rows()):
        writer.writerow(
            [
                f"E-{1001 + n}",
                email_for(name),
                name,
                dept,
                level,
                email_for(manager) if manager else "",
                location,
                zone,
                title,
                ";".join(roles),
            ]
        )
    return out.getvalue()


# The accounts the README and the run command name, one per role.
DEMO_SIGN_INS = [
    ("Executive", email_for("Olivia Hart")),
    ("HR admin", email_for("Priya Raman")),
    ("Support lead", email_for("Marcus Reid")),
    ("Front-line employee", email_for("Sofia Alvarez")),
]


DEMO_QUEUES = [
    # name, channel, team, zone, lead, buddies, weekly rule, start, end, brief
    (
        "Billing chat",
        "chat",
        "Billing",
        "America/Chicago",
        "Marcus Reid",
        ["Sofia Alvarez", "Mateo Rossi"],
        "FREQ=WEEKLY;BYDAY=TU,TH",
        time(9),
        time(13),
        "Answer billing chats side by side with your buddy: refunds, plan changes, failed cards.",
    ),
    (
        "Phone support, Americas",
        "phone",
        "Tier 1",
        "America/Toronto",
        "Marcus Reid",
        ["Liam O'Connor", "Maya Patel"],
        "FREQ=WEEKLY;BYDAY=MO,WE",
        time(10),
        time(14),
        "Listen in on calls, then take the next one with your buddy beside you.",
    ),
    (
        "Email, EMEA",
        "email",
        "Tier 1",
        "Europe/Dublin",
        "Fatima Zahra",
        ["Amara Nwosu", "Sara Haddad"],
        "FREQ=WEEKLY;BYDAY=TU,WE,TH",
        time(9),
        time(12),
        "Work the inbox with an agent: triage, answer, escalate.",
    ),
    (
        "Social, APAC",
        "social",
        "Community",
        "Asia/Manila",
        "Fatima Zahra",
        ["Rizal Santos", "Ana Reyes"],
        "FREQ=WEEKLY;BYDAY=MO,FR",
        time(9),
        time(12),
        "Reply to customers on social channels; see what people say in public.",
    ),
]


def load_demo_shifts() -> tuple[int, int]:
    """Queues with eight weeks of shifts, and a few executives already booked."""
    today = timezone.localdate()
    people = {p.full_name: p for p in Person.objects.filter(email__endswith="@" + DOMAIN)}
    created_shifts = 0
    for name, channel, team, zone, lead, buddies, rule, start, end, brief in DEMO_QUEUES:
        queue, _ = Queue.objects.get_or_create(
            name=name,
            defaults={
                "channel": channel,
                "team": team,
                "time_zone": zone,
                "opens_at": start,
                "closes_at": end,
                "visitor_capacity": 2,
                "brief": brief,
                "booking_window_days": 90,
                "min_notice_hours": 24,
            },
        )
        queue.leads.add(people[lead])
        if queue.patterns.exists():
            continue
        for i, buddy in enumerate(buddies):
            # Two patterns a queue, a week apart, so each buddy hosts every other week.
            until = today + timedelta(weeks=8)
            _, count = shift_pattern_create(
                queue=queue,
                rrule=f"{rule};INTERVAL=2;UNTIL={until:%Y%m%d}T235959",
                starts_on=today + timedelta(days=1 + 7 * i),
                start_time=start,
                end_time=end,
                capacity=2,
                buddy=people[buddy],
            )
            created_shifts += count
    booked = 0
    if not Booking.objects.exists():
        executives = [people[n] for n in ("Olivia Hart", "Daniel Okafor", "Mei Lin", "Grace Kim")]
        shifts = list(
            Shift.objects.filter(starts_at__gt=timezone.now() + timedelta(days=2)).order_by(
                "starts_at"
            )
        )
        for executive, shift in zip(executives, shifts[::5], strict=False):
            try:
                booking_create(shift=shift, person=executive, by=Actor(person=executive))
                booked += 1
            except BookingRefused:
                pass
    return created_shifts, booked


# What executives saw last quarter: (executive, queue, weeks ago, title, what happened,
# customer's words, category, severity, tags, life so far as (status, extra) steps).
DEMO_INSIGHTS: list[tuple[Any, ...]] = [
    (
        "Olivia Hart",
        "Billing chat",
        10,
        "Refund status is invisible to customers",
        "Three chats in an hour asked where their refund was; agents checked two tools to answer.",
        "I just want to know if my money is coming back.",
        "product",
        "high",
        ["refunds", "billing"],
        [
            ("acknowledged", {}),
            ("routed", {"owner_team": "Payments"}),
            ("actioned", {}),
            ("shipped", {}),
        ],
    ),
    (
        "Daniel Okafor",
        "Phone support, Americas",
        9,
        "Callers repeat their account number three times",
        "The IVR asks for it, the agent asks again, the transfer asks a third time.",
        "Why do you keep asking me the same thing?",
        "process",
        "medium",
        ["ivr", "transfers"],
        [("acknowledged", {}), ("routed", {"owner_team": "Telephony"})],
    ),
    (
        "Mei Lin",
        "Billing chat",
        8,
        "Failed card emails do not say which card",
        "Customers with two cards on file cannot tell which one failed.",
        "",
        "product",
        "medium",
        ["billing", "email"],
        [("acknowledged", {})],
    ),
    (
        "Grace Kim",
        "Email, EMEA",
        7,
        "Macros for VAT questions are out of date",
        "Agents rewrite the VAT macro by hand since the March rule change.",
        "",
        "tooling",
        "low",
        ["macros", "tax"],
        [("acknowledged", {}), ("actioned", {})],
    ),
    (
        "Aisha Bello",
        "Social, APAC",
        6,
        "Outage posts answered before the status page updates",
        "Agents on social learn of incidents from customers before the status page changes.",
        "Is it down or is it me?",
        "process",
        "high",
        ["incidents", "status-page"],
        [("routed", {"owner_team": "Site reliability"}), ("shipped", {})],
    ),
    (
        "Olivia Hart",
        "Phone support, Americas",
        5,
        "Cancellation policy read word for word",
        "Agents read the full policy because they fear a compliance breach; calls run long.",
        "",
        "policy",
        "low",
        ["cancellations"],
        [("declined", {"reason": "Legal require the wording this year; revisit in Q3."})],
    ),
    (
        "Hannah Weiss",
        "Billing chat",
        4,
        "Plan change screen hides the price difference",
        "Customers ask chat what they will pay after upgrading.",
        "What will I actually be charged?",
        "product",
        "medium",
        ["pricing", "billing"],
        [],
    ),
    (
        "Tomás Rivera",
        "Email, EMEA",
        3,
        "Attachments over 10 MB bounce silently",
        "Customers resend invoices three times; nobody tells them the limit.",
        "",
        "tooling",
        "high",
        ["email", "attachments"],
        [],
    ),
]


def load_demo_history() -> int:
    """Past visits with the insights they produced, at every stage of triage."""
    if Booking.objects.filter(status=BookingStatus.ATTENDED).exists():
        return 0
    people = {p.full_name: p for p in Person.objects.filter(email__endswith="@" + DOMAIN)}
    queues = {q.name: q for q in Queue.objects.prefetch_related("leads")}
    buddies = {row[0]: row[5] for row in DEMO_QUEUES}
    now = timezone.now()
    made = 0
    for (
        who,
        queue_name,
        weeks,
        title,
        happened,
        quote,
        category,
        severity,
        tags,
        steps,
    ) in DEMO_INSIGHTS:
        queue = queues[queue_name]
        start = (now - timedelta(weeks=weeks)).replace(hour=15, minute=0, second=0, microsecond=0)
        buddy = people[buddies[queue_name][weeks % 2]]
        # History is recorded as it happened, not booked now: written directly.
        shift = Shift.objects.create(
            queue=queue,
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            capacity=2,
            seats_taken=1,
            buddy=buddy,
        )
        booking = Booking.objects.create(
            shift=shift,
            person=people[who],
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            status=BookingStatus.ATTENDED,
            attendance_marked_by=buddy,
        )
        insight = insight_log(
            booking=booking,
            author=people[who],
            fields={
                "title": title,
                "what_happened": happened,
                "customer_quote": quote,
                "category": category,
                "severity": severity,
                "is_shared": weeks % 2 == 0,
            },
            tags=tags,
        )
        lead = queue.leads.all()[0]
        for status, extra in steps:
            insight_transition(insight=insight, actor=lead, to_status=status, **extra)
        logged = shift.ends_at + timedelta(hours=2)
        Insight.objects.filter(pk=insight.pk).update(created_at=logged)
        if insight.status != "new":
            Insight.objects.filter(pk=insight.pk).update(triaged_at=logged + timedelta(days=1))
        made += 1
    # Old news: nobody is mailed about last quarter's triage while the demo loads.
    InsightNotice.objects.all().delete()
    return made


def load_demo_programs() -> int:
    """Two programs over the demo directory: leaders' quarterly shifts, directors' hours."""
    if Program.objects.exists():
        return 0
    today = timezone.localdate()
    priya = Person.objects.get(email=email_for("Priya Raman"))
    quarter = Program.objects.create(
        name="Leaders on the front line, this quarter",
        description="Every VP and C-level leader sits two shifts next to an agent, in two different queues.",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=45),
        deadline=today + timedelta(days=30),
        levels=["vp", "c_level"],
        required_amount=2,
        min_distinct=2,
        distinct_by="queue",
        blackout_dates=[(today + timedelta(days=21)).isoformat()],
        nudge_days=[14, 7, 2],
        auto_schedule=True,
        created_by=priya,
    )
    quarter.queues.set(Queue.objects.all())
    hours = Program.objects.create(
        name="Directors' listening hours",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=150),
        deadline=today + timedelta(days=120),
        levels=["director"],
        required_amount=6,
        unit="hours",
        min_distinct=2,
        distinct_by="channel",
        nudge_days=[30, 7],
        created_by=priya,
    )
    hours.excluded.set(Person.objects.filter(email=email_for("Priya Raman")))
    return 2


MENTORING_TOPICS = [
    "Billing and invoices",
    "Refunds",
    "Onboarding new customers",
    "The mobile app",
    "Escalations",
    "Why customers cancel",
    "Accessibility",
    "Tone and empathy",
    "Our support tools",
    "Small-business owners",
]


def load_demo_mentoring() -> int:
    """A reverse-mentoring cycle published six weeks ago, with sessions held, missed and
    to come, and the next cycle asking mentors for their answer."""
    if MentoringCycle.objects.exists():
        return 0
    people = {p.full_name: p for p in Person.objects.filter(email__endswith="@" + DOMAIN)}
    topics = [MentoringTopic.objects.get_or_create(name=name)[0] for name in MENTORING_TOPICS]
    agents = [name for name, *_ in AGENTS_AMERICAS + AGENTS_EMEA_APAC]
    # Hired over the last seven years, counted back from today so that the demo tells the
    # same story whenever it is loaded; the two newest joined too recently to mentor.
    first_hired = timezone.localdate() - timedelta(days=2527)
    for index, name in enumerate(agents):
        hired = first_hired + timedelta(days=index * 70)
        Person.objects.filter(pk=people[name].pk).update(hired_on=hired)
    Person.objects.filter(pk__in=[people[n].pk for n in agents[-2:]]).update(
        hired_on=timezone.localdate() - timedelta(days=60)
    )
    today, now = timezone.localdate(), timezone.now()
    priya = people["Priya Raman"]
    rules = dict(
        cadence_weeks=2,
        session_minutes=45,
        session_weekday=1,
        session_time=time(10, 0),
        mentee_levels=["vp", "c_level"],
        mentor_levels=["ic"],
        mentor_min_tenure_months=6,
        mentor_title_contains="Support",
        mentor_capacity=1,
        max_tz_difference_hours=3,
        min_cross_location_percent=None,
        created_by=priya,
    )
    current = MentoringCycle.objects.create(
        name="Reverse mentoring, this quarter",
        starts_on=today - timedelta(days=49),
        ends_on=today + timedelta(days=56),
        **rules,
    )
    upcoming = MentoringCycle.objects.create(
        name="Reverse mentoring, next quarter",
        starts_on=today + timedelta(days=63),
        ends_on=today + timedelta(days=154),
        **{**rules, "forbid_same_department": True, "min_cross_location_percent": 40},
    )
    executives = [row[0] for row in LEADERSHIP if row[3] in ("VP", "C-level")]
    mentee_topics = {}
    for index, name in enumerate(executives):
        chosen = mentee_topics[name] = [topics[(index + k) % len(topics)] for k in (0, 3)]
        profile_save(
            cycle=current,
            person=people[name],
            role="mentee",
            topics=chosen,
            languages="English",
            about="",
            opted_in=True,
        )
    for index, name in enumerate(agents[:-2]):
        if index % 9 == 8:
            continue  # has not answered yet
        chosen = [topics[(index + k) % len(topics)] for k in (0, 1, 5)]
        if name == "Sofia Alvarez":
            # The demo's front-line sign-in mentors Grace Kim in every season: they share
            # every topic Grace asked for, so no change of the clocks elsewhere pairs
            # them differently.
            wanted = mentee_topics["Grace Kim"]
            chosen = [*wanted, *(topic for topic in chosen if topic not in wanted)]
        languages = "English, Spanish" if index % 4 == 0 else "English"
        profile_save(
            cycle=current,
            person=people[name],
            role="mentor",
            topics=chosen,
            languages=languages,
            about="",
            opted_in=index % 11 != 10,
        )
    run_matching(cycle=current, by=priya)
    cycle_publish(cycle=current, by=priya, now=now - timedelta(days=42))
    for session in MentoringSession.objects.filter(
        pairing__cycle=current, starts_at__lt=now
    ).select_related("pairing"):
        held = (session.pk % 5) != 0
        session_mark(
            session=session,
            status=SessionStatus.HELD if held else SessionStatus.MISSED,
            by=session.pairing.mentor,
        )
    first_held = (
        MentoringSession.objects.filter(pairing__cycle=current, status=SessionStatus.HELD)
        .select_related("pairing__mentee")
        .order_by("starts_at")
        .first()
    )
    if first_held is not None:
        insight_log_for_session(
            session=first_held,
            author=first_held.pairing.mentee,
            tags=["billing", "mentoring"],
            fields={
                "title": "Agents rebuild the customer's history by hand before every refund",
                "what_happened": "My mentor showed me the four tools she opens to see one customer's payments.",
                "customer_quote": "",
                "category": "tooling",
                "severity": "medium",
                "is_shared": True,
            },
        )
    # The calendars got these invites when the cycle was published: nothing to send now.
    OutgoingEmail.objects.filter(pairing__cycle=current).delete()
    profile_save(
        cycle=upcoming,
        person=people["Amara Nwosu"],
        role="mentor",
        topics=topics[:2],
        languages="English",
        about="",
        opted_in=True,
    )
    return current.pairings.count()


class Command(BaseCommand):
    help = "Load (or refresh) the demo company: 60 people, 6 departments, every role."

    def handle(self, *args, **options):
        with transaction.atomic():
            result = directory_import(data=demo_csv())
            if not result.ok:
                raise CommandError("; ".join(str(e) for e in result.errors))
            # One hash for all: hashing 60 times would take most of a minute, and a
            # demo password someone has since changed is left as they set it.
            Person.objects.filter(
                email__endswith="@" + DOMAIN, password__startswith=UNUSABLE_PASSWORD_PREFIX
            ).update(password=make_password(DEMO_PASSWORD))
        with transaction.atomic():
            shifts, booked = load_demo_shifts()
        with transaction.atomic():
            insights = load_demo_history()
        with transaction.atomic():
            pairs = load_demo_mentoring()
        with transaction.atomic():
            programs = load_demo_programs()
        self.stdout.write(
            f"Demo company ready: {result.created} added, {result.updated} updated, "
            f"{result.unchanged} unchanged; {shifts} new shifts, {booked} new bookings, "
            f"{insights} past visits with insights; {pairs} mentoring pairs; {programs} programs."
        )
        self.stdout.write(f"Demo sign-ins (password: {DEMO_PASSWORD}):")
        for role, email in DEMO_SIGN_INS:
            self.stdout.write(f"  {role:<20} {email}")
