"""Wall-clock times in a place, checked against its daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils import timezone


@lru_cache(maxsize=512)
def zone_named(name: str):
    """The zone an IANA name stands for; UTC for a name this machine does not know, so
    that one bad directory row cannot break a page everyone shares."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_moment(day: date, at: time, zone) -> datetime:
    """``day`` at ``at`` on the clocks of ``zone``, as an aware datetime.

    A time the clocks skip (02:30 on a spring-forward night) does not exist there; it is
    refused rather than silently moved by an hour.
    """
    moment = datetime.combine(day, at, tzinfo=zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise ValidationError(
            f"{at:%H:%M} does not exist on {day:%Y-%m-%d} in {zone.key}: the clocks skip it "
            "for daylight saving. Pick another time or skip that date.",
            code="nonexistent_local_time",
        )
    return moment


def day_and_time(moment: datetime, zone=None) -> str:
    """ "Tue 3 Mar 14:00" on the clocks of ``zone`` (the active time zone by default), with
    the year when it is not this year: shifts are booked up to two years ahead."""
    local = timezone.localtime(moment, zone)
    if local.year == timezone.localtime(timezone=zone).year:
        return f"{local:%a} {local.day} {local:%b %H:%M}"
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def wall_clock(moment: datetime, zone) -> datetime:
    """``moment`` as the clocks of ``zone`` read it, without a zone attached.

    For templates: Django's ``date`` and ``time`` filters convert an aware datetime to the
    active time zone (UTC in a worker) before formatting it, which would undo a conversion
    made for the email's reader. A naive wall-clock time is printed as it is.
    """
    return moment.astimezone(zone).replace(tzinfo=None)


# A filter's day at either end of the calendar means "from the beginning" or "to the end":
# held inside these, it can be moved between time zones and a day added without overflowing.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(9000, 1, 1)


def local_midnight(day: date, zone) -> datetime:
    """The moment ``day`` begins on ``zone``'s clocks (the day held inside the calendar)."""
    day = min(max(day, EARLIEST_DAY), LATEST_DAY)
    return datetime.combine(day, time(0), tzinfo=zone)


def local_midnight_after(day: date, zone) -> datetime:
    """The moment ``day`` ends (the next one begins) on ``zone``'s clocks."""
    return local_midnight(min(max(day, EARLIEST_DAY), LATEST_DAY) + timedelta(days=1), zone)
