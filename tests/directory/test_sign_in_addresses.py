"""Sign-in addresses are the directory's: nobody makes an outside address their own, and
the import finds people by their employee id (their address as the fallback), so a
changed address updates the person instead of refusing the file."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from rotations.directory.services import directory_import
from rotations.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

HEADER = "employee_id,email,name,department,level,manager_email,location,time_zone\n"


def row(employee_id, email, name="Ada Byrne", manager=""):
    return f"{employee_id},{email},{name},Support,IC,{manager},Toronto,America/Toronto\n"


def test_nobody_adds_or_promotes_an_outside_address(client, executive):
    outside = EmailAddress.objects.create(user=executive, email="me@gmail.com", verified=True)
    client.force_login(executive)
    page = client.get("/accounts/email/")
    assert page.status_code == 200
    assert executive.email in page.content.decode() and "ask HR" in page.content.decode()
    add = client.post("/accounts/email/", {"email": "other@gmail.com", "action_add": ""})
    primary = client.post("/accounts/email/", {"email": outside.email, "action_primary": ""})
    assert (add.status_code, primary.status_code) == (405, 405)
    executive.refresh_from_db()
    assert executive.email.endswith("@example.com")
    assert not EmailAddress.objects.filter(email="other@gmail.com").exists()
    assert EmailAddress.objects.get(user=executive, primary=True).email == executive.email


def test_a_changed_address_updates_the_person_found_by_employee_id():
    assert directory_import(data=HEADER + row("E-100", "ada@example.com")).ok
    ada = Person.objects.get(email="ada@example.com")
    assert ada.employee_id == "E-100"

    result = directory_import(data=HEADER + row("E-100", "ada.byrne@example.com"))
    assert result.ok and (result.created, result.updated) == (0, 1)
    ada.refresh_from_db()
    assert ada.email == "ada.byrne@example.com"
    assert list(
        EmailAddress.objects.filter(user=ada).values_list("email", "primary", "verified")
    ) == [("ada.byrne@example.com", True, True)]
    assert Person.objects.count() == 1


def test_someone_whose_address_was_changed_elsewhere_is_still_found_by_their_old_one():
    # Before addresses were the directory's alone, a person could make another one their
    # primary: the import then refused every file that listed them.
    ada = PersonFactory(email="ada@example.com", full_name="Ada Byrne")
    EmailAddress.objects.filter(user=ada).update(primary=False)
    EmailAddress.objects.create(user=ada, email="ada@gmail.com", verified=True, primary=True)
    Person.objects.filter(pk=ada.pk).update(email="ada@gmail.com")

    result = directory_import(data=HEADER + row("E-100", "ada@example.com"))
    assert result.ok, result.errors
    ada.refresh_from_db()
    assert (ada.email, ada.employee_id) == ("ada@example.com", "E-100")
    assert list(EmailAddress.objects.filter(user=ada).values_list("email", flat=True)) == [
        "ada@example.com"
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            row("E-100", "ada@example.com") + row("E-100", "bo@example.com", "Bo Brown"),
            "employee_id E-100 appears twice (first on line 2)",
        ),
        (
            row("E-200", "bo@example.com", "Bo Brown"),
            "bo@example.com is Bo Brown's address, but employee_id E-200 is Cy Chen's",
        ),
        (
            row("E-999", "bo@example.com", "Bo Brown"),
            "bo@example.com has employee_id E-300 in the directory, not E-999",
        ),
        (
            row("E-200", "cy.new@example.com", "Cy Chen") + row("", "cy@example.com", "Cy Chen"),
            "names the same person as line 2",
        ),
    ],
)
def test_rows_at_odds_with_the_directory_are_refused_and_change_nothing(rows, message):
    PersonFactory(email="bo@example.com", full_name="Bo Brown", employee_id="E-300")
    PersonFactory(email="cy@example.com", full_name="Cy Chen", employee_id="E-200")
    before = sorted(Person.objects.values_list("email", "employee_id", "full_name"))
    for dry_run in (True, False):
        result = directory_import(data=HEADER + rows, dry_run=dry_run)
        assert [e.message for e in result.errors] == [message]
    assert sorted(Person.objects.values_list("email", "employee_id", "full_name")) == before


def test_the_database_refuses_a_second_person_with_the_same_employee_id():
    from django.db import IntegrityError, transaction

    PersonFactory(employee_id="E-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(employee_id="E-1")
    PersonFactory(employee_id="")  # no id: as many as there are
    PersonFactory(employee_id="")


def test_an_address_hr_changes_in_the_admin_is_the_sign_in_address(client, executive):
    root = Person.objects.create_superuser("root@example.com", "pw", full_name="Root Admin")
    client.force_login(root)
    form = {
        "email": "eve.new@example.com",
        "employee_id": "E-7",
        "full_name": executive.full_name,
        "level": executive.level,
        "time_zone": executive.time_zone,
        "work_starts_at": "09:00",
        "work_ends_at": "17:00",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "is_active": "on",
    }
    response = client.post(f"/admin/rotations/person/{executive.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    executive.refresh_from_db()
    assert (executive.email, executive.employee_id) == ("eve.new@example.com", "E-7")
    assert list(EmailAddress.objects.filter(user=executive).values_list("email", "verified")) == [
        ("eve.new@example.com", True)
    ]
