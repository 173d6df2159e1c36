"""Times as people read them: "Tue 3 Mar 14:00", with the year only when it is not this one."""

from django import template

from rotations.common.timezones import day_and_time, zone_named

register = template.Library()


@register.filter
def day_time(moment, zone_name: str = ""):
    """In the active time zone (the viewer's), or in the one named; empty for no time."""
    if not moment:
        return ""
    return day_and_time(moment, zone_named(zone_name) if zone_name else None)
