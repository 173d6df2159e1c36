"""Insights through the API: the same visibility, rules and services as the pages."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rotations.api.bookings import PAGE_PARAMETERS, Pages
from rotations.api.errors import NO_SUCH_PERSON
from rotations.api.schema import BAD_QUERY, NO_SUCH_PAGE
from rotations.api.serializers import (
    InsightLogSerializer,
    InsightPageSerializer,
    InsightQuerySerializer,
    InsightSerializer,
    InsightTransitionSerializer,
    RefusalSerializer,
)
from rotations.common.http import person_of
from rotations.insights import selectors
from rotations.insights.permissions import get_insight_for_triage, get_insight_for_view
from rotations.insights.selectors import InboxFilter, inbox
from rotations.insights.services import insight_log, insight_transition, split_tags
from rotations.models import Person
from rotations.shifts.permissions import get_booking_for_insight

REFUSED = OpenApiResponse(
    RefusalSerializer, description="A rule of the insight's life cycle refused the request."
)


@extend_schema(
    operation_id="insights_list",
    parameters=[InsightQuerySerializer, *PAGE_PARAMETERS],
    responses={200: InsightPageSerializer, 400: BAD_QUERY, 404: NO_SUCH_PAGE},
    description="The insights you may see, newest first, with the inbox's filters.",
)
@api_view(["GET", "HEAD"])
def insight_list(request: Request) -> Response:
    query = InsightQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    q = query.validated_data
    wanted = InboxFilter(
        status=q.get("status", ""),
        queue_id=q.get("queue"),
        category=q.get("category", ""),
        severity=q.get("severity", ""),
        tag=q.get("tag", ""),
        author_id=q.get("executive"),
        logged_from=q.get("logged_from"),
        logged_to=q.get("logged_to"),
        text=q.get("q", ""),
        following=q["following"],
    )
    paginator = Pages()
    page = paginator.paginate_queryset(
        inbox(person_of(request), wanted, zone=person_of(request).zone), request
    )
    return paginator.get_paginated_response(InsightSerializer(page, many=True).data)


@extend_schema(responses=InsightSerializer)
@api_view(["GET", "HEAD"])
def insight_detail(request: Request, insight_id: int) -> Response:
    return Response(InsightSerializer(get_insight_for_view(person_of(request), insight_id)).data)


@extend_schema(request=InsightLogSerializer, responses={201: InsightSerializer, 409: REFUSED})
@api_view(["POST"])
def insight_log_endpoint(request: Request, booking_id: int) -> Response:
    """Log an insight from a shift you attended."""
    booking = get_booking_for_insight(person_of(request), booking_id)
    body = InsightLogSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    fields = dict(body.validated_data)
    tags = split_tags(",".join(fields.pop("tags")))
    insight = insight_log(booking=booking, author=person_of(request), fields=fields, tags=tags)
    # Read back as the detail endpoint reads it (its +1s counted).
    return Response(
        InsightSerializer(selectors.insight_detail(insight.pk)).data, status=status.HTTP_201_CREATED
    )


@extend_schema(
    request=InsightTransitionSerializer, responses={200: InsightSerializer, 409: REFUSED}
)
@api_view(["POST"])
def insight_status_endpoint(request: Request, insight_id: int) -> Response:
    """Move an insight along its life cycle (support leads for their queues, HR for all)."""
    insight = get_insight_for_triage(person_of(request), insight_id)
    body = InsightTransitionSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    owner = None
    if data.get("owner"):
        owner = Person.objects.filter(pk=data["owner"], is_active=True).first()
        if owner is None:  # the body's fault: 400
            raise ValidationError({"owner": [NO_SUCH_PERSON]})
    insight = insight_transition(
        insight=insight,
        actor=person_of(request),
        to_status=data["to_status"],
        expected_status=data.get("expected_status"),
        owner=owner,
        owner_team=data["owner_team"],
        due_on=data.get("due_on"),
        reason=data["reason"],
    )
    return Response(InsightSerializer(get_insight_for_view(person_of(request), insight.pk)).data)
