"""The impact dashboard counts what happened: funnel, themes, coverage and timing, by
department and level, in the viewer's time zone; the same numbers as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rotations.insights.services import insight_log, insight_transition
from rotations.models import Booking, BookingStatus, Insight
from tests.factories import DepartmentFactory, PersonFactory, QueueFactory, ShiftFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NOW = dt.datetime(2027, 3, 20, 12, tzinfo=UTC)
FIELDS = {"what_happened": "x", "category": "product", "severity": "low"}


def visit(person, queue, day: dt.datetime, status=BookingStatus.ATTENDED):
    shift = ShiftFactory(queue=queue, starts_at=day, ends_at=day + dt.timedelta(hours=4))
    return Booking.objects.create(
        shift=shift, person=person, starts_at=shift.starts_at, ends_at=shift.ends_at, status=status
    )


@pytest.fixture
def data(hr_admin):
    sales, finance = DepartmentFactory(name="Sales"), DepartmentFactory(name="Finance")
    ann = PersonFactory(full_name="Ann", department=sales, level="vp", roles=["Executive"])
    bob = PersonFactory(full_name="Bob", department=finance, level="director", roles=["Executive"])
    chat, phone = QueueFactory(name="Chat"), QueueFactory(name="Phone")
    with time_machine.travel(dt.datetime(2027, 1, 5, 20, tzinfo=UTC), tick=False):
        a1 = visit(ann, chat, dt.datetime(2027, 1, 4, 14, tzinfo=UTC))
        visit(ann, phone, dt.datetime(2027, 1, 12, 14, tzinfo=UTC), status=BookingStatus.CONFIRMED)
        b1 = visit(bob, chat, dt.datetime(2027, 1, 5, 14, tzinfo=UTC))
        visit(bob, phone, dt.datetime(2027, 1, 6, 14, tzinfo=UTC), status=BookingStatus.NO_SHOW)
        visit(bob, phone, dt.datetime(2027, 1, 7, 14, tzinfo=UTC), status=BookingStatus.CANCELLED)
        first = insight_log(
            booking=a1, author=ann, fields={**FIELDS, "title": "One"}, tags=["billing"]
        )
        insight_log(
            booking=a1,
            author=ann,
            fields={**FIELDS, "title": "Two", "category": "tooling"},
            tags=["billing", "tools"],
        )
    with time_machine.travel(dt.datetime(2027, 2, 10, 9, tzinfo=UTC), tick=False):
        insight_log(
            booking=b1,
            author=bob,
            fields={**FIELDS, "title": "Three", "category": "policy"},
            tags=[],
        )
    with time_machine.travel(
        dt.datetime(2027, 1, 6, 8, tzinfo=UTC), tick=False
    ):  # 12 h after logging
        insight_transition(insight=first, actor=hr_admin, to_status="acknowledged")
        insight_transition(insight=first, actor=hr_admin, to_status="routed", owner_team="Payments")
    with time_machine.travel(dt.datetime(2027, 1, 15, 8, tzinfo=UTC), tick=False):  # 9.5 days after
        insight_transition(insight=first, actor=hr_admin, to_status="shipped")
    return {"sales": sales, "finance": finance}


def get(client, url, *, at=NOW):
    with time_machine.travel(at, tick=False):
        client.force_login(client.viewer)  # signed in "now", or the session has expired
        return client.get(url)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_funnel_by_department_and_level(client, hr_admin, data):
    client.viewer = hr_admin
    page = get(client, "/insights/impact/?start=2027-01-01&end=2027-03-20")
    board = page.context["board"]
    rows = {(r.department, r.level): [getattr(r, s) for s in r.STAGES] for r in board.funnel}
    # booked (not cancelled), attended, attended with an insight, insights, triaged, actioned, shipped
    assert rows == {
        ("Finance", "Director"): [2, 1, 1, 1, 0, 0, 0],
        ("Sales", "VP"): [2, 1, 1, 2, 1, 1, 1],
    }
    assert [getattr(board.total, s) for s in board.total.STAGES] == [4, 2, 2, 3, 1, 1, 1]
    assert csv_rows(get(client, "/insights/impact/funnel.csv?start=2027-01-01&end=2027-03-20"))[
        1:
    ] == [
        ["Finance", "Director", "2", "1", "1", "1", "0", "0", "0"],
        ["Sales", "VP", "2", "1", "1", "2", "1", "1", "1"],
        ["All", "", "4", "2", "2", "3", "1", "1", "1"],
    ]
    # Filtered to one department or one level.
    sales = get(
        client, f"/insights/impact/?start=2027-01-01&end=2027-03-20&department={data['sales'].pk}"
    )
    assert [r.department for r in sales.context["board"].funnel] == ["Sales"]
    directors = get(client, "/insights/impact/?start=2027-01-01&end=2027-03-20&level=director")
    assert directors.context["board"].total.insights == 1


def test_the_funnel_by_program(client, hr_admin, data):
    from rotations.models import Program, Queue

    # VPs, chat only, January: Ann's attended chat visit and its two insights count; her
    # phone booking and everything of Bob's (a director) do not.
    vps = Program.objects.create(
        name="VPs on chat",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 1, 31),
        deadline=dt.date(2027, 1, 20),
        levels=["vp"],
    )
    vps.queues.set(Queue.objects.filter(name="Chat"))
    Program.objects.create(
        name="Everyone, any queue",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 3, 31),
        deadline=dt.date(2027, 3, 1),
        levels=["vp", "director"],
    )
    Program.objects.create(
        name="Long ago",
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 3, 1),
        deadline=dt.date(2025, 2, 1),
        levels=["vp"],
    )
    client.viewer = hr_admin
    board = get(client, "/insights/impact/?start=2027-01-01&end=2027-03-20").context["board"]
    rows = {r.department: [getattr(r, s) for s in r.STAGES] for r in board.programs}
    assert rows == {
        "VPs on chat": [1, 1, 1, 2, 1, 1, 1],
        "Everyone, any queue": [4, 2, 2, 3, 1, 1, 1],
    }
    assert csv_rows(get(client, "/insights/impact/programs.csv?start=2027-01-01&end=2027-03-20"))[
        1:
    ] == [
        ["Everyone, any queue", "4", "2", "2", "3", "1", "1", "1"],
        ["VPs on chat", "1", "1", "1", "2", "1", "1", "1"],
    ]
    # Filtered to one program: every table counts only its visits and insights.
    one = get(
        client, f"/insights/impact/?start=2027-01-01&end=2027-03-20&program={vps.pk}"
    ).context["board"]
    assert [getattr(one.total, s) for s in one.total.STAGES] == [1, 1, 1, 2, 1, 1, 1]
    assert [r.department for r in one.programs] == ["VPs on chat"]


def test_themes_coverage_and_timing(client, hr_admin, data):
    client.viewer = hr_admin
    board = get(client, "/insights/impact/?start=2027-01-01&end=2027-03-20").context["board"]
    assert board.months == [dt.date(2027, 1, 1), dt.date(2027, 2, 1), dt.date(2027, 3, 1)]
    assert board.categories["Product"] == [1, 0, 0]
    assert board.categories["Tooling"] == [1, 0, 0]
    assert board.categories["Policy"] == [0, 1, 0]
    assert board.tags == {"billing": [2, 0, 0], "tools": [1, 0, 0]}
    coverage = dict(board.coverage)
    week = board.weeks.index(dt.date(2027, 1, 4))
    assert (
        coverage["Chat"][week] == 2 and coverage["Phone"][week] == 1
    )  # the cancelled visit does not count
    assert coverage["Phone"][week + 1] == 1
    january = board.timing[0]
    assert (january["logged"], january["triaged"], january["shipped"]) == (2, 1, 1)
    assert january["triage"] == [1, 0, 0, 0]  # under a day
    assert january["ship"] == [0, 0, 0, 1]  # one to four weeks
    assert csv_rows(get(client, "/insights/impact/coverage.csv?start=2027-01-01&end=2027-03-20"))[
        0
    ][:2] == ["queue", "2026-12-28"]


def test_a_bad_period_is_explained_and_the_default_half_year_shown(client, hr_admin, data):
    client.viewer = hr_admin
    response = get(client, "/insights/impact/?start=2027-03-01&end=2027-01-01")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert response.context["board"].period.end == dt.date(2027, 3, 20)


def test_the_numbers_are_reused_for_a_few_minutes(client, hr_admin, data, settings):
    settings.IMPACT_CACHE_SECONDS = 300
    client.viewer = hr_admin
    url = "/insights/impact/?start=2027-01-01&end=2027-03-20"
    with CaptureQueriesContext(connection) as cold:
        assert get(client, url).context["board"].total.insights == 3
    Insight.objects.filter(title="Three").delete()
    with CaptureQueriesContext(connection) as warm:
        assert (
            get(client, url).context["board"].total.insights == 3
        )  # the same numbers, not counted again
    assert any("rotations_insight" in q["sql"] for q in cold.captured_queries)
    assert not any("rotations_insight" in q["sql"] for q in warm.captured_queries)
    assert get(client, url, at=NOW + dt.timedelta(minutes=6)).context["board"].total.insights == 2
