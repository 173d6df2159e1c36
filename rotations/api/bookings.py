"""The REST API: the same services and permission lookups as the pages.

DRF answers the lookups' Http404 and PermissionDenied as 404 and 403 itself.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from rotations.api.errors import NO_SUCH_PERSON, NO_SUCH_SHIFT
from rotations.api.schema import BAD_QUERY, FORBIDDEN, NO_SUCH_PAGE
from rotations.api.serializers import (
    AttendanceSerializer,
    BookingCreateSerializer,
    BookingPageSerializer,
    BookingSerializer,
    CancelSerializer,
    RefusalSerializer,
    RescheduleSerializer,
    ShiftPageSerializer,
    ShiftQuerySerializer,
    ShiftSerializer,
)
from rotations.common.http import person_of
from rotations.models import Shift
from rotations.shifts.permissions import (
    actor,
    can_browse_shifts,
    get_booking_for_attendance,
    get_booking_for_change,
    get_booking_for_view,
    get_person_to_book_for,
    get_shift_for_view,
)
from rotations.shifts.selectors import ShiftFilters, bookings_of, open_shifts
from rotations.shifts.services.booking import (
    booking_cancel,
    booking_create,
    booking_mark_attendance,
    booking_reschedule,
)

REFUSED = OpenApiResponse(RefusalSerializer, description="A booking rule refused the request.")
# Function views do not tell drf-spectacular about their paginator: say it here.
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, description="Results per page (default 50, at most 200)."
    ),
]


class Pages(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


def require_browse(request: Request) -> None:
    if not can_browse_shifts(person_of(request)):
        raise ApiPermissionDenied


@extend_schema(
    operation_id="shifts_list",
    parameters=[ShiftQuerySerializer, *PAGE_PARAMETERS],
    responses={200: ShiftPageSerializer, 400: BAD_QUERY, 403: FORBIDDEN, 404: NO_SUCH_PAGE},
)
@api_view(["GET", "HEAD"])
def shift_list(request: Request) -> Response:
    """Open shifts, with the same filters as the page."""
    require_browse(request)
    query = ShiftQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    q = query.validated_data
    shifts = open_shifts(
        viewer=person_of(request),
        filters=ShiftFilters(
            queue_id=q.get("queue"),
            channel=q.get("channel", ""),
            date_from=q.get("date_from"),
            date_to=q.get("date_to"),
            fits_my_calendar=q.get("fits_my_calendar", False),
        ),
    )
    paginator = Pages()
    page = paginator.paginate_queryset(shifts, request)
    return paginator.get_paginated_response(ShiftSerializer(page, many=True).data)


@extend_schema(responses={200: ShiftSerializer, 403: FORBIDDEN})
@api_view(["GET", "HEAD"])
def shift_detail(request: Request, shift_id: int) -> Response:
    return Response(ShiftSerializer(get_shift_for_view(person_of(request), shift_id)).data)


@extend_schema(
    methods=["GET"],
    operation_id="bookings_list",
    parameters=PAGE_PARAMETERS,
    responses={200: BookingPageSerializer, 404: NO_SUCH_PAGE},
    description="Your own bookings, upcoming and past (cancelled ones left out).",
)
@extend_schema(
    methods=["POST"],
    request=BookingCreateSerializer,
    responses={201: BookingSerializer, 409: REFUSED},
)
@api_view(["GET", "HEAD", "POST"])
def booking_list(request: Request) -> Response:
    if request.method in ("GET", "HEAD"):
        paginator = Pages()
        # person_name reads booking.person: join it, or every row costs a query.
        page = paginator.paginate_queryset(bookings_of(person_of(request)), request)
        return paginator.get_paginated_response(BookingSerializer(page, many=True).data)

    body = BookingCreateSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    # Only the id: the service reads the shift itself, inside its transaction.
    shift = Shift(pk=body.validated_data["shift"])
    # A shift or a person the body names that is not there is the body's fault: 400.
    try:
        person = get_person_to_book_for(person_of(request), body.validated_data.get("person"))
    except Http404:
        raise ValidationError({"person": [NO_SUCH_PERSON]}) from None
    try:
        booking = booking_create(
            shift=shift,
            person=person,
            by=actor(person_of(request)),
            override_notice=body.validated_data["override_notice"],
        )
    except Shift.DoesNotExist:
        raise ValidationError({"shift": [NO_SUCH_SHIFT]}) from None
    return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


@extend_schema(responses=BookingSerializer)
@api_view(["GET", "HEAD"])
def booking_detail(request: Request, booking_id: int) -> Response:
    return Response(BookingSerializer(get_booking_for_view(person_of(request), booking_id)).data)


@extend_schema(request=RescheduleSerializer, responses={200: BookingSerializer, 409: REFUSED})
@api_view(["POST"])
def booking_reschedule_endpoint(request: Request, booking_id: int) -> Response:
    booking = get_booking_for_change(person_of(request), booking_id)
    body = RescheduleSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        to_shift = get_shift_for_view(person_of(request), body.validated_data["shift"])
    except Http404:
        raise ValidationError({"shift": [NO_SUCH_SHIFT]}) from None
    booking = booking_reschedule(
        booking=booking,
        to_shift=to_shift,
        by=actor(person_of(request)),
        override_notice=body.validated_data["override_notice"],
    )
    return Response(BookingSerializer(booking).data)


@extend_schema(request=CancelSerializer, responses={200: BookingSerializer, 409: REFUSED})
@api_view(["POST"])
def booking_cancel_endpoint(request: Request, booking_id: int) -> Response:
    booking = get_booking_for_change(person_of(request), booking_id)
    body = CancelSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    booking = booking_cancel(
        booking=booking,
        by=actor(person_of(request)),
        reason=body.validated_data["reason"],
        override_notice=body.validated_data["override_notice"],
    )
    return Response(BookingSerializer(booking).data)


@extend_schema(request=AttendanceSerializer, responses={200: BookingSerializer, 409: REFUSED})
@api_view(["POST"])
def booking_attendance_endpoint(request: Request, booking_id: int) -> Response:
    booking = get_booking_for_attendance(person_of(request), booking_id)
    body = AttendanceSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    booking = booking_mark_attendance(
        booking=booking, by=person_of(request), attended=body.validated_data["attended"]
    )
    return Response(BookingSerializer(booking).data)
