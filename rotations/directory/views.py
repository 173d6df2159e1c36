from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from rotations.common.http import AuthedRequest
from rotations.directory.forms import DirectoryFilterForm, DirectoryImportForm
from rotations.directory.roles import roles_of
from rotations.directory.selectors import directory_people, management_chain
from rotations.directory.services import REQUIRED_COLUMNS, directory_import
from rotations.models import Person

PAGE_SIZE = 50


@require_GET
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


@require_GET
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


@require_http_methods(["GET", "POST"])
@permission_required("rotations.import_directory", raise_exception=True)
def directory_import_view(request: AuthedRequest) -> HttpResponse:
    result = None
    if request.method == "POST":
        form = DirectoryImportForm(request.POST, request.FILES)
    else:
        form = DirectoryImportForm()
    if request.method == "POST" and form.is_valid():
        result = directory_import(data=form.cleaned_data["file"].read())
        if result.ok:
            messages.success(
                request,
                f"Directory imported: {result.created} added, {result.updated} updated, "
                f"{result.unchanged} unchanged.",
            )
            return redirect("people:list")
    status = 400 if request.method == "POST" and (result is None or not result.ok) else 200
    return render(
        request,
        "people/import.html",
        {"form": form, "result": result, "columns": REQUIRED_COLUMNS},
        status=status,
    )


@require_GET
def email_address(request: AuthedRequest) -> HttpResponse:
    """A person's sign-in address, read-only: it is the directory's, HR's to change (by
    the import or the admin). allauth's own page let anyone make an outside address
    their primary one, and their invites then left the company."""
    return render(request, "account/email.html", {"person": request.user})
