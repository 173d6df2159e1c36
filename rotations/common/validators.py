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
