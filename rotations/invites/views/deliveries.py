"""Delivery status: what the outbox sent to whom and when, what failed, and a retry."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from rotations.common.http import AuthedRequest
from rotations.invites.outbox import retry_failed
from rotations.invites.permissions import (
    can_list_deliveries,
    get_booking_for_deliveries,
    get_email_for_retry,
)
from rotations.invites.selectors import deliveries_of_booking, deliveries_visible_to
from rotations.models import EmailStatus

PAGE_SIZE = 50


@require_safe
def delivery_list(request: AuthedRequest) -> HttpResponse:
    if not can_list_deliveries(request.user):
        raise PermissionDenied
    status = request.GET.get("status", "")
    if status not in EmailStatus.values:
        status = ""
    page = Paginator(deliveries_visible_to(request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "deliveries/list.html",
        {"page": page, "status": status, "statuses": EmailStatus.choices},
    )


@require_safe
def booking_deliveries(request: AuthedRequest, booking_id: int) -> HttpResponse:
    booking = get_booking_for_deliveries(request.user, booking_id)
    return render(
        request,
        "deliveries/booking.html",
        {"booking": booking, "emails": deliveries_of_booking(booking)},
    )


@require_POST
def delivery_retry(request: AuthedRequest, email_id: int) -> HttpResponse:
    email = get_email_for_retry(request.user, email_id)
    if email.status != EmailStatus.FAILED:
        messages.info(request, f"The message to {email.to_email} is not failed; nothing to retry.")
    else:
        retry_failed(email)
        messages.success(request, f"The message to {email.to_email} is queued to be sent again.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "deliveries:list"
    return redirect(back)
