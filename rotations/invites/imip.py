"""iMIP (RFC 6047): an iCalendar request or cancellation as an email.

The tree every major client turns into accept / decline buttons::

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; charset=UTF-8; method=REQUEST   (the method matches the METHOD inside)
      application/ics; name=invite.ics                 (the same calendar, as a file)
"""

from __future__ import annotations

import base64
import hashlib
import quopri
from datetime import datetime
from email import policy
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr

from rotations.invites.ical import Method

_WIRE = policy.compat32.clone(linesep="\r\n")


def message_id(*parts: str, domain: str) -> str:
    """A Message-ID that is the same every time for the same parts."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def imip_message(
    *,
    method: Method,
    calendar: bytes,
    subject: str,
    text: str,
    html: str,
    from_email: str,
    to_email: str,
    to_name: str,
    date: datetime,
    message_id: str,
) -> bytes:
    """The message as the bytes that go on the wire (CRLF line endings)."""
    if method is Method.PUBLISH:
        raise ValueError("iMIP carries requests and cancellations, not a published feed")
    if f"METHOD:{method.value}\r\n".encode() not in calendar:
        raise ValueError(f"the calendar's METHOD is not {method.value}")  # RFC 6047 2.4
    # The classic MIME classes build the same tree as the modern API several times
    # faster, which counts when a worker renders thousands of invites. Quoted-printable
    # and base64 keep every part 7-bit, so no relay re-encodes it (a re-encoded calendar
    # can lose its CRLF line endings).
    alternative = MIMEMultipart("alternative")
    alternative.attach(_part("text", "plain", _quoted(text), "quoted-printable", charset="utf-8"))
    alternative.attach(_part("text", "html", _quoted(html), "quoted-printable", charset="utf-8"))
    alternative.attach(
        _part("text", "calendar", _base64(calendar), "base64", charset="UTF-8", method=method.value)
    )
    filename = "invite.ics" if method is Method.REQUEST else "cancel.ics"
    attachment = _part("application", "ics", _base64(calendar), "base64", name=filename)
    attachment["Content-Disposition"] = f'attachment; filename="{filename}"'
    message = MIMEMultipart("mixed", _subparts=[alternative, attachment])
    message["From"] = formataddr(parseaddr(from_email), charset="utf-8")
    message["To"] = formataddr((to_name, to_email), charset="utf-8")
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    return message.as_bytes(policy=_WIRE)


def _part(maintype: str, subtype: str, payload: str, encoding: str, **params) -> MIMENonMultipart:
    part = MIMENonMultipart(maintype, subtype, policy=policy.compat32, **params)
    del part["MIME-Version"]
    part.set_payload(payload)
    part["Content-Transfer-Encoding"] = encoding
    return part


def _quoted(text: str) -> str:
    crlf = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return quopri.encodestring(crlf.encode("utf-8")).decode("ascii")


def _base64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")
