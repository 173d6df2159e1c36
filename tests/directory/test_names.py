"""A person's name is on one line wherever it comes from: a line break would end the header
of every email to them, so their invites could never be sent."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from rotations.common.validators import one_line
from rotations.models import Person
from tests.factories import PersonFactory


def test_one_line_collapses_breaks_and_drops_control_characters():
    assert one_line("  Nia\r\n Okafor\u2028Jr\t") == "Nia Okafor Jr"
    assert one_line("Ni\x00a\x1b") == "Nia"
    assert one_line("José Ñúñez") == "José Ñúñez"


@pytest.mark.django_db
def test_the_database_refuses_a_name_with_a_line_break():
    person = PersonFactory(full_name="Nia Okafor")
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=person.pk).update(full_name="Nia\nBcc: all@example.com")
    person.refresh_from_db()
    assert person.full_name == "Nia Okafor"


@pytest.mark.django_db
def test_the_admin_refuses_a_name_with_a_line_break(client):
    root = Person.objects.create_superuser("root@example.com", "pw", full_name="Root Admin")
    person = PersonFactory(full_name="Nia Okafor", email="nia@example.com")
    client.force_login(root)
    form = {
        "email": person.email,
        "full_name": "Nia\r\nOkafor",
        "level": person.level,
        "time_zone": person.time_zone,
        "work_starts_at": "09:00",
        "work_ends_at": "17:00",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "is_active": "on",
    }
    response = client.post(f"/admin/rotations/person/{person.pk}/change/", form)
    assert response.status_code == 200
    assert "A name must be on one line" in response.content.decode()
    person.refresh_from_db()
    assert person.full_name == "Nia Okafor"


@pytest.mark.django_db(transaction=True)
def test_the_migration_puts_names_already_stored_on_one_line():
    executor = MigrationExecutor(connection)
    before, after = (
        [("rotations", "0016_match_run_status_choices")],
        [("rotations", "0017_person_name_one_line")],
    )
    executor.migrate(before)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rotations_person (password, email, full_name, title, level, location,"
            " time_zone, work_starts_at, work_ends_at, is_active, is_staff, is_superuser,"
            " date_joined) VALUES ('', 'nia@example.com', %s, '', 'ic', '', 'UTC', '09:00',"
            " '17:00', true, false, false, '2026-01-05 09:00:00+00:00')",
            ["Nia\r\nOkafor"],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Person.objects.get(email="nia@example.com").full_name == "Nia Okafor"
