"""For type checking: what a page or an API view may assume about its request."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from rotations.models import Person


class AuthedRequest(HttpRequest):
    """A page request that LoginRequiredMiddleware let through: a signed-in person."""

    user: Person
    htmx: HtmxDetails


def person_of(request: Request) -> Person:
    """The signed-in person an API view serves: DRF's IsAuthenticated, every API view's
    permission class, lets no one else in."""
    return cast("Person", request.user)
