from .insights import Insight, InsightCategory, InsightStatus, Severity, Tag
from .outbox import CalendarFeed, EmailKind, EmailStatus, OutgoingEmail
from .people import Department, Level, Person
from .shifts import (
    SEAT_HOLDING,
    Booking,
    BookingStatus,
    CalendarChange,
    CalendarChangeKind,
    Channel,
    Queue,
    Shift,
    ShiftPattern,
)

__all__ = [
    "SEAT_HOLDING",
    "Booking",
    "BookingStatus",
    "CalendarChange",
    "CalendarChangeKind",
    "CalendarFeed",
    "Channel",
    "Department",
    "EmailKind",
    "EmailStatus",
    "Insight",
    "InsightCategory",
    "InsightStatus",
    "Level",
    "OutgoingEmail",
    "Person",
    "Queue",
    "Shift",
    "Severity",
    "ShiftPattern",
    "Tag",
]
