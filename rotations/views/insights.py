"""Executives log what they learned on a shift (the post-shift prompt links here)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..forms_shifts import InsightForm
from ..permissions import get_booking_for_view
from ..services.booking import BookingRefused
from ..services.insights import insight_log, split_tags


@require_http_methods(["GET", "POST"])
def insight_new(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = get_booking_for_view(request.user, booking_id)
    if booking.person_id != request.user.pk:
        raise PermissionDenied
    form = InsightForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in InsightForm.Meta.fields}
        try:
            insight_log(
                booking=booking, author=request.user, fields=fields,
                tags=split_tags(form.cleaned_data["tags"]),
            )
        except BookingRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, "Thank you: your insight is logged. Log another if you saw more.")
            return redirect("shifts:log-insight", booking_id=booking.pk)
    logged = booking.insights.order_by("created_at")
    return render(
        request,
        "insights/new.html",
        {"form": form, "booking": booking, "logged": logged},
        status=400 if form.errors else 200,
    )
