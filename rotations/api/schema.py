"""The published schema lists the refusals a client must handle, not only the successes.

drf-spectacular describes what a view declares. The refusals every endpoint shares are
added here: 401 without credentials (every endpoint needs them), 404 for an id that is
not there (or not yours to see), 403 for a change your role may not make (every write in
this API is limited to some roles) and 400 for a body that does not validate. A read that
some roles may not make, or whose query can be refused, says so itself (``FORBIDDEN``,
``BAD_QUERY``).
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="Signed in, but your role may not do this."
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such object, or none you may see.")
BAD_INPUT = OpenApiResponse(
    description="The input was refused; the body names each field's problem."
)
BAD_QUERY = OpenApiResponse(
    description="A query parameter was refused; the body names each one's problem."
)
NO_SUCH_PAGE = OpenApiResponse(ErrorSerializer, description="A page past the last one.")
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid token or session.")


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        shared = {"401": UNAUTHENTICATED}
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            shared["403"] = FORBIDDEN
            if self.get_request_serializer() is not None:
                shared["400"] = BAD_INPUT
        if "{" in self.path:
            shared["404"] = NOT_FOUND
        for code, response in shared.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return dict(sorted(responses.items()))
