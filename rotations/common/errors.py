"""The one kind of error a product rule raises, for pages and API alike."""

from __future__ import annotations


class Refused(Exception):
    """A rule of the product stopped the request.

    ``code`` is stable, for programs (the API's ``code``); ``message`` is for the person
    who asked, in their words. Each domain names its own subclass (``BookingRefused``,
    ``InsightRefused``, …) so a page can catch just the refusals of what it does; the
    API answers any of them the same way (``rotations.api.errors``).
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
