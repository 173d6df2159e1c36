"""The API's JSON parser: DRF's, with a body nested too deep for Python's parser refused
as a 400 like any other malformed body (json.loads raises RecursionError, which DRF's
parser lets through as a 500)."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DrfJSONParser


class JSONParser(DrfJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
