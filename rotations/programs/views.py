"""Rotation programs for HR: the rule, compliance, and the auto-scheduler's plans."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rotations.common.exports import csv_response
from rotations.common.http import AuthedRequest
from rotations.models import ComplianceState, PlanLine, PlanStatus, Program, SchedulePlan
from rotations.programs.forms import ComplianceFilterForm, ProgramForm
from rotations.programs.selectors import (
    matched_by_rule,
    participants,
    programs_of,
    standings,
    standings_of,
    summary,
)
from rotations.programs.services import (
    ProgramRefused,
    plan_discard,
    plan_line_toggle,
    plan_publish,
    plan_request,
    program_create,
    program_update,
    suitable_shifts_path,
)

MANAGE = "rotations.manage_programs"


@require_safe
@permission_required(MANAGE, raise_exception=True)
def program_list(request: AuthedRequest) -> HttpResponse:
    programs = Program.objects.annotate(
        plan_count=Count("plans", filter=Q(plans__status=PlanStatus.READY))
    )
    return render(request, "programs/list.html", {"programs": programs})


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required(MANAGE, raise_exception=True)
def program_new(request: AuthedRequest) -> HttpResponse:
    form = ProgramForm(request.POST or None, initial={"levels": ["vp"], "nudge_text": "14, 7, 2"})
    if request.method == "POST" and form.is_valid():
        try:
            program = program_create(settings=form.to_settings(), by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{program.name} is set up. Here is where everyone stands.")
            return redirect("programs:detail", program.pk)
    return render(request, "programs/form.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required(MANAGE, raise_exception=True)
def program_edit(request: AuthedRequest, program_id: int) -> HttpResponse:
    program = get_object_or_404(Program, pk=program_id)
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            program_update(program=program, settings=form.to_settings())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{program.name} saved.")
            return redirect("programs:detail", program.pk)
    return render(
        request,
        "programs/form.html",
        {"form": form, "program": program},
        status=400 if form.errors else 200,
    )


def _filtered(request: AuthedRequest, program: Program):
    form = ComplianceFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = standings(program)
    counts = summary(rows)  # the chart shows the whole program, the table what is filtered
    if data.get("department"):
        rows = [r for r in rows if r.person.department_id == data["department"].pk]
    if data.get("level"):
        rows = [r for r in rows if r.person.level == data["level"]]
    if data.get("state"):
        rows = [r for r in rows if r.state == data["state"]]
    return form, rows, counts


@require_safe
@permission_required(MANAGE, raise_exception=True)
def program_detail(request: AuthedRequest, program_id: int) -> HttpResponse:
    program = get_object_or_404(
        Program.objects.prefetch_related("queues", "departments"), pk=program_id
    )
    form, rows, counts = _filtered(request, program)
    plans = list(program.plans.select_related("requested_by")[:5])
    # Matched by the rule but without the Executive role: they cannot book, so they are
    # left out of compliance, reminders and plans — HR should know.
    cannot_book = matched_by_rule(program).exclude(pk__in=participants(program).values("pk"))
    chart = {
        "labels": [ComplianceState(k).label for k in counts],
        "values": list(counts.values()),
    }
    return render(
        request,
        "programs/detail.html",
        {
            "program": program,
            "form": form,
            "rows": rows,
            "counts": counts,
            "chart": chart,
            "plans": plans,
            "total": sum(counts.values()),
            "cannot_book": list(cannot_book[:50]),
        },
        status=400 if form.errors else 200,
    )


@require_safe
@permission_required(MANAGE, raise_exception=True)
def program_csv(request: AuthedRequest, program_id: int) -> HttpResponse:
    program = get_object_or_404(Program, pk=program_id)
    _, rows, _ = _filtered(request, program)
    response, writer = csv_response(f"program-{program.pk}-compliance.csv")
    unit = "minutes" if program.unit == "hours" else "shifts"
    writer.writerow(
        [
            "name",
            "email",
            "department",
            "level",
            "state",
            f"required_{unit}",
            f"attended_{unit}",
            f"booked_{unit}",
            f"left_{unit}",
            f"distinct_{program.distinct_by}s",
            "distinct_required",
        ]
    )
    for r in rows:
        p = r.person
        writer.writerow(
            [
                p.full_name,
                p.email,
                p.department.name if p.department else "",
                p.get_level_display(),
                r.state,
                r.required,
                r.attended,
                r.booked,
                r.left,
                len(r.distinct_all),
                r.min_distinct,
            ]
        )
    return response


# --- the auto-scheduler ------------------------------------------------------------------


@require_POST
@permission_required(MANAGE, raise_exception=True)
def plan_new(request: AuthedRequest, program_id: int) -> HttpResponse:
    program = get_object_or_404(Program, pk=program_id)
    try:
        plan = plan_request(program=program, by=request.user)
    except ProgramRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("programs:detail", program.pk)
    messages.success(
        request,
        "Planning: the auto-scheduler is seating everyone still short. This page updates itself.",
    )
    return redirect("programs:plan", plan.pk)


@require_safe
@permission_required(MANAGE, raise_exception=True)
def plan_detail(request: AuthedRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(
        SchedulePlan.objects.select_related("program", "requested_by", "published_by"), pk=plan_id
    )
    lines = list(
        plan.lines.select_related("person", "shift__queue", "booking").order_by(
            "person__full_name", "shift__starts_at"
        )
    )
    for line in lines:
        # For the template: each seat on its participant's clock.
        line.local_start = timezone.localtime(line.shift.starts_at, line.person.zone)  # type: ignore[attr-defined]
        line.local_end = timezone.localtime(line.shift.ends_at, line.person.zone)  # type: ignore[attr-defined]
    return render(
        request,
        "programs/plan.html",
        {
            "plan": plan,
            "program": plan.program,
            "lines": lines,
            "kept": sum(1 for line in lines if not line.removed),
        },
    )


@require_POST
@permission_required(MANAGE, raise_exception=True)
def plan_line_view(request: AuthedRequest, line_id: int) -> HttpResponse:
    line = get_object_or_404(PlanLine.objects.select_related("plan"), pk=line_id)
    try:
        plan_line_toggle(line=line, removed=request.POST.get("action") != "restore")
    except ProgramRefused as refusal:
        messages.error(request, refusal.message)
    return redirect(reverse("programs:plan", args=[line.plan_id]) + f"#line-{line.pk}")


@require_POST
@permission_required(MANAGE, raise_exception=True)
def plan_publish_view(request: AuthedRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(SchedulePlan, pk=plan_id)
    try:
        booked, refused = plan_publish(plan=plan, by=request.user)
    except ProgramRefused as refusal:
        messages.error(request, refusal.message)
    else:
        text = f"Published: {booked} shifts booked; everyone gets their invite."
        if refused:
            text += f" {refused} could not be booked any more (see the lines marked below)."
        messages.success(request, text)
    return redirect("programs:plan", plan.pk)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def plan_discard_view(request: AuthedRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(SchedulePlan, pk=plan_id)
    try:
        plan_discard(plan=plan)
    except ProgramRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("programs:plan", plan.pk)
    messages.success(request, "Plan discarded: nothing was booked.")
    return redirect("programs:detail", plan.program_id)


def program_cards(person) -> list[dict]:
    """For a participant's home page: each running program with where they stand."""
    programs = programs_of(person)
    return [
        {"program": program, "standing": standing, "shifts_link": suitable_shifts_path(program)}
        for program, standing in zip(programs, standings_of(person, programs), strict=True)
    ]
