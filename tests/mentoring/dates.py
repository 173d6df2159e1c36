"""The moments the mentoring tests share: when their clock starts (conftest.py's
``clock``) and when the spring cycle's sessions fall."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 20, 15, 0, tzinfo=UTC)

# Ada's sessions in the ``org`` fixture's spring cycle: Tuesdays every other week at 10:00
# New York time from 2 February to the end of April; the US clocks change on 14 March 2027.
ADA_SESSIONS = [
    datetime(2027, m, d, 10, tzinfo=NEW_YORK)
    for m, d in ((2, 2), (2, 16), (3, 2), (3, 16), (3, 30), (4, 13), (4, 27))
]
