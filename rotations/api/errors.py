"""The API's one exception handler: every refusal a service raises, answered one way.

* a product rule's ``Refused`` (a booking, an insight, a program, a mentoring rule):
  409 with ``{"code": …, "detail": …}``, the code stable and the message the person's;
* a rule of the schedule that speaks of the input (Django's ``ValidationError``, as the
  queue, shift and pattern services raise, field by field): 400 in the shape DRF gives
  its own input errors, so a client reads both the same way.

Everything else is DRF's own answer.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from rotations.common.errors import Refused

# A body naming what is not there (or not the caller's to see) is the body's fault: 400,
# on the field that names it.
NO_SUCH_SHIFT = "No shift with this id (or none you may see)."
NO_SUCH_PERSON = "No active person with this id."


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Refused):
        return Response({"code": exc.code, "detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ValidationError):
        exc = _as_input_error(exc)
    return drf_exception_handler(exc, context)


def _as_input_error(exc: ValidationError) -> serializers.ValidationError:
    if not hasattr(exc, "error_dict"):
        return serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})
    return serializers.ValidationError(
        {
            api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name: messages
            for name, messages in exc.message_dict.items()
        }
    )
