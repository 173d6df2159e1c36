"""``{{ pattern.rrule|recurrence:pattern.starts_on }}``: a pattern's RRULE in words a lead
reads at a glance ("Every Tue and Thu from 2 Mar 2027 until 30 Jun 2027")."""

from __future__ import annotations

from datetime import date, datetime

from django import template

register = template.Library()

DAYS = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat", "SU": "Sun"}
ORDINALS = {
    1: "first",
    2: "second",
    3: "third",
    4: "fourth",
    5: "fifth",
    -1: "last",
    -2: "second-to-last",
    -3: "third-to-last",
    -4: "fourth-to-last",
    -5: "fifth-to-last",
}
UNITS = {"DAILY": ("day", "days"), "WEEKLY": ("week", "weeks"), "MONTHLY": ("month", "months")}
# Parts this description covers; a rule with any other is shown as written.
KNOWN = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT", "WKST"}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _day(code: str) -> str:
    """MO → Mon; 1MO → first Mon; -1FR → last Fri."""
    name = DAYS[code[-2:]]
    if len(code) == 2:
        return name
    return f"{ORDINALS[int(code[:-2])]} {name}"


@register.filter
def recurrence(rule: str, starts_on: date | None = None) -> str:
    try:
        parts = dict(part.split("=", 1) for part in rule.upper().split(";"))
        if set(parts) - KNOWN:
            return rule
        singular, plural = UNITS[parts["FREQ"]]
        interval = int(parts.get("INTERVAL", "1"))
        text = f"Every {singular}" if interval == 1 else f"Every {interval} {plural}"
        if "BYDAY" in parts:
            days = _and([_day(code) for code in parts["BYDAY"].split(",")])
            if parts["FREQ"] == "MONTHLY":
                text += f" on the {days}"
            elif interval == 1:
                text = f"Every {days}"
            else:
                text += f" on {days}"
        if "BYMONTHDAY" in parts:
            monthdays = [int(day) for day in parts["BYMONTHDAY"].split(",")]
            if any(day < -1 or day == 0 for day in monthdays):
                return rule
            text += " on " + _and(
                [f"day {day}" if day > 0 else "the last day" for day in monthdays]
            )
        if starts_on:
            text += f" from {starts_on:%-d %b %Y}"
        if "UNTIL" in parts:
            text += f" until {datetime.strptime(parts['UNTIL'][:8], '%Y%m%d'):%-d %b %Y}"
        if "COUNT" in parts:
            count = int(parts["COUNT"])
            text += f", {count} time{'s' if count != 1 else ''}"
        return text
    except (KeyError, ValueError):
        return rule


@register.filter
def skip_days(days: list[str]) -> str:
    """A pattern's skip dates as people write them: "24 Dec 2026, 31 Dec 2026"."""
    try:
        return ", ".join(f"{date.fromisoformat(day):%-d %b %Y}" for day in days)
    except (TypeError, ValueError):
        return ", ".join(map(str, days))
