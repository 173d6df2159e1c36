"""Support leads run their queues: create, edit, pause, add shifts and patterns."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rotations.common.http import AuthedRequest
from rotations.models import Queue
from rotations.shifts.forms import (
    PauseForm,
    QueueForm,
    ShiftCancelForm,
    ShiftForm,
    ShiftPatternForm,
)
from rotations.shifts.permissions import (
    can_manage_queue,
    get_pattern_for_manage,
    get_queue_for_manage,
    get_queue_for_view,
    get_shift_for_manage,
)
from rotations.shifts.selectors import queue_shifts, shift_bookings
from rotations.shifts.services.patterns import (
    shift_cancel,
    shift_create,
    shift_pattern_create,
    shift_pattern_update,
)
from rotations.shifts.services.queues import (
    hours_warning,
    queue_create,
    queue_pause,
    queue_resume,
    queue_update,
)


@require_safe
@permission_required("rotations.view_queue", raise_exception=True)
def queue_list(request: AuthedRequest) -> HttpResponse:
    queues = Queue.objects.annotate(
        pattern_count=Count("patterns", distinct=True)
    ).prefetch_related("leads")
    return render(request, "queues/list.html", {"queues": queues})


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("rotations.manage_queues", raise_exception=True)
def queue_new(request: AuthedRequest) -> HttpResponse:
    form = QueueForm(request.POST or None, initial={"leads": [request.user.pk]})
    if request.method == "POST" and form.is_valid():
        queue = queue_create(data=form.cleaned_data, by=request.user)
        messages.success(request, f"{queue.name} is ready. Add its shifts.")
        return redirect("queues:detail", queue.pk)
    return render(request, "queues/form.html", {"form": form}, status=400 if form.errors else 200)


SHIFTS_PER_PAGE = 100


@require_safe
def queue_detail(request: AuthedRequest, queue_id: int) -> HttpResponse:
    queue = get_queue_for_view(request.user, queue_id)
    page = Paginator(queue_shifts(queue), SHIFTS_PER_PAGE).get_page(request.GET.get("page"))
    shifts = list(page.object_list)
    return render(
        request,
        "queues/detail.html",
        {
            "queue": queue,
            "can_manage": can_manage_queue(request.user, queue),
            "shifts": shifts,
            "page": page,
            # Left alone when the hours narrowed; marked so the lead can see them.
            "outside_hours": {
                s.pk for s in shifts if not queue.is_open_for(s.starts_at, s.ends_at)
            },
            "patterns": queue.patterns.select_related("buddy"),
            "leads": queue.leads.all(),
            "pause_form": PauseForm(),
            "now": timezone.now(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def queue_edit(request: AuthedRequest, queue_id: int) -> HttpResponse:
    queue = get_queue_for_manage(request.user, queue_id)
    form = QueueForm(request.POST or None, instance=queue)
    if request.method == "POST" and form.is_valid():
        try:
            queue_update(queue=queue, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return render(request, "queues/form.html", {"form": form, "queue": queue}, status=400)
        messages.success(request, f"{queue.name} saved.")
        warning = hours_warning(queue)
        if warning:
            messages.warning(request, warning)
        return redirect("queues:detail", queue.pk)
    return render(
        request,
        "queues/form.html",
        {"form": form, "queue": queue},
        status=400 if form.errors else 200,
    )


@require_POST
def queue_pause_toggle(request: AuthedRequest, queue_id: int) -> HttpResponse:
    queue = get_queue_for_manage(request.user, queue_id)
    # The button says what it does, so a double click or a page left open in another tab
    # cannot flip the queue back; a bare POST still toggles.
    action = request.POST.get("action") or ("resume" if queue.is_paused else "pause")
    if action == "resume":
        queue_resume(queue=queue)
        messages.success(request, f"{queue.name} takes bookings again.")
    elif action == "pause":
        form = PauseForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        queue_pause(queue=queue, reason=reason)
        messages.success(request, f"{queue.name} is paused: no new bookings until you resume it.")
    else:
        return HttpResponseBadRequest("Pause or resume?")
    return redirect("queues:detail", queue.pk)


@require_http_methods(["GET", "HEAD", "POST"])
def shift_new(request: AuthedRequest, queue_id: int) -> HttpResponse:
    queue = get_queue_for_manage(request.user, queue_id)
    form = ShiftForm(
        request.POST or None,
        queue=queue,
        initial={"start_time": queue.opens_at, "end_time": queue.closes_at},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shift_create(
                queue=queue,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                buddy=data["buddy"],
                location=data["location"],
                meeting_url=data["meeting_url"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Shift added.")
            return redirect("queues:detail", queue.pk)
    return render(
        request,
        "queues/shift_form.html",
        {"form": form, "queue": queue},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def pattern_new(request: AuthedRequest, queue_id: int) -> HttpResponse:
    queue = get_queue_for_manage(request.user, queue_id)
    form = ShiftPatternForm(
        request.POST or None,
        queue=queue,
        initial={"start_time": queue.opens_at, "end_time": queue.closes_at, "every_weeks": 1},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _, count = shift_pattern_create(
                queue=queue,
                rrule=data["rrule"],
                starts_on=data["starts_on"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                exdates=data["exdates"],
                capacity=data["capacity"],
                buddy=data["buddy"],
                location=data["location"],
                meeting_url=data["meeting_url"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"Pattern saved: {count} shift{'s' if count != 1 else ''} added."
            )
            return redirect("queues:detail", queue.pk)
    return render(
        request,
        "queues/pattern_form.html",
        {"form": form, "queue": queue},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def pattern_edit(request: AuthedRequest, pattern_id: int) -> HttpResponse:
    pattern = get_pattern_for_manage(request.user, pattern_id)
    queue = pattern.queue
    form = ShiftPatternForm(request.POST or None, queue=queue, pattern=pattern)
    change = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = shift_pattern_update(
                pattern=pattern,
                touch_booked=request.POST.get("confirm_booked") == "yes",
                exdates_seen=data["exdates_seen"],
                rrule=data["rrule"],
                starts_on=data["starts_on"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                exdates=data["exdates"],
                capacity=data["capacity"],
                buddy=data["buddy"],
                location=data["location"],
                meeting_url=data["meeting_url"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if change.applied:
                messages.success(
                    request,
                    f"Pattern saved: {change.created} shifts added, {change.updated} changed,"
                    f" {change.removed} removed.",
                )
                return redirect("queues:detail", queue.pk)
    return render(
        request,
        "queues/pattern_form.html",
        {"form": form, "queue": queue, "pattern": pattern, "change": change},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def shift_cancel_view(request: AuthedRequest, shift_id: int) -> HttpResponse:
    """Take one shift off the schedule, after showing who is booked on it."""
    shift = get_shift_for_manage(request.user, shift_id)
    queue = shift.queue
    if shift.is_cancelled:
        messages.info(request, "This shift is already off the schedule.")
        return redirect("queues:detail", queue.pk)
    form = ShiftCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = shift_cancel(shift=shift, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            told = (
                f" {cancelled} booking{'s' if cancelled != 1 else ''} cancelled; their calendars are told why."
                if cancelled
                else ""
            )
            messages.success(request, f"Shift taken off the schedule.{told}")
            return redirect("queues:detail", queue.pk)
    return render(
        request,
        "queues/shift_cancel.html",
        {
            "form": form,
            "shift": shift,
            "queue": queue,
            "booked": shift_bookings(shift),
            "started": shift.starts_at <= timezone.now(),
        },
        status=400 if form.errors else 200,
    )
