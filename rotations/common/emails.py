"""Email's one renderer (``render_email_content``), the MIME bytes the outbox stores, and
account mail handed to a worker once the transaction commits."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage as PyEmailMessage
from email.utils import format_datetime, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string

from rotations.common.jobs import enqueue

# Subjects and plain-text bodies are rendered by an engine that does not escape for
# HTML (settings.TEMPLATES): "Billing & refunds" stays so in a subject line.
PLAIN_TEXT_ENGINE = "plain_text"


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def render_email_content(template_prefix: str, context: dict) -> EmailContent:
    """Every email's words, from a template triple: ``<prefix>_subject.txt`` (plain text,
    folded onto one line), ``<prefix>.txt`` (plain text) and ``<prefix>.html``."""
    subject = render_to_string(f"{template_prefix}_subject.txt", context, using=PLAIN_TEXT_ENGINE)
    return EmailContent(
        subject=" ".join(subject.split()),
        text=render_to_string(f"{template_prefix}.txt", context, using=PLAIN_TEXT_ENGINE),
        html=render_to_string(f"{template_prefix}.html", context),
    )


def message_to_dict(message: EmailMessage) -> dict:
    """A JSON-safe form of a plain or multipart-alternative message, for a task argument."""
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [content, mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }


def message_from_dict(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data.get("cc") or None,
        bcc=data.get("bcc") or None,
        reply_to=data.get("reply_to") or None,
        headers=data.get("headers") or None,
    )
    for content, mimetype in data.get("alternatives", []):
        message.attach_alternative(content, mimetype)
    return message


def send_later(message: EmailMessage) -> None:
    """Send through the Celery worker once the current transaction has committed."""
    enqueue("send_email", message_to_dict(message))


def mime_message(
    *, subject: str, text: str, html: str, to_email: str, to_name: str, date, message_id: str
) -> bytes:
    """A plain and HTML message as wire bytes, for the outbox to store and resend as is."""
    message = PyEmailMessage(policy=policy.SMTP)
    from_name, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message["From"] = Address(from_name, addr_spec=from_address)
    message["To"] = Address(to_name, addr_spec=to_email)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message.as_bytes()
