"""``{{ pattern.rrule|recurrence }}``: a pattern's RRULE in words a lead reads at a glance."""

from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()

DAYS = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat", "SU": "Sun"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
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
def recurrence(rule: str) -> str:
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
            text += " on day " + _and(parts["BYMONTHDAY"].split(","))
        if "UNTIL" in parts:
            text += f", until {datetime.strptime(parts['UNTIL'][:8], '%Y%m%d'):%-d %b %Y}"
        if "COUNT" in parts:
            count = int(parts["COUNT"])
            text += f", {count} time{'s' if count != 1 else ''}"
        return text
    except (KeyError, ValueError):
        return rule
