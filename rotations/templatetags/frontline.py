import zoneinfo

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def in_zone(value, zone_name: str):
    """A stored UTC time as it reads in another zone (e.g. the queue's local time)."""
    if value is None:
        return value
    return timezone.localtime(value, zoneinfo.ZoneInfo(zone_name))
