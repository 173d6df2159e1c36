"""Importing the directory from an HR export: all or nothing, every bad row reported."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.urls import reverse

from rotations.directory.roles import Role, roles_of
from rotations.directory.services import directory_import, directory_import_run
from rotations.models import Department, DirectoryImport, Level, Person
from tests.factories import PersonFactory

HEADER = "email,name,department,level,manager_email,location,time_zone,title\n"

GOOD = HEADER + (
    "ceo@example.com,Ada Byrne,Executive,C-level,,Toronto,America/Toronto,CEO\n"
    "vp@example.com,Ben Ode,Customer Support,VP,ceo@example.com,London,Europe/London,VP CX\n"
    "agent@example.com,Cy Tan,Customer Support,IC,vp@example.com,Manila,Asia/Manila,Agent\n"
)


def snapshot():
    return sorted(
        Person.objects.values_list(
            "email",
            "full_name",
            "department__name",
            "level",
            "manager__email",
            "location",
            "time_zone",
        )
    )


@pytest.mark.django_db
class TestImport:
    def test_it_creates_people_with_their_reporting_line(self):
        result = directory_import(data=GOOD.encode())

        assert result.ok, result.errors
        assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
        assert snapshot() == [
            (
                "agent@example.com",
                "Cy Tan",
                "Customer Support",
                "ic",
                "vp@example.com",
                "Manila",
                "Asia/Manila",
            ),
            (
                "ceo@example.com",
                "Ada Byrne",
                "Executive",
                "c_level",
                None,
                "Toronto",
                "America/Toronto",
            ),
            (
                "vp@example.com",
                "Ben Ode",
                "Customer Support",
                "vp",
                "ceo@example.com",
                "London",
                "Europe/London",
            ),
        ]
        assert Department.objects.count() == 2
        # Imported people can reset a password or use single sign-on straight away.
        assert EmailAddress.objects.filter(verified=True, primary=True).count() == 3
        assert not Person.objects.get(email="ceo@example.com").has_usable_password()

    def test_it_updates_by_email_case_insensitively_and_counts_unchanged(self):
        directory_import(data=GOOD)
        changed = GOOD.replace(
            "Cy Tan,Customer Support,IC", "Cy Tan,Customer Support,Manager"
        ).replace("agent@example.com", "AGENT@Example.com")

        result = directory_import(data=changed)

        assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
        assert Person.objects.get(email="agent@example.com").level == Level.MANAGER
        assert Person.objects.count() == 3

    def test_it_leaves_people_missing_from_the_file_alone(self):
        other = PersonFactory(email="other@example.com")
        directory_import(data=GOOD)
        assert Person.objects.filter(pk=other.pk, is_active=True).exists()

    def test_it_accepts_a_byte_order_mark_spaces_and_crlf(self):
        data = "\ufeff" + GOOD.replace("\n", "\r\n").replace("time_zone", "Time Zone")
        result = directory_import(data=data.encode("utf-8"))
        assert result.ok, result.errors
        assert result.created == 3

    def test_it_sets_roles_when_the_column_is_present(self):
        data = (HEADER.strip() + ",roles\n") + (
            "ceo@example.com,Ada Byrne,Executive,C-level,,Toronto,America/Toronto,CEO,Executive\n"
            "hr@example.com,Hal Ro,People,IC,ceo@example.com,Toronto,America/Toronto,HR,hr admin; Support lead\n"
        )
        assert directory_import(data=data).ok
        hr = Person.objects.get(email="hr@example.com")
        assert roles_of(hr) == [Role.HR_ADMIN, Role.SUPPORT_LEAD]
        assert hr.has_perm("rotations.import_directory")

    def test_a_dry_run_reports_and_changes_nothing(self):
        result = directory_import(data=GOOD, dry_run=True)
        assert result.ok
        assert result.created == 3
        assert Person.objects.count() == 0


BAD_ROWS = [
    # (row, expected message) — each on line 3, after a good first row.
    (
        "x@example.com,X,Support,IC,nobody@example.com,Toronto,America/Toronto,",
        "manager nobody@example.com is neither in this file nor in the directory",
    ),
    (
        "x@example.com,X,Support,IC,,Toronto,Mars/Olympus_Mons,",
        "time zone “Mars/Olympus_Mons” is not a known IANA name (e.g. Europe/London)",
    ),
    (
        "ceo@example.com,Again,Support,IC,,Toronto,America/Toronto,",
        "ceo@example.com appears twice (first on line 2)",
    ),
    (
        "x@example.com,X,Support,Wizard,,Toronto,America/Toronto,",
        "level “Wizard” is not one of IC, Manager, Director, VP, C-level",
    ),
    (
        "not-an-email,X,Support,IC,,Toronto,America/Toronto,",
        "“not-an-email” is not a valid email address",
    ),
    (",X,Support,IC,,Toronto,America/Toronto,", "email is missing"),
    ("x@example.com,,Support,IC,,Toronto,America/Toronto,", "name is missing"),
    (
        'x@example.com,"Eve\nBcc: all@example.com",Support,IC,,Toronto,America/Toronto,',
        "name has a line break in it; put the whole name on one line",
    ),
    ("x@example.com,X,,IC,,Toronto,America/Toronto,", "department is missing"),
    (
        "x@example.com,X,Support,IC,x@example.com,Toronto,America/Toronto,",
        "a person cannot be their own manager",
    ),
    (
        "x@example.com,X,Support,IC,,Toronto,America/Toronto,,extra",
        "9 values but the header has 8 columns",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_a_bad_row_is_refused_with_its_line_and_reason(row, message):
    PersonFactory(email="keep@example.com", full_name="Keep Me")
    before = snapshot()
    data = (
        HEADER
        + "ceo@example.com,Ada Byrne,Executive,C-level,,Toronto,America/Toronto,CEO\n"
        + row
        + "\n"
    )

    result = directory_import(data=data)

    assert [(e.line, e.message) for e in result.errors] == [(3, message)]
    assert snapshot() == before


@pytest.mark.django_db
def test_the_hire_date_is_read_when_given_and_kept_when_the_column_is_absent():
    header = "email,name,department,level,manager_email,location,time_zone,hired_on\n"
    result = directory_import(
        data=header + "a@example.com,Ann,Support,IC,,Toronto,America/Toronto,2021-03-15\n"
    )
    assert result.ok, result.errors
    assert Person.objects.get(email="a@example.com").hired_on.isoformat() == "2021-03-15"
    # A file without the column leaves it alone; a bad date is refused with its line.
    assert directory_import(
        data=HEADER + "a@example.com,Ann,Support,IC,,Toronto,America/Toronto,Agent\n"
    ).ok
    assert Person.objects.get(email="a@example.com").hired_on.isoformat() == "2021-03-15"
    result = directory_import(
        data=header + "a@example.com,Ann,Support,IC,,Toronto,America/Toronto,15/03/2021\n"
    )
    assert [(e.line, e.message) for e in result.errors] == [
        (2, "hired_on “15/03/2021” is not a date like 2021-03-15")
    ]


@pytest.mark.django_db
def test_every_bad_row_is_reported_at_once_in_line_order():
    data = HEADER + (
        "a@example.com,A,Support,IC,,Toronto,Bad/Zone,\n"
        "b@example.com,B,Support,IC,ghost@example.com,Toronto,America/Toronto,\n"
        "a@example.com,A2,Support,IC,,Toronto,America/Toronto,\n"
    )
    result = directory_import(data=data)
    assert [e.line for e in result.errors] == [2, 3, 4]
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_a_manager_cycle_in_the_file_is_refused_naming_every_line_in_it():
    data = HEADER + (
        "a@example.com,A,Support,Manager,c@example.com,Toronto,America/Toronto,\n"
        "b@example.com,B,Support,IC,a@example.com,Toronto,America/Toronto,\n"
        "c@example.com,C,Support,IC,b@example.com,Toronto,America/Toronto,\n"
        "d@example.com,D,Support,IC,a@example.com,Toronto,America/Toronto,\n"
    )
    result = directory_import(data=data)
    loop = "the manager chain loops: a@example.com → c@example.com → b@example.com → a@example.com"
    assert [(e.line, e.message) for e in result.errors] == [(2, loop), (3, loop), (4, loop)]
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_a_cycle_closed_through_people_already_in_the_directory_is_refused():
    directory_import(data=GOOD)
    # The CEO would now report to the agent, who reports (via the VP) to the CEO.
    data = (
        HEADER
        + "ceo@example.com,Ada Byrne,Executive,C-level,agent@example.com,Toronto,America/Toronto,CEO\n"
    )
    before = snapshot()

    result = directory_import(data=data)

    assert len(result.errors) == 1
    assert result.errors[0].line == 2
    assert result.errors[0].message.startswith("the manager chain loops:")
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", (0, "the file is empty")),
        (
            b"email,name\n",
            (1, "missing columns department, level, manager_email, location, time_zone"),
        ),
        ("é".encode("latin-1"), (0, "the file is not UTF-8 text; export it as CSV (UTF-8)")),
    ],
)
def test_an_unreadable_file_is_refused_with_a_clear_reason(data, error):
    result = directory_import(data=data)
    assert [(e.line, e.message) for e in result.errors] == [error]


@pytest.mark.django_db
def test_the_command_imports_and_reports_bad_rows(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    call_command("import_directory", str(good))
    assert "Imported: 3 added, 0 updated, 0 unchanged." in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "z@example.com,Z,Support,IC,ghost@example.com,Toronto,Nowhere/Zone,\n")
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_directory", str(bad))
    err = capsys.readouterr().err
    assert "line 2: time zone “Nowhere/Zone” is not a known IANA name" in err
    assert "line 2: manager ghost@example.com is neither in this file nor in the directory" in err
    assert Person.objects.count() == 3


def upload(client, data: str, name: str = "people.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("people:import"), {"file": SimpleUploadedFile(name, data.encode(), "text/csv")}
    )


@pytest.mark.django_db
class TestImportPage:
    def test_hr_uploads_a_file_and_sees_it_imported(
        self, client, hr_admin, django_capture_on_commit_callbacks
    ):
        from frontline.celery import app

        client.force_login(hr_admin)
        previous, app.conf.task_always_eager = app.conf.task_always_eager, True
        try:
            with django_capture_on_commit_callbacks(execute=True):
                response = upload(client, GOOD)
        finally:
            app.conf.task_always_eager = previous
        job = DirectoryImport.objects.get()
        assert response["Location"] == reverse("people:import-job", args=[job.pk])
        page = client.get(response["Location"]).content.decode()
        assert "Directory imported: 3 added, 0 updated, 0 unchanged." in page
        assert 'http-equiv="refresh"' not in page
        assert Person.objects.filter(email="agent@example.com").exists()
        job.refresh_from_db()
        assert (job.status, job.requested_by, bytes(job.data)) == ("done", hr_admin, b"")
        listed = client.get(reverse("people:import")).content.decode()
        assert "people.csv" in listed and "Imported" in listed

    def test_a_waiting_import_says_so_and_refreshes_itself(self, client, hr_admin):
        client.force_login(hr_admin)
        response = upload(client, GOOD)  # no worker here: it waits
        page = client.get(response["Location"]).content.decode()
        assert "Waiting for a worker" in page and 'http-equiv="refresh"' in page
        assert not Person.objects.filter(email="agent@example.com").exists()

    def test_a_bad_file_shows_every_line_and_changes_nothing(self, client, hr_admin):
        client.force_login(hr_admin)
        before = snapshot()
        data = GOOD + "bad@example.com,Bad,Support,IC,ghost@example.com,Toronto,Not/AZone,\n"
        job_page = upload(client, data)["Location"]
        directory_import_run(job_id=DirectoryImport.objects.get().pk)
        body = client.get(job_page).content.decode()
        assert "Nothing was imported." in body
        assert (
            "<td>5</td><td>manager ghost@example.com is neither in this file nor in the directory</td>"
            in body
        )
        assert (
            "<td>5</td><td>time zone “Not/AZone” is not a known IANA name (e.g. Europe/London)</td>"
            in body
        )
        assert snapshot() == before

    def test_a_missing_file_is_a_form_error_not_a_server_error(self, client, hr_admin):
        client.force_login(hr_admin)
        response = client.post(reverse("people:import"), {})
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()
        assert not DirectoryImport.objects.exists()


ROLES_HEADER = "email,name,department,level,manager_email,location,time_zone,title,roles\n"
ROLES_FILE = ROLES_HEADER + (
    "ceo@example.com,Ada Byrne,Executive,C-level,,Toronto,America/Toronto,CEO,Executive\n"
    "vp@example.com,Ben Ode,Customer Support,VP,ceo@example.com,London,Europe/London,VP CX,\n"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "second, counts",
    [
        (GOOD, (0, 0, 3)),  # the same file again: nothing changes
        (GOOD.replace("Ben Ode", "Ben Odé"), (0, 1, 2)),  # a name
        (GOOD.replace(",IC,vp@example.com,", ",IC,ceo@example.com,"), (0, 1, 2)),  # a manager
        (GOOD.replace("Customer Support,IC", "Support Ops,IC"), (0, 1, 2)),  # a new department
        (
            GOOD + "new@example.com,Di Ng,Sales,IC,vp@example.com,Paris,Europe/Paris,Rep\n",
            (1, 0, 3),
        ),
        (ROLES_FILE, (0, 1, 1)),  # the CEO gains a role; the VP has none, as before
    ],
)
def test_a_dry_run_reports_exactly_what_the_import_then_does(second, counts):
    """The dry run and the import share one plan: a dry run of an unchanged file once
    reported its people as updated ('0 added, 3 updated, 0 unchanged')."""
    assert directory_import(data=GOOD.encode()).ok
    before = snapshot()
    dry = directory_import(data=second.encode(), dry_run=True)
    assert (dry.created, dry.updated, dry.unchanged) == counts
    assert snapshot() == before
    real = directory_import(data=second.encode())
    assert (real.created, real.updated, real.unchanged) == counts
    again = directory_import(data=second.encode(), dry_run=True)
    assert (again.created, again.updated) == (0, 0)
