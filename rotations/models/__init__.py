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
    "Channel",
    "Department",
    "Level",
    "Person",
    "Queue",
    "Shift",
    "ShiftPattern",
]
