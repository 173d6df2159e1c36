from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from rotations.common.http import AuthedRequest
from rotations.directory.forms import DirectoryFilterForm, DirectoryImportForm
from rotations.directory.roles import roles_of
from rotations.directory.selectors import directory_people, management_chain, recent_imports
from rotations.directory.services import (
    REQUIRED_COLUMNS,
    directory_import_progress,
    directory_import_request,
)
from rotations.models import DirectoryImport, Person

PAGE_SIZE = 50


@require_safe
@permission_required("rotations.view_directory", raise_exception=True)
def person_list(request: AuthedRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    people = directory_people(
        query=filters.get("q") or "",
        department_id=filters["department"].pk if filters.get("department") else None,
        level=filters.get("level") or "",
    )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "people/_list_rows.html" if request.htmx else "people/list.html"
    return render(request, template, {"form": form, "page": page})


@require_safe
@permission_required("rotations.view_directory", raise_exception=True)
def person_detail(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(
        Person.objects.select_related("department", "manager").prefetch_related("groups"),
        pk=person_id,
    )
    reports = person.reports.select_related("department").order_by("full_name")
    return render(
        request,
        "people/detail.html",
        {
            "subject": person,
            "roles": roles_of(person),
            "chain": management_chain(person),
            "reports": reports,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("rotations.import_directory", raise_exception=True)
def directory_import_view(request: AuthedRequest) -> HttpResponse:
    """Upload a file; a worker imports it, and its page follows along."""
    if request.method == "POST":
        form = DirectoryImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            job = directory_import_request(
                data=upload.read(), filename=upload.name or "", by=request.user
            )
            return redirect("people:import-job", job_id=job.pk)
    else:
        form = DirectoryImportForm()
    recent = recent_imports()
    return render(
        request,
        "people/import.html",
        {"form": form, "columns": REQUIRED_COLUMNS, "recent": recent},
        status=400 if request.method == "POST" else 200,
    )


@require_safe
@permission_required("rotations.import_directory", raise_exception=True)
def directory_import_job(request: AuthedRequest, job_id: int) -> HttpResponse:
    """One import: waiting, under way (the page refreshes itself), imported or refused."""
    job = get_object_or_404(
        DirectoryImport.objects.select_related("requested_by").defer("data"), pk=job_id
    )
    return render(
        request,
        "people/import_job.html",
        {"job": job, "progress": directory_import_progress(job)},
    )


@require_safe
def email_address(request: AuthedRequest) -> HttpResponse:
    """A person's sign-in address, read-only: it is the directory's, HR's to change (by
    the import or the admin). allauth's own page let anyone make an outside address
    their primary one, and their invites then left the company."""
    return render(request, "account/email.html", {"person": request.user})
