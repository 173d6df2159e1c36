"""Executives find, book, move and cancel shifts; leads and buddies mark attendance."""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import cast

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import ModelChoiceField
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rotations.common.http import AuthedRequest
from rotations.models import BookingStatus, Channel, Shift
from rotations.programs.selectors import blackout_set, programs_of
from rotations.shifts.caching import LIST_TTL, read_current
from rotations.shifts.forms import BookForm, CancelForm, RescheduleForm, ShiftFilterForm
from rotations.shifts.permissions import (
    actor,
    can_browse_shifts,
    can_change_booking,
    can_manage_queue,
    can_mark_attendance,
    get_booking_for_attendance,
    get_booking_for_change,
    get_person_to_book_for,
    get_shift_for_attendance,
    get_shift_for_view,
    may_act_for_others_on,
)
from rotations.shifts.selectors import (
    ShiftFilters,
    bookings_of,
    buddy_shifts,
    open_shifts,
    queue_choices,
    shift_bookings,
    starting_between,
)
from rotations.shifts.services.booking import (
    BookingRefused,
    booking_cancel,
    booking_create,
    booking_mark_attendance,
    booking_reschedule,
)

PAGE_SIZE = 50
RESCHEDULE_CHOICES = 100


GONE = "That shift is no longer on the schedule."


def _require_browse(request: AuthedRequest) -> None:
    if not can_browse_shifts(request.user):
        raise PermissionDenied


@require_safe
def shift_list(request: AuthedRequest) -> HttpResponse:
    _require_browse(request)
    # No filters, no form: building one copies its fields, a cost the plain page skips.
    form = ShiftFilterForm(request.GET) if request.GET else None
    data = _usable_filters(form) if form else {}
    program = data.get("program")
    if program and not (
        request.user.has_perm("rotations.manage_programs") or program in programs_of(request.user)
    ):
        program = None  # a program is shown only to its participants and HR
    filters = ShiftFilters(
        queue_id=data["queue"].pk if data.get("queue") else None,
        channel=data.get("channel") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        fits_my_calendar=bool(data.get("fits")),
        queue_ids=tuple(sorted(q.pk for q in program.queues.all())) if program else (),
        skip_days=tuple(sorted(blackout_set(program))) if program else (),
    )
    rows, queues = _cached_list(request, filters)
    if request.htmx:
        # The filters swap only the rows: a bad filter's message goes with them.
        errors = (
            render_to_string("shifts/_filter_errors.html", {"form": form})
            if form and form.errors
            else ""
        )
        return HttpResponse(errors + rows)
    chosen = {
        name: request.GET.get(name, "")
        for name in ("queue", "channel", "date_from", "date_to", "fits")
    }
    return render(
        request,
        "shifts/list.html",
        {
            "form": form,
            "chosen": chosen,
            "queue_options": _options(queues or [], chosen["queue"]),
            "channel_options": _options(CHANNEL_CHOICES, chosen["channel"]),
            "rows": rows,
            "program": program,
        },
    )


def _usable_filters(form: ShiftFilterForm) -> dict:
    """The filters that are valid, so one mistyped value does not drop the others; an
    impossible date range drops both of its dates (its message says why)."""
    if form.is_valid():
        return form.cleaned_data
    data = dict(form.cleaned_data)
    if form.non_field_errors():
        data.pop("date_from", None)
        data.pop("date_to", None)
    return data


def _escaped(choices) -> list[tuple[str, str]]:
    """(value, label) pairs escaped once, for ``_options``: the queues' are cached so."""
    return [(escape(str(value)), escape(str(label))) for value, label in choices]


CHANNEL_CHOICES = _escaped(Channel.choices)


def _options(escaped_choices: list[tuple[str, str]], chosen: str) -> str:
    """``<option>``s built in Python: the page's hottest loop, kept out of the template engine."""
    chosen = escape(chosen)
    return mark_safe(
        "".join(
            f'<option value="{value}"{" selected" if value == chosen else ""}>{label}</option>'
            for value, label in escaped_choices
        )
    )


def _cached_list(
    request: AuthedRequest, filters: ShiftFilters
) -> tuple[str, list[tuple[str, str]] | None]:
    """The rendered rows and the queue choices (none for htmx, which swaps only the rows),
    cached until any shift or queue changes.

    Rows are cached per time zone and filter. "Fits my calendar" depends on the viewer's
    own bookings, so it is cached per person; every booking change moves the version too.
    Usually the version and both entries come back in one round trip.
    """
    viewer = request.user
    page_number = request.GET.get("page") or "1"

    def keys(version: int) -> list[str]:
        rows_key = ":".join(
            str(part)
            for part in (
                "shiftrows",
                version,
                viewer.time_zone,
                viewer.pk if filters.fits_my_calendar else "-",
                filters.queue_id,
                filters.channel,
                filters.date_from,
                filters.date_to,
                page_number[:6],
                ",".join(map(str, filters.queue_ids)),
                ",".join(map(str, filters.skip_days)),
            )
        )
        return [rows_key] if request.htmx else [rows_key, f"shiftqueueoptions:{version}"]

    version, found = read_current(keys)
    rows_key, *queues_key = keys(version)
    rows = found.get(rows_key)
    queues = found.get(queues_key[0]) if queues_key else None
    if rows is None:
        page = Paginator(open_shifts(viewer=viewer, filters=filters), PAGE_SIZE).get_page(
            page_number
        )
        rows = render_to_string(
            "shifts/_rows.html", {"page": page, "query": _query_without_page(request)}
        )
        cache.set(rows_key, rows, LIST_TTL)
    if queues is None and queues_key:
        queues = _escaped(queue_choices())
        cache.set(queues_key[0], queues, LIST_TTL)
    return mark_safe(rows), queues  # our own rendering, stored as rendered


def _query_without_page(request: AuthedRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_safe
def shift_detail(request: AuthedRequest, shift_id: int) -> HttpResponse:
    return _detail_page(request, get_shift_for_view(request.user, shift_id))


def _detail_page(
    request: AuthedRequest, shift, book_form: BookForm | None = None, status: int = 200
) -> HttpResponse:
    person = request.user
    may_book_for_others = may_act_for_others_on(person, shift.queue)
    bookings = (
        list(shift_bookings(shift))
        if (may_book_for_others or can_mark_attendance(person, shift))
        else []
    )
    mine = next(iter(bookings_of(person).filter(shift=shift, status=BookingStatus.CONFIRMED)), None)
    return render(
        request,
        "shifts/detail.html",
        {
            "shift": shift,
            "bookings": bookings,
            "my_booking": mine,
            "can_book": person.has_perm("rotations.book_shift") or may_book_for_others,
            "can_change_others": may_book_for_others,
            "book_form": book_form or BookForm(may_book_for_others=may_book_for_others),
            "can_mark_attendance": can_mark_attendance(person, shift),
            "can_take_off": (
                not shift.is_cancelled
                and shift.starts_at > timezone.now()
                and can_manage_queue(person, shift.queue)
            ),
        },
        status=status,
    )


@require_POST
def shift_book(request: AuthedRequest, shift_id: int) -> HttpResponse:
    shift = get_shift_for_view(request.user, shift_id)
    form = BookForm(
        request.POST, may_book_for_others=may_act_for_others_on(request.user, shift.queue)
    )
    if not form.is_valid():
        messages.error(request, "Pick someone to book, or leave it empty to book yourself.")
        return _detail_page(request, shift, book_form=form, status=400)
    chosen = form.cleaned_data.get("person")
    # Without the right to book for others the form has no person field: a person posted
    # anyway goes to the lookup, which refuses it rather than book the poster instead.
    person = get_person_to_book_for(
        request.user, chosen.pk if chosen else request.POST.get("person", "").strip() or None
    )
    try:
        booking_create(
            shift=shift,
            person=person,
            by=actor(request.user),
            override_notice=form.cleaned_data.get("override_notice", False),
        )
    except BookingRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("shifts:detail", shift.pk)
    except Shift.DoesNotExist:  # its pattern dropped it a moment ago
        messages.error(request, GONE)
        return redirect("shifts:list")
    if person == request.user:
        messages.success(
            request, f"You are booked on {shift.queue.name}. A calendar invite is on its way."
        )
        return redirect("schedule")
    messages.success(request, f"{person.full_name} is booked on {shift.queue.name}.")
    return redirect("shifts:detail", shift.pk)


@require_http_methods(["GET", "HEAD", "POST"])
def booking_reschedule_view(request: AuthedRequest, booking_id: int) -> HttpResponse:
    booking = get_booking_for_change(request.user, booking_id)
    if request.method in ("GET", "HEAD") and booking.status != BookingStatus.CONFIRMED:
        return _nothing_to_change(request, booking, "move")
    by = actor(request.user)
    # Any open shift may be chosen; the page lists the first few of those the filters
    # (queue, dates) narrow it to, so that thousands of shifts never make one select.
    # Any open shift is accepted (a shift too soon gets the notice rule's own message); the
    # list leaves out those too soon unless the viewer may override the notice.
    every = open_shifts(viewer=booking.person, filters=ShiftFilters(within_notice=True)).exclude(
        pk=booking.shift_id
    )
    if booking.person_id != request.user.pk and by.for_others_on is not None:
        every = every.filter(queue_id__in=by.for_others_on)  # a lead: the queues they lead
        listed_queues = by.for_others_on
    else:
        listed_queues = None
    may_override = by.acts_for_others_on(booking.shift.queue_id)
    soon = ShiftFilters(within_notice=may_override)
    narrow = ShiftFilterForm(request.GET or None)
    data = narrow.cleaned_data if narrow.is_valid() else {}
    # The dates are the viewer's calendar days, as the labels are (a lead may move an
    # executive's booking from another time zone).
    listed = starting_between(
        open_shifts(
            viewer=booking.person,
            filters=replace(soon, queue_id=data["queue"].pk if data.get("queue") else None),
        ),
        data.get("date_from"),
        data.get("date_to"),
        request.user.zone,
    ).exclude(pk=booking.shift_id)
    if listed_queues is not None:
        listed = listed.filter(queue_id__in=listed_queues)
    form = RescheduleForm(request.POST or None, shifts=every, may_override=may_override)
    if request.method == "POST" and form.is_valid():
        try:
            booking = booking_reschedule(
                booking=booking,
                to_shift=form.cleaned_data["shift"],
                by=by,
                override_notice=form.cleaned_data.get("override_notice", False),
            )
        except BookingRefused as refusal:
            form.add_error(None, refusal.message)
        except Shift.DoesNotExist:
            form.add_error(None, GONE)
        else:
            messages.success(request, "Moved. The calendar entry moves with it.")
            return redirect(_after_change(request, booking))
    cast(ModelChoiceField, form.fields["shift"]).queryset = listed[:RESCHEDULE_CHOICES]
    chosen = {name: narrow.data.get(name, "") for name in ("queue", "date_from", "date_to")}
    return render(
        request,
        "shifts/reschedule.html",
        {
            "form": form,
            "booking": booking,
            "narrow": narrow,
            "chosen": chosen,
            "queue_options": _options(_escaped(queue_choices()), chosen["queue"]),
            "more": listed[RESCHEDULE_CHOICES:].exists(),
            "limit": RESCHEDULE_CHOICES,
        },
        status=400 if form.errors or narrow.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def booking_cancel_view(request: AuthedRequest, booking_id: int) -> HttpResponse:
    booking = get_booking_for_change(request.user, booking_id)
    if request.method in ("GET", "HEAD") and booking.status != BookingStatus.CONFIRMED:
        return _nothing_to_change(request, booking, "cancel")
    by = actor(request.user)
    form = CancelForm(
        request.POST or None, may_override=by.acts_for_others_on(booking.shift.queue_id)
    )
    if request.method == "POST" and form.is_valid():
        try:
            booking_cancel(
                booking=booking,
                by=by,
                reason=form.cleaned_data["reason"],
                override_notice=form.cleaned_data.get("override_notice", False),
            )
        except BookingRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, "Cancelled. It disappears from the calendar.")
            return redirect(_after_change(request, booking))
    return render(
        request,
        "shifts/cancel.html",
        {"form": form, "booking": booking},
        status=400 if form.errors else 200,
    )


def _nothing_to_change(request: AuthedRequest, booking, verb: str) -> HttpResponse:
    # An old link or a second tab: say so, rather than offer a form the rules will refuse.
    messages.info(
        request,
        f"This booking is {booking.get_status_display().lower()}: there is nothing to {verb}.",
    )
    return redirect(_after_change(request, booking))


def _after_change(request: AuthedRequest, booking) -> str:
    if booking.person_id == request.user.pk:
        return reverse("schedule")
    return reverse("shifts:detail", args=[booking.shift_id])


@require_http_methods(["GET", "HEAD", "POST"])
def shift_attendance(request: AuthedRequest, shift_id: int) -> HttpResponse:
    shift = get_shift_for_attendance(request.user, shift_id)
    if request.method == "POST":
        booking_id = request.POST.get("booking", "")
        attended = request.POST.get("attended")
        # A hand-made POST must get a 400, never a 500 from int().
        if not (booking_id.isascii() and booking_id.isdigit()) or attended not in ("yes", "no"):
            context = {
                "shift": shift,
                "bookings": shift_bookings(shift),
                "error": "Pick a booking and whether they attended.",
            }
            return render(request, "shifts/attendance.html", context, status=400)
        booking = get_booking_for_attendance(request.user, int(booking_id))
        if booking.shift_id != shift.pk:
            raise PermissionDenied
        try:
            booking = booking_mark_attendance(
                booking=booking, by=request.user, attended=attended == "yes"
            )
        except BookingRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request, f"{booking.person.full_name}: {booking.get_status_display().lower()}."
            )
        return redirect("shifts:attendance", shift.pk)
    return render(
        request, "shifts/attendance.html", {"shift": shift, "bookings": shift_bookings(shift)}
    )


@require_safe
def schedule(request: AuthedRequest) -> HttpResponse:
    """My schedule: my bookings, and the shifts I am buddy on; upcoming and past."""
    now = timezone.now()
    mine = list(bookings_of(request.user))
    buddy = list(buddy_shifts(request.user))
    return render(
        request,
        "shifts/schedule.html",
        {
            "upcoming": [b for b in mine if b.ends_at > now],
            "past": [b for b in reversed(mine) if b.ends_at <= now],
            "buddy_upcoming": [s for s in buddy if s.ends_at > now],
            "buddy_past": [s for s in reversed(buddy) if s.ends_at <= now],
            "can_change": {b.pk for b in mine if can_change_booking(request.user, b)},
        },
    )
