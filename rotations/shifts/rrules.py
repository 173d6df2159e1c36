"""Recurrence rules (RFC 5545 RRULE) for shift patterns: which rules are accepted, and
their days expanded in a queue's own time zone.

A pattern's rule picks days; the shifts' times are the pattern's start and end time.
Only the parts a lead needs are accepted, each within its range: dateutil would take
much more, some of which (an ordinal weekday with FREQ=DAILY, the 30th of February)
loop day by day up to the year 9999 or fail half-way through the expansion.
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import UTC, date, datetime, time

from dateutil import parser as date_parser
from dateutil.rrule import rrule, rrulestr
from django.core.exceptions import ValidationError

from rotations.common.timezones import local_moment

log = logging.getLogger(__name__)

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
KNOWN_PARTS = (
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MONTH_LENGTHS = {
    1: 31,
    2: 29,
    3: 31,
    4: 30,
    5: 31,
    6: 30,
    7: 31,
    8: 31,
    9: 30,
    10: 31,
    11: 30,
    12: 31,
}
# ASCII digits only: Python's \d and int() take "٣" or "３" too, which no calendar does.
BYDAY_ITEM = re.compile(r"^([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
UNTIL_VALUE = re.compile(r"^[0-9]{8}(T[0-9]{6})?$")
NUMBER = re.compile(r"^[+-]?[0-9]{1,4}$")
UNTIL_IN_RULE = re.compile(r"(?:^|[;:])UNTIL=([^;]*)")


def validate_rrule(rule: str) -> str:
    """The rule, normalised; a ValidationError that says what is wrong otherwise."""
    rule = rule.strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[6:]
    if re.search(r"[\s:]", rule):
        raise ValidationError(
            "Write only the rule's parts, on one line (e.g. FREQ=WEEKLY;BYDAY=TU,TH): the first day and "
            "the days to skip have fields of their own."
        )
    parts: dict[str, str] = {}
    for part in filter(None, rule.split(";")):
        if "=" not in part:
            raise ValidationError(f"“{part}” is not NAME=VALUE (e.g. FREQ=WEEKLY;BYDAY=TU,TH).")
        name, value = (text.upper() for text in part.split("=", 1))
        if name in parts:
            raise ValidationError(f"{name} appears twice in the rule.")
        parts[name] = value
    _check_parts(parts)
    if len(parts.get("UNTIL", "")) == 8:
        # "Until 30 June" includes 30 June, as the form's date field does.
        parts["UNTIL"] += "T235959"
    normalised = ";".join(f"{name}={value}" for name, value in parts.items())
    try:
        rrulestr(normalised, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError, IndexError, OverflowError) as exc:
        raise ValidationError(f"Not a valid recurrence rule: {exc}") from exc
    return normalised


def _check_parts(parts: dict[str, str]) -> None:
    freq = parts.get("FREQ", "")
    if freq not in FREQUENCIES:
        raise ValidationError("The rule needs FREQ=DAILY, WEEKLY or MONTHLY.")
    if "DTSTART" in parts:
        raise ValidationError("Give the first date separately, not as DTSTART in the rule.")
    if any(name in parts for name in TIME_PARTS):
        raise ValidationError(
            "The rule picks days only: the shifts' times are the start and end time."
        )
    unknown = [name for name in parts if name not in KNOWN_PARTS]
    if unknown:
        allowed = f"{', '.join(KNOWN_PARTS[:-1])} and {KNOWN_PARTS[-1]}"
        raise ValidationError(f"The rule may use {allowed}; not {', '.join(unknown)}.")
    _check_numbers(
        parts,
        "INTERVAL",
        1,
        52,
        "INTERVAL is how many days, weeks or months apart the shifts are: 1 to 52.",
    )
    _check_numbers(
        parts, "COUNT", 1, 1000, "COUNT is how many shifts the pattern makes: 1 to 1000."
    )
    _check_numbers(parts, "BYMONTH", 1, 12, "BYMONTH lists months, 1 to 12.")
    _check_numbers(
        parts,
        "BYMONTHDAY",
        -31,
        31,
        "BYMONTHDAY lists days of the month, 1 to 31 (or -1 for the last).",
    )
    _check_numbers(
        parts,
        "BYSETPOS",
        -31,
        31,
        "BYSETPOS picks the n-th of the days (1 to 31, or -1 for the last).",
    )
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValidationError("Give UNTIL or COUNT, not both.")
    if "UNTIL" in parts and not _is_until(parts["UNTIL"]):
        raise ValidationError(
            "Write UNTIL as a date, 20270630 (that day included), or as the queue's local date and time, "
            "20270630T170000."
        )
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise ValidationError("WKST is a weekday: MO, TU, WE, TH, FR, SA or SU.")
    if "BYDAY" in parts:
        items = parts["BYDAY"].split(",")
        if len(set(items)) < len(items):
            raise ValidationError("BYDAY lists a day twice: list each once.")
        for item in items:
            match = BYDAY_ITEM.match(item)
            ordinal = int(match[1]) if match and match[1] else None
            if not match or (
                ordinal is not None and (freq != "MONTHLY" or not 1 <= abs(ordinal) <= 5)
            ):
                raise ValidationError(
                    "BYDAY lists weekdays (MO,TU,WE,TH,FR,SA,SU); a number before one (1MO, -1FR: the first "
                    "Monday, the last Friday) only with FREQ=MONTHLY, from -5 to 5."
                )
    if freq == "WEEKLY" and "BYMONTHDAY" in parts:
        raise ValidationError("BYMONTHDAY does not go with FREQ=WEEKLY: use FREQ=MONTHLY.")
    if "BYSETPOS" in parts and freq != "MONTHLY":
        raise ValidationError("BYSETPOS goes with FREQ=MONTHLY only.")
    _check_month_days(parts)
    _check_set_positions(parts)


def _check_numbers(parts: dict[str, str], name: str, low: int, high: int, message: str) -> None:
    if name not in parts:
        return
    values = parts[name].split(",")
    if not all(NUMBER.match(value) for value in values):
        raise ValidationError(message)
    numbers = [int(value) for value in values]
    if any(n == 0 or not low <= n <= high for n in numbers):
        raise ValidationError(message)
    if len(set(numbers)) < len(numbers):
        raise ValidationError(f"{name} lists a value twice: list each once.")


def _is_until(value: str) -> bool:
    if not UNTIL_VALUE.match(value):
        return False
    try:
        datetime.strptime(value, "%Y%m%dT%H%M%S" if "T" in value else "%Y%m%d")
    except ValueError:
        return False
    return True


def _check_month_days(parts: dict[str, str]) -> None:
    """Refuse month days no chosen month has (30 February): dateutil would search for
    them day by day up to the year 9999."""
    if "BYMONTHDAY" not in parts:
        return
    days = [int(d) for d in parts["BYMONTHDAY"].split(",")]
    months = (
        [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else list(MONTH_LENGTHS)
    )
    if not any(abs(d) <= MONTH_LENGTHS[m] for d in days for m in months):
        raise ValidationError("No month in this rule has those days (BYMONTHDAY).")


def _check_set_positions(parts: dict[str, str]) -> None:
    """Refuse a BYSETPOS past the most days the rule can pick in any month (the 3rd of
    two month days): dateutil would search for it month by month up to the year 9999."""
    if "BYSETPOS" not in parts:
        return
    positions = [int(p) for p in parts["BYSETPOS"].split(",")]
    most = _most_days_in_a_month(parts)
    if all(abs(p) > most for p in positions):
        picks = f"{most} day{'s' if most != 1 else ''}"
        raise ValidationError(
            f"BYSETPOS picks the n-th of the days the rule gives in a month, and this rule gives at most {picks} "
            "in a month."
        )


def _most_days_in_a_month(parts: dict[str, str]) -> int:
    """An upper bound of the days a FREQ=MONTHLY rule gives in one month."""

    def _byday_days(item: str) -> int:
        ordinal = BYDAY_ITEM.match(item)
        return 1 if ordinal and ordinal[1] else 5

    bounds = []
    if "BYDAY" in parts:
        # An ordinal weekday (1MO) is one day; a plain weekday is at most five.
        bounds.append(sum(_byday_days(item) for item in parts["BYDAY"].split(",")))
    if "BYMONTHDAY" in parts:
        days = [int(d) for d in parts["BYMONTHDAY"].split(",")]
        months = (
            [int(m) for m in parts["BYMONTH"].split(",")]
            if "BYMONTH" in parts
            else list(MONTH_LENGTHS)
        )
        # February counted at 28 and at 29 days: -28 is the 2nd in one and the 1st in the other.
        lengths = {
            length for m in months for length in ((28, 29) if m == 2 else (MONTH_LENGTHS[m],))
        }
        bounds.append(
            max(
                len({d if d > 0 else length + 1 + d for d in days if abs(d) <= length})
                for length in lengths
            )
        )
    # Neither: the first day's day of the month, once a month.
    return min(bounds, default=1)


def rule_until(rule: str) -> datetime | None:
    """The rule's UNTIL, read as dateutil reads it (which keeps it only in a private
    attribute); None without one. A date alone means its midnight: rules are stored with
    the day's end written out (``validate_rrule``). Rules stored before that validation
    may spell UNTIL in any way dateutil accepted then (2027-06-30, 20270630T1700)."""
    match = UNTIL_IN_RULE.search(rule.upper())
    return date_parser.parse(match[1]) if match else None


WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def never_reached_weekdays(rule: str, starts_on: date) -> str | None:
    """Why a daily rule can never give a day, or None: stepping ``INTERVAL`` days from
    ``starts_on`` reaches only some weekdays (every 7th day is always the same one), and
    a BYDAY of none of them matches nothing. dateutil would look for a match day by day
    up to the year 9999 (half a second a rule here, and more for larger steps)."""
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    if parts.get("FREQ") != "DAILY" or "BYDAY" not in parts:
        return None
    step = int(parts.get("INTERVAL", "1"))
    reached = {(starts_on.weekday() + k * step) % 7 for k in range(7)}
    wanted = {WEEKDAY_CODES.index(code[-2:]) for code in parts["BYDAY"].split(",")}
    if reached & wanted:
        return None
    days = ", ".join(WEEKDAY_CODES[day] for day in sorted(reached))
    return (
        f"Every {step} days from {starts_on:%A %-d %b %Y} falls only on {days}, never on "
        f"BYDAY={parts['BYDAY']}: the rule would give no days. Change the first day, the "
        "interval or the weekdays."
    )


def is_open_ended(rule: str) -> bool:
    rule = rule.upper()
    return "UNTIL=" not in rule and "COUNT=" not in rule


def pattern_occurrences(
    *,
    rule: str,
    starts_on: date,
    start_time: time,
    end_time: time,
    exdates: list[str],
    zone,
    until: datetime,
    since: date | None = None,
    skip_missing_times: bool = False,
) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of every occurrence from the day ``since`` (all, by default)
    that starts by ``until``, expanded in ``zone``'s local time.

    A day whose times the clocks skip (daylight saving) is refused, so that the lead picks
    another time or skips the day; with ``skip_missing_times`` it is left out instead (the
    beat has nobody to ask).
    """
    recurrence = rrulestr(rule, dtstart=datetime.combine(starts_on, start_time))
    if not isinstance(recurrence, rrule):  # a rule stored before validate_rrule refused sets
        raise ValidationError("This rule cannot be expanded: it holds more than one rule.")
    limit = until.astimezone(zone).replace(tzinfo=None)
    own_until = rule_until(rule)
    if own_until is None or own_until > limit:
        # With COUNT too, dateutil warns that RFC 5545 forbids both in one rule; here the
        # bound only cuts the expansion short, it is never written back.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            recurrence = recurrence.replace(until=limit)
    skipped = {date.fromisoformat(d) for d in exdates}
    result = []
    try:
        days = [local_start.date() for local_start in recurrence]
    except (ValueError, IndexError, OverflowError) as exc:
        raise ValidationError(f"This rule cannot be expanded: {exc}") from exc
    for day in days:
        if day in skipped or (since is not None and day < since):
            continue
        try:
            result.append(
                (
                    local_moment(day, start_time, zone).astimezone(UTC),
                    local_moment(day, end_time, zone).astimezone(UTC),
                )
            )
        except ValidationError:
            if not skip_missing_times:
                raise
            log.info(
                "%s: %s–%s does not exist in %s (daylight saving), left out",
                day,
                start_time,
                end_time,
                zone,
            )
    return result
