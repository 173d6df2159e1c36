"""Times as people read them: "Tue 3 Mar 14:00", with the year only when it is not this one."""

from django import template

from ..timezones import day_and_time

register = template.Library()


@register.filter
def day_time(moment):
    """In the active time zone (the viewer's); empty for no time."""
    return day_and_time(moment) if moment else ""
