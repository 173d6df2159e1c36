"""Running a queue through the API (its support leads): create and edit it, pause and
resume it, add a shift, take one off, and create and edit its patterns. The same permission lookups and
services as the pages, so the same rules and messages; a rule's refusal is a 400."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from rotations.api.bookings import require_browse
from rotations.api.schema import FORBIDDEN
from rotations.api.serializers import (
    BookedShiftsSerializer,
    PatternChangedSerializer,
    PatternCreatedSerializer,
    PauseSerializer,
    QueueChangedSerializer,
    QueueSerializer,
    QueueWriteSerializer,
    ShiftCreateSerializer,
    ShiftPatternSerializer,
    ShiftPatternWriteSerializer,
    ShiftSerializer,
    ShiftTakenOffSerializer,
    ShiftTakeOffSerializer,
)
from rotations.common.http import person_of
from rotations.models import Queue, Shift
from rotations.shifts.permissions import (
    get_pattern_for_manage,
    get_pattern_for_view,
    get_queue_for_manage,
    get_queue_for_view,
    get_shift_for_manage,
)
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

INVALID = OpenApiResponse(
    description="The input, or a rule of the schedule, refused it; the body says why."
)


@extend_schema(methods=["GET"], responses={200: QueueSerializer(many=True), 403: FORBIDDEN})
@extend_schema(
    methods=["POST"], request=QueueWriteSerializer, responses={201: QueueSerializer, 400: INVALID}
)
@api_view(["GET", "HEAD", "POST"])
def queue_list(request: Request) -> Response:
    """Every queue; support leads create new ones (and lead them)."""
    if request.method in ("GET", "HEAD"):
        require_browse(request)
        return Response(QueueSerializer(Queue.objects.prefetch_related("leads"), many=True).data)
    if not person_of(request).has_perm("rotations.manage_queues"):
        raise ApiPermissionDenied("Only support leads create queues.")
    body = QueueWriteSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    queue = queue_create(data=body.validated_data, by=person_of(request))
    return Response(QueueSerializer(queue).data, status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: QueueSerializer, 403: FORBIDDEN})
@extend_schema(
    methods=["PATCH"],
    request=QueueWriteSerializer,
    responses={200: QueueChangedSerializer, 400: INVALID},
)
@api_view(["GET", "HEAD", "PATCH"])
def queue_detail(request: Request, queue_id: int) -> Response:
    if request.method in ("GET", "HEAD"):
        require_browse(request)
        queue = get_object_or_404(Queue.objects.prefetch_related("leads"), pk=queue_id)
        return Response(QueueSerializer(queue).data)
    queue = get_queue_for_manage(person_of(request), queue_id)
    body = QueueWriteSerializer(queue, data=request.data, partial=True)
    body.is_valid(raise_exception=True)
    queue = queue_update(queue=queue, data=body.validated_data)
    warning = hours_warning(queue)
    return Response({**QueueSerializer(queue).data, "warnings": [warning] if warning else []})


@extend_schema(request=PauseSerializer, responses=QueueSerializer)
@api_view(["POST"])
def queue_pause_endpoint(request: Request, queue_id: int) -> Response:
    """Close the queue to new bookings (an incident, a busy day); bookings made stay."""
    queue = get_queue_for_manage(person_of(request), queue_id)
    body = PauseSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    return Response(
        QueueSerializer(queue_pause(queue=queue, reason=body.validated_data["reason"])).data
    )


@extend_schema(request=None, responses=QueueSerializer)
@api_view(["POST"])
def queue_resume_endpoint(request: Request, queue_id: int) -> Response:
    queue = get_queue_for_manage(person_of(request), queue_id)
    return Response(QueueSerializer(queue_resume(queue=queue)).data)


@extend_schema(request=ShiftCreateSerializer, responses={201: ShiftSerializer, 400: INVALID})
@api_view(["POST"])
def queue_shift_create(request: Request, queue_id: int) -> Response:
    """Add one shift to the queue's schedule."""
    queue = get_queue_for_manage(person_of(request), queue_id)
    body = ShiftCreateSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    shift = shift_create(queue=queue, **body.validated_data)
    return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


@extend_schema(
    request=ShiftTakeOffSerializer, responses={200: ShiftTakenOffSerializer, 400: INVALID}
)
@api_view(["POST"])
def shift_take_off(request: Request, shift_id: int) -> Response:
    """Take an upcoming shift off the schedule: its bookings are cancelled, and each
    calendar gets a CANCEL with the reason."""
    shift = get_shift_for_manage(person_of(request), shift_id)
    body = ShiftTakeOffSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    cancelled = shift_cancel(shift=shift, reason=body.validated_data["reason"])
    shift = Shift.objects.select_related("queue", "buddy").get(pk=shift.pk)
    return Response({"shift": ShiftSerializer(shift).data, "bookings_cancelled": cancelled})


@extend_schema(methods=["GET"], responses={200: ShiftPatternSerializer(many=True), 403: FORBIDDEN})
@extend_schema(
    methods=["POST"],
    request=ShiftPatternWriteSerializer,
    responses={201: PatternCreatedSerializer, 400: INVALID},
)
@api_view(["GET", "HEAD", "POST"])
def queue_patterns(request: Request, queue_id: int) -> Response:
    """The queue's recurring patterns; a new one adds its shifts at once."""
    if request.method in ("GET", "HEAD"):
        queue = get_queue_for_view(person_of(request), queue_id)
        return Response(
            ShiftPatternSerializer(queue.patterns.order_by("starts_on", "pk"), many=True).data
        )
    queue = get_queue_for_manage(person_of(request), queue_id)
    body = ShiftPatternWriteSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    fields = _pattern_fields(body.validated_data)
    pattern, added = shift_pattern_create(queue=queue, **fields)
    return Response(
        {"pattern": ShiftPatternSerializer(pattern).data, "shifts_added": added},
        status=status.HTTP_201_CREATED,
    )


@extend_schema(methods=["GET"], responses={200: ShiftPatternSerializer, 403: FORBIDDEN})
@extend_schema(
    methods=["PATCH"],
    request=ShiftPatternWriteSerializer,
    responses={
        200: PatternChangedSerializer,
        400: INVALID,
        409: OpenApiResponse(
            BookedShiftsSerializer,
            description="Booked shifts would change: resend with confirm_booked.",
        ),
    },
)
@api_view(["GET", "HEAD", "PATCH"])
def pattern_detail(request: Request, pattern_id: int) -> Response:
    if request.method in ("GET", "HEAD"):
        return Response(
            ShiftPatternSerializer(get_pattern_for_view(person_of(request), pattern_id)).data
        )
    pattern = get_pattern_for_manage(person_of(request), pattern_id)
    body = ShiftPatternWriteSerializer(data=request.data, partial=True)
    body.is_valid(raise_exception=True)
    confirm = body.validated_data.get("confirm_booked", False)
    # Skip dates are only ever added, unless the caller says which ones it read: a day
    # taken off meanwhile stays off (as on the page).
    seen = [day.isoformat() for day in body.validated_data.get("exdates_seen", [])]
    change = shift_pattern_update(
        pattern=pattern,
        touch_booked=confirm,
        exdates_seen=seen,
        **_pattern_fields(body.validated_data),
    )
    if change.needs_confirmation:
        booked = Shift.objects.select_related("queue", "buddy").filter(
            pk__in=[s.pk for s in change.booked]
        )
        count = len(change.booked)
        return Response(
            {
                "code": "confirm_booked",
                "detail": f"{count} booked shift{'s' if count != 1 else ''} would change. Send confirm_booked: true "
                "to move them (or cancel them, where the pattern no longer has the day).",
                "booked": ShiftSerializer(booked.order_by("starts_at"), many=True).data,
            },
            status=status.HTTP_409_CONFLICT,
        )
    return Response(
        {
            "pattern": ShiftPatternSerializer(change.pattern).data,
            "shifts_added": change.created,
            "shifts_changed": change.updated,
            "shifts_removed": change.removed,
        }
    )


def _pattern_fields(data: dict) -> dict:
    fields = {
        name: value
        for name, value in data.items()
        if name not in ("confirm_booked", "exdates_seen")
    }
    if "exdates" in fields:
        fields["exdates"] = [day.isoformat() for day in fields["exdates"]]
    return fields
