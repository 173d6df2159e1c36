"""Logs that never carry a calendar feed's secret.

A feed's address is its secret (``/calendar/<token>.ics``, rotations/invites/urls.py):
whoever reads it reads the person's schedule. Calendar apps fetch it every few minutes,
so it would otherwise sit in every access log line they cause and in Django's "Not Found"
warnings for a renewed address. Both write it as ``/calendar/[secret].ics``.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

FEED_SECRET = re.compile(r"(/calendar/)[^/?#\s\"]+(\.ics)")


def redact(text: str) -> str:
    return FEED_SECRET.sub(r"\1[secret]\2", text)


class GunicornLogger(Logger):
    """gunicorn's logger (``--logger-class``) with every access-log field redacted (the
    request line, the path, the referer and the headers alike) and its error log's lines
    ("Error handling request /calendar/…", tracebacks included) formatted redacted."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(RedactingFormatter(self.error_fmt, self.datefmt))

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


class RedactingFormatter(logging.Formatter):
    """The whole formatted record, traceback included, with feed secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
