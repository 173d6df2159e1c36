"""Every CSV the app writes keeps people's words from running as spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from rotations.common.exports import FORMULA_STARTS, safe_cell
from rotations.models import Booking, BookingStatus, Program, Tag
from tests.factories import (
    DepartmentFactory,
    InsightFactory,
    PersonFactory,
    QueueFactory,
    ShiftFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 12, tzinfo=UTC)
EVIL = '=HYPERLINK("https://evil.example.com","open")'


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def cells(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [cell for row in csv.reader(io.StringIO(body.decode())) for cell in row]


def test_a_formula_cell_is_written_as_text():
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "ok", 3)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\t=1",
        "ok",
        3,
    ]


@pytest.fixture
def hostile(client):
    """A queue, a tag and a participant whose names are formulas, in every export."""
    hr = PersonFactory(roles=["HR admin"])
    queue = QueueFactory(name="+" + EVIL[1:])
    department = DepartmentFactory(name="=" + EVIL[1:50])
    person = PersonFactory(full_name=EVIL, level="vp", roles=["Executive"], department=department)
    shift = ShiftFactory(
        queue=queue, starts_at=NOW - timedelta(days=3), ends_at=NOW - timedelta(days=3, hours=-3)
    )
    booking = Booking.objects.create(
        shift=shift,
        person=person,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=BookingStatus.ATTENDED,
    )
    insight = InsightFactory(booking=booking, title="-" + EVIL[1:])
    insight.tags.add(Tag.objects.create(name="@" + EVIL[1:40]))
    program = Program.objects.create(
        name="Q1",
        starts_on=(NOW - timedelta(days=30)).date(),
        ends_on=(NOW + timedelta(days=30)).date(),
        deadline=(NOW + timedelta(days=20)).date(),
        levels=["vp"],
        required_amount=1,
        created_by=hr,
    )
    client.force_login(hr)
    return program


@pytest.mark.parametrize(
    "path",
    [
        "/programs/{program}/compliance.csv",
        "/insights/export.csv",
        "/insights/impact/tags.csv",
        "/insights/impact/coverage.csv",
        "/insights/impact/funnel.csv",
    ],
)
def test_no_export_carries_a_cell_a_spreadsheet_would_run(client, hostile, path):
    response = client.get(path.format(program=hostile.pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    written = cells(response)
    assert any(EVIL[1:30] in cell for cell in written), written  # the hostile name is there…
    assert not [cell for cell in written if cell.startswith(FORMULA_STARTS)]  # …as text
