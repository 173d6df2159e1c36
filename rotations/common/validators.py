import unicodedata
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError

# In the tz database but not places: a queue or a person is never "in" these.
NOT_PLACES = {"Factory", "localtime", "posixrules"}


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - NOT_PLACES)


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(
            "“%(value)s” is not a known time zone; use an IANA name such as Europe/London.",
            params={"value": value},
            code="unknown_time_zone",
        )


# Characters that end or break a line (and the other control characters): in a name they
# would end an email header, so an invite to that person could never be sent.
LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def breaks_lines(value: str) -> bool:
    return any(unicodedata.category(ch) in LINE_BREAKING for ch in value)


def one_line(value: str) -> str:
    """``value`` on one line: every run of white space (line breaks and tabs included) one
    space, other control characters dropped, the ends trimmed. For names that arrive from
    elsewhere (the identity provider), where refusing would lock the person out."""
    spaced = " ".join(value.split())
    return "".join(ch for ch in spaced if unicodedata.category(ch) not in LINE_BREAKING)


def validate_one_line(value: str) -> None:
    if breaks_lines(value):
        raise ValidationError(
            "A name must be on one line: remove the line break or control character.",
            code="line_break",
        )
