"""Directory imports run by a worker: the upload answers at once, the job's page follows
along, and the file goes in whole or not at all, exactly once."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rotations.directory import services
from rotations.directory.services import (
    directory_import_request,
    directory_import_run,
    directory_imports_requeue,
)
from rotations.models import DirectoryImport, Person

HEADER = "employee_id,email,name,department,level,manager_email,location,time_zone\n"


def company(n: int) -> str:
    """A file of ``n`` people, each reporting to one of the first ten."""
    rows = [HEADER]
    for i in range(n):
        manager = "" if i < 10 else f"p{i % 10}@example.com"
        rows.append(
            f"E{i},p{i}@example.com,Person {i},Dept {i % 7},IC,{manager},Toronto,America/Toronto\n"
        )
    return "".join(rows)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_an_upload_while_its_page_follows(client, hr_admin, broker_available):
    from tests.servers import CeleryWorker

    worker = CeleryWorker().start()
    try:
        client.force_login(hr_admin)
        upload = SimpleUploadedFile("people.csv", company(3000).encode(), "text/csv")
        response = client.post(reverse("people:import"), {"file": upload})
        assert response.status_code == 302
        deadline = time.monotonic() + 90
        while True:
            page = client.get(response["Location"]).content.decode()
            if "Directory imported" in page:
                break
            assert time.monotonic() < deadline, worker.log
            time.sleep(0.5)
    finally:
        worker.stop()
    assert "3000 added, 0 updated, 0 unchanged" in page
    assert Person.objects.filter(full_name__startswith="Person ").count() == 3000


@pytest.mark.django_db
def test_a_finished_job_run_again_changes_nothing(hr_admin):
    job = directory_import_request(data=company(20).encode(), filename="a.csv", by=hr_admin)
    first = directory_import_run(job_id=job.pk)
    assert (first.status, first.created) == ("done", 20)
    Person.objects.filter(email="p3@example.com").update(full_name="Renamed since")
    again = directory_import_run(job_id=job.pk)
    assert (again.status, again.created, again.updated) == ("done", 20, 0)
    assert Person.objects.get(email="p3@example.com").full_name == "Renamed since"


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_dies_mid_import_leaves_nothing_and_the_next_run_does_it_all(hr_admin):
    job = directory_import_request(data=company(50).encode(), filename="a.csv", by=hr_admin)
    with mock.patch.object(services, "sign_in_addresses_reset", side_effect=SystemExit("killed")):
        with pytest.raises(SystemExit):
            directory_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "running" and not job.finished
    assert not Person.objects.filter(full_name__startswith="Person ").exists()

    done = directory_import_run(job_id=job.pk)
    assert (done.status, done.created) == ("done", 50)


@pytest.mark.django_db
def test_the_sweep_asks_again_for_a_job_left_waiting(hr_admin, django_capture_on_commit_callbacks):
    from frontline.celery import app

    job = directory_import_request(data=company(5).encode(), filename="a.csv", by=hr_admin)
    fresh = directory_import_request(data=company(5).encode(), filename="b.csv", by=hr_admin)
    DirectoryImport.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert directory_imports_requeue() == 1
    finally:
        app.conf.task_always_eager = previous
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert (job.status, fresh.status) == ("done", "queued")


@pytest.mark.django_db
def test_other_roles_cannot_see_an_import(client, hr_admin, support_lead):
    job = directory_import_request(data=company(5).encode(), filename="a.csv", by=hr_admin)
    client.force_login(support_lead)
    assert client.get(reverse("people:import-job", args=[job.pk])).status_code == 403


@pytest.mark.django_db
def test_an_error_of_ours_refuses_the_job_with_a_message_instead_of_importing_for_ever(hr_admin):
    job = directory_import_request(data=company(5).encode(), filename="a.csv", by=hr_admin)
    with mock.patch.object(services, "sign_in_addresses_reset", side_effect=KeyError("boom")):
        done = directory_import_run(job_id=job.pk)
    assert done.status == "refused" and done.errors == [[0, services.FAILED_MESSAGE]]
    assert bytes(done.data) == b""
    assert not Person.objects.filter(full_name__startswith="Person ").exists()


@pytest.mark.django_db
def test_a_job_started_too_often_is_refused_by_the_sweep_not_retried_for_ever(hr_admin):
    job = directory_import_request(data=company(5).encode(), filename="a.csv", by=hr_admin)
    long_ago = timezone.now() - timedelta(hours=1)
    DirectoryImport.objects.filter(pk=job.pk).update(
        status="running", started_at=long_ago, attempts=services.MAX_ATTEMPTS
    )
    assert directory_imports_requeue() == 0
    job.refresh_from_db()
    assert job.status == "refused" and job.errors == [[0, services.FAILED_MESSAGE]]


@pytest.mark.django_db
def test_a_row_may_name_as_manager_someone_this_file_readdresses_by_the_old_address():
    from rotations.directory.services import directory_import

    header = "employee_id,email,name,department,level,manager_email,location,time_zone\n"
    assert directory_import(
        data=header + "M1,mo@example.com,Mo Manager,Ops,Manager,,Oslo,Europe/Oslo\n"
    ).ok
    result = directory_import(
        data=header
        + "M1,mo.new@example.com,Mo Manager,Ops,Manager,,Oslo,Europe/Oslo\n"
        + "N1,nia@example.com,Nia New,Ops,IC,mo@example.com,Oslo,Europe/Oslo\n"
    )
    assert result.ok, result.errors
    assert Person.objects.get(email="nia@example.com").manager.email == "mo.new@example.com"


@pytest.mark.django_db
def test_a_value_longer_than_the_directory_keeps_is_refused_with_its_line():
    from rotations.directory.services import directory_import

    header = "email,name,department,level,manager_email,location,time_zone\n"
    result = directory_import(data=header + f"a@example.com,{'N' * 201},Ops,IC,,{'L' * 121},UTC\n")
    assert [(e.line, e.message) for e in result.errors] == [
        (2, "name is longer than 200 characters"),
        (2, "location is longer than 120 characters"),
    ]


@pytest.mark.django_db
def test_the_import_never_matches_someone_by_an_address_they_never_verified(hr_admin):
    from allauth.account.models import EmailAddress

    from rotations.directory.services import directory_import
    from tests.factories import PersonFactory

    mallory = PersonFactory(email="mallory@example.com", full_name="Mallory")
    EmailAddress.objects.create(user=mallory, email="newhire@example.com", verified=False)
    header = "employee_id,email,name,department,level,manager_email,location,time_zone,roles\n"
    result = directory_import(
        data=header + "E9,newhire@example.com,New Hire,HR,IC,,Oslo,Europe/Oslo,HR admin\n"
    )
    assert result.ok and result.created == 1
    mallory.refresh_from_db()
    assert (mallory.email, mallory.full_name) == ("mallory@example.com", "Mallory")
    assert Person.objects.get(email="newhire@example.com").pk != mallory.pk
