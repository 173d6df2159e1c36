"""iCalendar (RFC 5545) objects for Frontline's events, by ``icalendar``.

One builder for every calendar message the app sends or serves: single shifts and
recurring mentoring series, as iTIP requests and cancellations (RFC 5546) or as a
published feed. Every value that identifies an event — UID, SEQUENCE, DTSTAMP — is
passed in; nothing is invented at build time, so the same input always gives the same
bytes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vRecur

PRODID = "-//Frontline//Frontline customer immersion//EN"


class Method(enum.StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"
    # A feed: events without attendees, which clients show but never answer.
    PUBLISH = "PUBLISH"


@dataclass(frozen=True)
class Party:
    """An organizer or attendee: an address and the name a calendar shows for it."""

    email: str
    name: str = ""
    role: str = "REQ-PARTICIPANT"
    partstat: str = "NEEDS-ACTION"
    rsvp: bool = True


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    stamp: datetime
    start: datetime
    end: datetime
    summary: str
    organizer: Party
    attendees: Sequence[Party] = ()
    description: str = ""
    location: str = ""
    url: str = ""
    # Empty: the times go out in UTC, which every client reads the same way. A zone
    # name: local times with that zone's VTIMEZONE, which a recurring series needs so
    # that 09:00 stays 09:00 across a daylight-saving change.
    time_zone: str = ""
    rrule: str = ""
    exdates: Sequence[datetime] = ()
    recurrence_id: datetime | None = None
    alarm_before: timedelta | None = timedelta(minutes=15)


class InvalidCalendar(ValueError):
    """The event would break RFC 5546's rules for its method."""


def build_calendar(method: Method, events: Iterable[CalendarEvent]) -> bytes:
    events = list(events)
    if not events:
        raise InvalidCalendar("a calendar message needs at least one event")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)
    zones: dict[str, tuple[date, date]] = {}
    for event in events:
        _check(method, event)
        calendar.add_component(_vevent(method, event))
        if event.time_zone:
            first, last = zones.get(event.time_zone, (event.start.date(), event.start.date()))
            zones[event.time_zone] = (min(first, event.start.date()), max(last, _last_date(event)))
    for name, (first, last) in sorted(zones.items()):
        # A VTIMEZONE for the years the events span, not every transition since 1970.
        calendar.add_component(
            Timezone.from_tzinfo(
                ZoneInfo(name),
                tzid=name,
                first_date=date(first.year - 1, 1, 1),
                last_date=date(last.year + 2, 1, 1),
            )
        )
    return calendar.to_ical()


def _check(method: Method, event: CalendarEvent) -> None:
    moments = (event.start, event.end, event.stamp, event.recurrence_id, *event.exdates)
    if any(moment is not None and moment.tzinfo is None for moment in moments):
        # astimezone() would read a naive time in the server's own zone: silently wrong.
        raise InvalidCalendar("times must be aware (stored in UTC)")
    if event.end <= event.start:
        raise InvalidCalendar(f"event {event.uid} ends before it starts")
    if (
        event.rrule
        and event.exdates
        and not all(_at_series_time(exdate, event) for exdate in event.exdates)
    ):
        # Calendars ignore an EXDATE that is not an occurrence's start: the occurrence
        # it meant to take out would stay in everyone's calendar.
        raise InvalidCalendar(
            f"event {event.uid}: an EXDATE must be at the start time of an occurrence"
        )
    if method in (Method.REQUEST, Method.CANCEL):
        if not event.attendees:
            raise InvalidCalendar(f"a {method} needs at least one ATTENDEE")
        if any(a.email.lower() == event.organizer.email.lower() for a in event.attendees):
            raise InvalidCalendar("the organizer must not also be an attendee")


def _at_series_time(moment: datetime, event: CalendarEvent) -> bool:
    """Whether ``moment`` is the series' local start time on its own local day, as RFC
    5545 resolves it: on a day the clocks skip that time, with the offset before the
    change (as zoneinfo does for fold 0)."""
    zone = ZoneInfo(event.time_zone) if event.time_zone else UTC
    day = moment.astimezone(zone).date()
    wall_time = event.start.astimezone(zone).time().replace(fold=0)
    # In UTC: aware datetimes sharing a tzinfo compare by wall time, ignoring the offset.
    return datetime.combine(day, wall_time, tzinfo=zone).astimezone(UTC) == moment.astimezone(UTC)


def _vevent(method: Method, event: CalendarEvent) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.stamp.astimezone(UTC))
    vevent.add("dtstart", _moment(event.start, event.time_zone))
    vevent.add("dtend", _moment(event.end, event.time_zone))
    if event.recurrence_id is not None:
        vevent.add("recurrence-id", _moment(event.recurrence_id, event.time_zone))
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    if event.url:
        vevent.add("url", event.url)
    if event.rrule:
        vevent.add("rrule", vRecur.from_ical(event.rrule))
        for exdate in event.exdates:
            vevent.add("exdate", _moment(exdate, event.time_zone))
    vevent.add("organizer", _address(event.organizer, attendee=False))
    if method is not Method.PUBLISH:
        # RFC 5546: a PUBLISH carries no attendees, so a feed never leaks who else comes.
        for attendee in event.attendees:
            vevent.add("attendee", _address(attendee, attendee=True))
    vevent.add("status", "CANCELLED" if method is Method.CANCEL else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    # RFC 5546 forbids VALARM in a CANCEL.
    if event.alarm_before is not None and method is not Method.CANCEL:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.summary)
        alarm.add("trigger", -event.alarm_before)
        vevent.add_component(alarm)
    return vevent


def _moment(moment: datetime, time_zone: str) -> datetime:
    if time_zone:
        return moment.astimezone(ZoneInfo(time_zone))
    return moment.astimezone(UTC)


def _last_date(event: CalendarEvent) -> date:
    if not event.rrule:
        return event.end.date()
    rule = vRecur.from_ical(event.rrule)
    if "UNTIL" in rule:
        until = rule["UNTIL"][0]
        return until.date() if isinstance(until, datetime) else until
    if "COUNT" in rule:
        # The real last occurrence: RFC 5545 (3.6.5) wants the VTIMEZONE to cover every
        # instance, and a fixed horizon falls short for a long series (yearly, monthly).
        local_start = _moment(event.start, event.time_zone).replace(tzinfo=None)
        return rrulestr(event.rrule, dtstart=local_start)[-1].date()
    # An endless series: a generous horizon; the zone rules are cheap.
    return event.start.date() + timedelta(days=366 * 2)


def _address(party: Party, *, attendee: bool) -> vCalAddress:
    address = vCalAddress(f"mailto:{party.email}")
    if party.name:
        address.params["CN"] = party.name
    if attendee:
        address.params["CUTYPE"] = "INDIVIDUAL"
        address.params["ROLE"] = party.role
        address.params["PARTSTAT"] = party.partstat
        address.params["RSVP"] = "TRUE" if party.rsvp else "FALSE"
    return address
