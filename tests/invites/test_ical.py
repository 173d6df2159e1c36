"""Calendar messages, checked by parsers the builder does not use, and by a real CalDAV server.

``rotations.invites.ical`` builds with ``icalendar``; here the output is read back with
``vobject`` (and ``recurring_ical_events`` for expanding series), the email with Python's
``email`` package, and stored calendar objects go through Radicale, which validates
what it is given and answers time-range queries by expanding the events itself.

US daylight saving starts on Sunday 14 March 2027: 09:00 in New York is 14:00 UTC
before it (EST, -05:00) and 13:00 UTC after it (EDT, -04:00).
"""

from __future__ import annotations

import email
import email.policy
import io
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import time_machine
import vobject
from dateutil import tz

from rotations.invites.ical import (
    PRODID,
    CalendarEvent,
    InvalidCalendar,
    Method,
    Party,
    build_calendar,
)
from rotations.invites.imip import imip_message, message_id
from tests.helpers import need

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")

ORGANIZER = Party("ops@frontline.example.com", "Frontline")
# Mixed case on purpose: the address must go out exactly as given.
EVE = Party("Eve.Exec@Example.com", "Eve Executive")
BUDDY = Party("bob.buddy@example.com", "Bob Buddy", role="OPT-PARTICIPANT", rsvp=False)
STAMP = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)

# A Monday three weeks before the change; every other week, six times:
# 22 Feb, 8 Mar (EST) | 22 Mar, 5 Apr, 19 Apr, 3 May (EDT).
SERIES_START = datetime(2027, 2, 22, 9, 0, tzinfo=NEW_YORK)
SERIES_DATES = [
    datetime(2027, 2, 22, 9, tzinfo=NEW_YORK),
    datetime(2027, 3, 8, 9, tzinfo=NEW_YORK),
    datetime(2027, 3, 22, 9, tzinfo=NEW_YORK),
    datetime(2027, 4, 5, 9, tzinfo=NEW_YORK),
    datetime(2027, 4, 19, 9, tzinfo=NEW_YORK),
    datetime(2027, 5, 3, 9, tzinfo=NEW_YORK),
]


def shift(**overrides) -> CalendarEvent:
    """A one-hour support shift, stored (as the app stores every time) in UTC."""
    values = dict(
        uid="booking-17@frontline.example.com",
        sequence=0,
        stamp=STAMP,
        start=datetime(2027, 3, 16, 13, 0, tzinfo=UTC),
        end=datetime(2027, 3, 16, 14, 0, tzinfo=UTC),
        summary="Front-line shift: Billing (chat)",
        organizer=ORGANIZER,
        attendees=(EVE,),
        description="Queue brief, with commas; semicolons\nand a second line.",
        location="Room 4.2",
        url="https://frontline.example.com/shifts/17/",
    )
    values.update(overrides)
    return CalendarEvent(**values)


def series(**overrides) -> CalendarEvent:
    values = dict(
        uid="mentoring-42@frontline.example.com",
        sequence=1,
        stamp=STAMP,
        start=SERIES_START.astimezone(UTC),
        end=(SERIES_START + timedelta(hours=1)).astimezone(UTC),
        summary="Mentoring",
        organizer=ORGANIZER,
        attendees=(EVE,),
        time_zone="America/New_York",
        rrule="FREQ=WEEKLY;INTERVAL=2;COUNT=6",
    )
    values.update(overrides)
    return CalendarEvent(**values)


def moved_occurrence() -> CalendarEvent:
    """The 5 April occurrence of the series, moved to 6 April 11:00 New York time."""
    return series(
        rrule="",
        recurrence_id=datetime(2027, 4, 5, 9, tzinfo=NEW_YORK),
        start=datetime(2027, 4, 6, 11, tzinfo=NEW_YORK),
        end=datetime(2027, 4, 6, 12, tzinfo=NEW_YORK),
        summary="Mentoring (moved)",
    )


def parse(data: bytes):
    return vobject.readOne(data.decode("utf-8"))


def unfolded_lines(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "every line must end with CRLF"
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")


def occurrences(data: bytes, start: datetime, end: datetime):
    found = recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(start, end)
    return sorted(found, key=lambda event: event["DTSTART"].dt)


def vtimezones(calendar) -> dict[str, object]:
    return {tz.tzid.value: tz for tz in calendar.contents.get("vtimezone", [])}


def vtimezone_rules(data: bytes, tzid: str):
    """The zone exactly as the calendar's VTIMEZONE defines it, read by dateutil's parser.

    Both vobject and recurring_ical_events resolve a TZID by its name in the system's
    zone database, so they never notice a wrong or short VTIMEZONE; a client without
    that database (Outlook) goes by the VTIMEZONE alone. (vobject's own ``gettzinfo()``
    is no help: it reads only the first value of a multi-valued RDATE.)
    """
    return tz.tzical(io.StringIO(data.decode("utf-8"))).get(tzid)


# --- 1. RFC 5546: what each method must and must not carry -----------------------------


@pytest.mark.parametrize("method", list(Method))
def test_the_vcalendar_names_product_version_and_method(method):
    attendees = () if method is Method.PUBLISH else (EVE,)
    calendar = parse(build_calendar(method, [shift(attendees=attendees)]))

    assert [p.value for p in calendar.contents["prodid"]] == [PRODID]
    assert PRODID.startswith("-//")
    assert [v.value for v in calendar.contents["version"]] == ["2.0"]
    assert [m.value for m in calendar.contents["method"]] == [method.value]


def test_a_request_carries_every_property_rfc_5546_requires():
    data = build_calendar(Method.REQUEST, [shift(sequence=3, attendees=(EVE, BUDDY))])
    calendar = parse(data)

    [event] = calendar.contents["vevent"]
    for name in ("dtstamp", "dtstart", "organizer", "summary", "uid", "sequence", "status"):
        assert len(event.contents.get(name, [])) == 1, f"{name.upper()} must appear exactly once"
    assert event.uid.value == "booking-17@frontline.example.com"
    assert int(event.sequence.value) == 3
    assert event.dtstamp.value == STAMP
    assert event.dtstart.value == datetime(2027, 3, 16, 13, tzinfo=UTC)
    assert event.dtend.value == datetime(2027, 3, 16, 14, tzinfo=UTC)
    assert event.summary.value == "Front-line shift: Billing (chat)"
    assert event.description.value == "Queue brief, with commas; semicolons\nand a second line."
    assert event.status.value == "CONFIRMED"

    [alarm] = event.contents["valarm"]
    assert alarm.action.value == "DISPLAY"
    assert alarm.trigger.value == timedelta(minutes=-15)
    assert alarm.description.value == "Front-line shift: Billing (chat)"

    attendees = {a.value: a.params for a in event.contents["attendee"]}
    assert set(attendees) == {"mailto:Eve.Exec@Example.com", "mailto:bob.buddy@example.com"}
    eve = attendees["mailto:Eve.Exec@Example.com"]
    assert eve["CN"] == ["Eve Executive"]
    assert eve["ROLE"] == ["REQ-PARTICIPANT"]
    assert eve["PARTSTAT"] == ["NEEDS-ACTION"]
    assert eve["RSVP"] == ["TRUE"]
    bob = attendees["mailto:bob.buddy@example.com"]
    assert (bob["CN"], bob["ROLE"], bob["RSVP"]) == (["Bob Buddy"], ["OPT-PARTICIPANT"], ["FALSE"])

    assert event.organizer.value == "mailto:ops@frontline.example.com"
    assert event.organizer.params["CN"] == ["Frontline"]
    assert event.organizer.value.lower() not in {a.lower() for a in attendees}


def test_a_name_with_a_comma_stays_one_quoted_parameter_value():
    comma = Party("eve@example.com", "Exec, Eve")
    data = build_calendar(Method.REQUEST, [shift(attendees=(comma,))])
    event = parse(data).vevent

    assert event.attendee.params["CN"] == ["Exec, Eve"]
    assert event.attendee.value == "mailto:eve@example.com"


def test_a_cancel_names_the_same_event_and_carries_no_alarm():
    request = parse(build_calendar(Method.REQUEST, [shift(sequence=1)])).vevent
    data = build_calendar(Method.CANCEL, [shift(sequence=2)])
    calendar = parse(data)

    [event] = calendar.contents["vevent"]
    assert calendar.method.value == "CANCEL"
    assert event.uid.value == request.uid.value
    assert int(event.sequence.value) == 2
    assert event.status.value == "CANCELLED"
    assert event.dtstamp.value == STAMP
    assert event.organizer.value == "mailto:ops@frontline.example.com"
    assert [a.value for a in event.contents["attendee"]] == ["mailto:Eve.Exec@Example.com"]
    assert "valarm" not in event.contents
    assert b"VALARM" not in data


def test_a_published_feed_names_no_attendee():
    # Attendees handed in by mistake must still not leak into a feed.
    data = build_calendar(Method.PUBLISH, [shift(attendees=(EVE, BUDDY))])
    event = parse(data).vevent

    for name in ("dtstamp", "dtstart", "organizer", "summary", "uid"):
        assert name in event.contents
    assert "attendee" not in event.contents
    assert b"ATTENDEE" not in data
    assert b"Eve.Exec@Example.com" not in data and b"bob.buddy" not in data


@pytest.mark.parametrize("method", [Method.REQUEST, Method.CANCEL])
def test_requests_and_cancellations_need_an_attendee(method):
    with pytest.raises(InvalidCalendar, match=f"a {method} needs at least one ATTENDEE"):
        build_calendar(method, [shift(attendees=())])


@pytest.mark.parametrize("method", [Method.REQUEST, Method.CANCEL])
@pytest.mark.parametrize("address", ["ops@frontline.example.com", "OPS@Frontline.Example.COM"])
def test_the_organizer_is_never_also_an_attendee(method, address):
    with pytest.raises(InvalidCalendar, match="the organizer must not also be an attendee"):
        build_calendar(method, [shift(attendees=(EVE, Party(address, "Ops again")))])


NAIVE = re.escape("times must be aware (stored in UTC)")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        # ends as it starts
        (
            shift(end=datetime(2027, 3, 16, 13, tzinfo=UTC)),
            "event booking-17@frontline.example.com ends before it starts",
        ),
        (shift(start=datetime(2027, 3, 16, 13), end=datetime(2027, 3, 16, 14)), NAIVE),
        (shift(stamp=datetime(2027, 1, 5, 12)), NAIVE),  # DTSTAMP
        (series(exdates=(datetime(2027, 3, 22, 9),)), NAIVE),  # EXDATE
        # 9:00 UTC, not 9:00 in New York: no occurrence starts then, calendars ignore it.
        (
            series(exdates=(datetime(2027, 3, 22, 9, tzinfo=UTC),)),
            "event mentoring-42@frontline.example.com: "
            "an EXDATE must be at the start time of an occurrence",
        ),
        (series(rrule="", recurrence_id=datetime(2027, 4, 5, 9)), NAIVE),  # RECURRENCE-ID
        # An aware start, a naive end: refused, not a TypeError.
        (shift(end=datetime(2027, 3, 16, 23)), NAIVE),
    ],
    ids=[
        "empty",
        "naive-times",
        "naive-stamp",
        "naive-exdate",
        "exdate-off-the-series",
        "naive-recurrence-id",
        "naive-end",
    ],
)
def test_broken_events_are_refused(event, message):
    with pytest.raises(InvalidCalendar, match=message):
        build_calendar(Method.REQUEST, [event])


def test_a_calendar_without_events_is_refused():
    with pytest.raises(InvalidCalendar, match="a calendar message needs at least one event"):
        build_calendar(Method.PUBLISH, [])


def test_the_same_input_gives_the_same_bytes_whenever_it_is_built():
    events = [series(), moved_occurrence(), shift()]
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        first = build_calendar(Method.REQUEST, events)
    with time_machine.travel(datetime(2031, 6, 30, 23, 59, tzinfo=UTC), tick=False):
        second = build_calendar(Method.REQUEST, list(events))

    assert first == second
    # Nothing is invented: the UID and DTSTAMP are the ones passed in, DTSTAMP in UTC
    # even when the stamp came in another offset.
    india = timezone(timedelta(hours=5, minutes=30))
    lines = unfolded_lines(build_calendar(Method.REQUEST, [shift(stamp=STAMP.astimezone(india))]))
    assert sorted(line for line in lines if line.startswith(("UID", "DTSTAMP"))) == [
        "DTSTAMP:20270105T120000Z",
        "UID:booking-17@frontline.example.com",
    ]


def test_every_line_ends_with_crlf_and_is_folded_at_75_octets():
    data = build_calendar(Method.REQUEST, [shift(summary="Café ☕ " * 30)])

    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # folding never splits a multi-byte character
    assert parse(data).vevent.summary.value == "Café ☕ " * 30


def test_a_single_event_without_a_zone_goes_out_in_utc():
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2027, 3, 16, 14, 0, tzinfo=paris)  # 13:00 UTC
    data = build_calendar(Method.REQUEST, [shift(start=start, end=start + timedelta(hours=1))])
    lines = unfolded_lines(data)

    assert "DTSTART:20270316T130000Z" in lines
    assert "DTEND:20270316T140000Z" in lines
    assert "TZID" not in data.decode()
    calendar = parse(data)
    assert "vtimezone" not in calendar.contents
    assert calendar.vevent.dtstart.value.utcoffset() == timedelta(0)
    assert calendar.vevent.dtstart.value == start


@pytest.mark.parametrize(
    ("zone", "start", "local", "offset"),
    [
        ("Europe/London", datetime(2027, 1, 15, 9, tzinfo=UTC), "20270115T090000", 0),
        ("Europe/London", datetime(2027, 7, 1, 8, tzinfo=UTC), "20270701T090000", 1),
        ("America/New_York", datetime(2027, 3, 9, 14, tzinfo=UTC), "20270309T090000", -5),
        ("America/New_York", datetime(2027, 3, 16, 13, tzinfo=UTC), "20270316T090000", -4),
    ],
)
def test_an_event_in_a_zone_has_local_times_and_a_matching_vtimezone(zone, start, local, offset):
    end = start + timedelta(hours=1)
    data = build_calendar(Method.REQUEST, [shift(start=start, end=end, time_zone=zone)])
    lines = unfolded_lines(data)

    assert f"DTSTART;TZID={zone}:{local}" in lines
    assert "DTSTAMP:20270105T120000Z" in lines  # DTSTAMP stays in UTC
    calendar = parse(data)
    assert list(vtimezones(calendar)) == [zone]
    assert calendar.vevent.dtstart.value == start
    # vobject resolves TZID by name, so read the VTIMEZONE's own rules as well.
    rules = vtimezone_rules(data, zone)
    wall = start.astimezone(ZoneInfo(zone)).replace(tzinfo=rules)
    assert wall.utcoffset() == timedelta(hours=offset)
    assert wall.astimezone(UTC) == start


def test_one_vtimezone_per_zone():
    events = [
        shift(uid="a@x", time_zone="America/New_York"),
        shift(uid="b@x", time_zone="Europe/London"),
        shift(
            uid="c@x",
            time_zone="America/New_York",
            start=datetime(2027, 8, 2, 13, tzinfo=UTC),
            end=datetime(2027, 8, 2, 14, tzinfo=UTC),
        ),
        shift(uid="d@x"),
    ]
    calendar = parse(build_calendar(Method.PUBLISH, events))

    assert sorted(vtimezones(calendar)) == ["America/New_York", "Europe/London"]
    assert len(calendar.contents["vtimezone"]) == 2


def test_the_vtimezone_covers_every_occurrence_of_a_long_series():
    # RFC 5545 §3.6.5: a VTIMEZONE referred to by a recurring component MUST give valid
    # time-zone information for all its recurrence instances. Eight yearly occurrences
    # run to July 2034, well past a fixed two-year horizon.
    start = datetime(2027, 7, 1, 9, tzinfo=NEW_YORK)
    event = series(start=start, end=start + timedelta(hours=1), rrule="FREQ=YEARLY;COUNT=8")
    data = build_calendar(Method.REQUEST, [event])
    rules = vtimezone_rules(data, "America/New_York")

    found = occurrences(data, datetime(2027, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC))
    assert len(found) == 8
    for occurrence in found:
        local = occurrence["DTSTART"].dt.astimezone(NEW_YORK)
        assert (local.hour, local.minute) == (9, 0)
        by_vtimezone = local.replace(tzinfo=rules)
        assert by_vtimezone.utcoffset() == timedelta(hours=-4), f"{local:%Y} is EDT"


# --- 2. A recurring series across the March change --------------------------------------


def test_a_series_stays_at_nine_new_york_time_across_daylight_saving():
    data = build_calendar(Method.REQUEST, [series()])
    assert "RRULE:FREQ=WEEKLY;COUNT=6;INTERVAL=2" in unfolded_lines(data)

    found = occurrences(data, datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))

    assert [o["DTSTART"].dt.astimezone(NEW_YORK) for o in found] == SERIES_DATES
    assert [o["DTSTART"].dt.astimezone(UTC).hour for o in found] == [14, 14, 13, 13, 13, 13]
    assert [o["DTEND"].dt.astimezone(NEW_YORK).hour for o in found] == [10] * 6
    assert {str(o["UID"]) for o in found} == {"mentoring-42@frontline.example.com"}

    # vobject's own expansion, from the same bytes, agrees.
    rruleset = parse(data).vevent.getrruleset(addRDate=True)
    assert [moment.astimezone(NEW_YORK) for moment in rruleset] == SERIES_DATES


@pytest.mark.parametrize(
    "excluded",
    [datetime(2027, 3, 22, 9, tzinfo=NEW_YORK), datetime(2027, 3, 22, 13, tzinfo=UTC)],
    ids=["given-local", "given-utc"],
)
def test_an_exdate_removes_exactly_one_occurrence(excluded):
    data = build_calendar(Method.REQUEST, [series(exdates=(excluded,))])
    assert "EXDATE;TZID=America/New_York:20270322T090000" in unfolded_lines(data)

    found = occurrences(data, datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))

    expected = [d for d in SERIES_DATES if d != datetime(2027, 3, 22, 9, tzinfo=NEW_YORK)]
    assert [o["DTSTART"].dt.astimezone(NEW_YORK) for o in found] == expected


@pytest.mark.parametrize(
    "excluded",
    [datetime(2027, 3, 28, 1, 30, tzinfo=UTC), datetime(2027, 3, 28, 2, 30, tzinfo=LONDON)],
    ids=["given-utc", "given-local"],
)
def test_an_exdate_on_a_day_the_clocks_skip_the_series_time_is_accepted(excluded):
    """01:30 does not exist in London on 28 March 2027; RFC 5545 reads it with the offset
    before the change, 01:30 UTC (02:30 summer time): that occurrence can be excluded."""
    start = datetime(2027, 3, 27, 1, 30, tzinfo=LONDON)
    event = series(
        start=start,
        end=start + timedelta(hours=1),
        time_zone="Europe/London",
        rrule="FREQ=DAILY;COUNT=3",
        exdates=(excluded,),
    )
    data = build_calendar(Method.REQUEST, [event])
    found = occurrences(data, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
    assert [o["DTSTART"].dt.astimezone(LONDON).date().day for o in found] == [27, 29]


def test_a_recurrence_id_override_moves_one_occurrence():
    data = build_calendar(Method.REQUEST, [series(), moved_occurrence()])
    calendar = parse(data)

    master, override = calendar.contents["vevent"]
    assert master.uid.value == override.uid.value == "mentoring-42@frontline.example.com"
    assert "rrule" not in override.contents
    assert "RECURRENCE-ID;TZID=America/New_York:20270405T090000" in unfolded_lines(data)
    assert override.recurrence_id.value == datetime(2027, 4, 5, 9, tzinfo=NEW_YORK)

    found = occurrences(data, datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))

    starts = [o["DTSTART"].dt.astimezone(NEW_YORK) for o in found]
    moved = datetime(2027, 4, 6, 11, tzinfo=NEW_YORK)
    assert starts == sorted([d for d in SERIES_DATES if d.day != 5 or d.month != 4] + [moved])
    [moved_event] = [o for o in found if o["DTSTART"].dt == moved]
    assert str(moved_event["SUMMARY"]) == "Mentoring (moved)"
    assert {str(o["SUMMARY"]) for o in found if o is not moved_event} == {"Mentoring"}


# --- 3. iMIP (RFC 6047): the email around the calendar -----------------------------------

MESSAGE_DATE = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
MESSAGE_ID = "<0123456789abcdef0123456789abcdef@frontline.example.com>"
TEXT = "Hello Ève,\n\nYou are booked on Billing (chat), Tuesday 16 March, 09:00.\n"
HTML = "<p>Hello Ève,</p><p>You are booked on <b>Billing (chat)</b>.</p>\n"


def invite(method: Method = Method.REQUEST, calendar: bytes | None = None) -> tuple[bytes, bytes]:
    if calendar is None:
        calendar = build_calendar(method, [shift(summary="Front-line shift: Café ☕")])
    message = imip_message(
        method=method,
        calendar=calendar,
        subject="Invitation: Front-line shift – Billing",
        text=TEXT,
        html=HTML,
        from_email="Frontline <ops@frontline.example.com>",
        to_email="Eve.Exec@Example.com",
        to_name="Ève Executive",
        date=MESSAGE_DATE,
        message_id=MESSAGE_ID,
    )
    return calendar, message


def read(message: bytes):
    return email.message_from_bytes(message, policy=email.policy.default)


@pytest.mark.parametrize(
    ("method", "filename"), [(Method.REQUEST, "invite.ics"), (Method.CANCEL, "cancel.ics")]
)
def test_the_imip_mime_tree(method, filename):
    calendar, raw = invite(method)
    message = read(raw)

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar_part = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    # Text parts travel in canonical form, with CRLF line breaks.
    assert plain.get_content() == TEXT.replace("\n", "\r\n")
    assert html.get_content() == HTML.replace("\n", "\r\n")

    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("charset") == "UTF-8"
    inside = parse(calendar_part.get_payload(decode=True)).method.value
    assert calendar_part.get_param("method") == inside == method.value
    assert calendar_part.get_payload(decode=True) == calendar

    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == filename
    assert attachment.get_payload(decode=True) == calendar


def test_the_imip_message_has_crlf_lines_and_the_headers_it_was_given():
    calendar, raw = invite()

    assert b"\n" not in raw.replace(b"\r\n", b""), "a bare LF in the message"
    assert b"\r" not in raw.replace(b"\r\n", b""), "a bare CR in the message"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    raw.decode("ascii")  # every part is 7-bit: nothing for a relay to re-encode

    message = read(raw)
    assert message["Message-ID"] == MESSAGE_ID
    assert parsedate_to_datetime(message["Date"]) == MESSAGE_DATE
    assert message["Subject"] == "Invitation: Front-line shift – Billing"
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Ève Executive", "Eve.Exec@Example.com")
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Frontline", "ops@frontline.example.com")
    # The calendar keeps its own CRLF line endings through the transfer encoding.
    decoded = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert b"\n" not in decoded.get_payload(decode=True).replace(b"\r\n", b"")


def test_the_imip_message_is_the_same_every_time_but_for_mime_boundaries():
    first, second = read(invite()[1]), read(invite()[1])

    for header in ("Message-ID", "Date", "From", "To", "Subject"):
        assert first[header] == second[header]
    assert [p.get_payload(decode=True) for p in first.walk() if not p.is_multipart()] == [
        p.get_payload(decode=True) for p in second.walk() if not p.is_multipart()
    ]


def test_a_published_feed_is_not_sent_as_imip():
    with pytest.raises(
        ValueError, match="iMIP carries requests and cancellations, not a published feed"
    ):
        invite(Method.PUBLISH, calendar=build_calendar(Method.PUBLISH, [shift()]))


def test_message_ids_are_stable_and_distinct():
    def make(*parts: str) -> str:
        return message_id(*parts, domain="frontline.example.com")

    one = make("booking-17", "2", "REQUEST", "eve@example.com")

    assert re.fullmatch(r"<[0-9a-f]{32}@frontline\.example\.com>", one)
    assert one == make("booking-17", "2", "REQUEST", "eve@example.com")
    assert one != make("booking-17", "3", "REQUEST", "eve@example.com")
    assert one != make("booking-17", "2", "CANCEL", "eve@example.com")
    # Parts are separated, not just glued together.
    assert message_id("ab", "c", domain="x") != message_id("a", "bc", domain="x")


# --- 4. A real CalDAV server (Radicale) -------------------------------------------------


def _radicale_importable() -> bool:
    try:
        import radicale  # noqa: F401 -- only whether it imports
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def radicale():
    need(_radicale_importable(), "Radicale is not installed (pip install Radicale)")
    from tests.caldav import RadicaleServer

    server = RadicaleServer().start()
    server.make_calendar("shifts")
    yield server
    server.stop()


def stored(*events: CalendarEvent) -> bytes:
    """A calendar object resource: built as a feed (PUBLISH), then without METHOD,
    which RFC 4791 §4.1 forbids in stored objects (Radicale would accept it anyway)."""
    from tests.caldav import without_method

    data = without_method(build_calendar(Method.PUBLISH, events))
    assert b"METHOD" not in data
    return data


def test_radicale_refuses_invalid_calendar_objects(radicale):
    # So that a 201 below means something: Radicale does validate what it stores.
    no_uid = stored(shift()).replace(b"UID:booking-17@frontline.example.com\r\n", b"")
    bad_rule = stored(series()).replace(b"INTERVAL=2", b"INTERVAL=two")
    assert b"UID" not in no_uid and b"INTERVAL=two" in bad_rule
    assert radicale.put("shifts", "no-uid.ics", no_uid).status == 400
    assert radicale.put("shifts", "bad-rule.ics", bad_rule).status == 400


@pytest.mark.parametrize(
    "start",
    [datetime(2027, 3, 16, 13, tzinfo=UTC), datetime(2027, 3, 9, 14, tzinfo=UTC)],
    ids=["after-dst", "before-dst"],
)
def test_radicale_stores_a_utc_shift_at_nine_new_york_time(radicale, start):
    name = f"shift-{start:%Y%m%d}.ics"
    event = shift(uid=f"{name}@frontline.example.com", start=start, end=start + timedelta(hours=1))

    put = radicale.put("shifts", name, stored(event))
    assert put.status in (201, 204), (put.status, put.body, radicale.log)

    got = radicale.get("shifts", name)
    assert got.status == 200
    calendar = parse(got.body)
    assert "method" not in calendar.contents
    assert calendar.vevent.uid.value == f"{name}@frontline.example.com"
    local = calendar.vevent.dtstart.value.astimezone(NEW_YORK)
    assert (local.hour, local.minute) == (9, 0)
    assert calendar.vevent.dtstart.value == start
    # The server's own reading: the event overlaps its hour, and not the hour before.
    assert name in radicale.events_between("shifts", start, start + timedelta(minutes=30))
    assert name not in radicale.events_between("shifts", start - timedelta(hours=1), start)


def test_radicale_stores_the_recurring_series_at_nine_new_york_time(radicale):
    put = radicale.put("shifts", "series.ics", stored(series()))
    assert put.status in (201, 204), (put.status, put.body, radicale.log)

    got = radicale.get("shifts", "series.ics")
    assert got.status == 200
    event = parse(got.body).vevent
    assert event.dtstart.value.astimezone(NEW_YORK) == SERIES_START
    rruleset = event.getrruleset(addRDate=True)
    assert [moment.astimezone(NEW_YORK) for moment in rruleset] == SERIES_DATES
    year = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    found = occurrences(got.body, *year)
    assert [o["DTSTART"].dt.astimezone(NEW_YORK) for o in found] == SERIES_DATES

    # Radicale expands the series itself: each occurrence is where 09:00 New York is in
    # UTC that day, not an hour off on the other side of the change.
    for occurrence in SERIES_DATES:
        moment = occurrence.astimezone(UTC)
        assert "series.ics" in radicale.events_between(
            "shifts", moment, moment + timedelta(minutes=30)
        )
        assert "series.ics" not in radicale.events_between(
            "shifts", moment - timedelta(hours=1), moment
        ), f"an occurrence an hour early near {occurrence:%d %b}"
        assert "series.ics" not in radicale.events_between(
            "shifts", moment + timedelta(hours=1), moment + timedelta(hours=2)
        ), f"an occurrence an hour late near {occurrence:%d %b}"


def test_radicale_honours_the_exdate_and_the_moved_occurrence(radicale):
    from tests.caldav import without_method

    # The invitation as a client would store it after accepting it: the REQUEST
    # (attendees, alarm and all) with METHOD removed.
    data = without_method(
        build_calendar(
            Method.REQUEST,
            [series(exdates=(datetime(2027, 3, 22, 9, tzinfo=NEW_YORK),)), moved_occurrence()],
        )
    )
    # A calendar of its own: one UID may live only once in a collection.
    radicale.make_calendar("changes")
    put = radicale.put("changes", "series-changed.ics", data)
    assert put.status in (201, 204), (put.status, put.body, radicale.log)

    def on(moment: datetime) -> bool:
        return "series-changed.ics" in radicale.events_between(
            "changes", moment, moment + timedelta(minutes=30)
        )

    assert on(datetime(2027, 3, 8, 9, tzinfo=NEW_YORK))
    assert not on(datetime(2027, 3, 22, 9, tzinfo=NEW_YORK))  # excluded
    assert not on(datetime(2027, 4, 5, 9, tzinfo=NEW_YORK))  # moved away…
    assert on(datetime(2027, 4, 6, 11, tzinfo=NEW_YORK))  # …to here
    assert on(datetime(2027, 4, 19, 9, tzinfo=NEW_YORK))
