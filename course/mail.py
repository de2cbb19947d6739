"""Sending email over SMTP with the standard library (smtplib, email.message). Off unless configured.

Settings come from ``[smtp]`` in ``.streamlit/secrets.toml``, each overridden by an environment
variable: ``COURSE_SMTP_HOST`` (no host: email is off), ``COURSE_SMTP_PORT`` (default 587),
``COURSE_SMTP_SECURITY`` (``starttls``, the default; ``ssl`` for implicit TLS, usually port 465; or
``none`` for a relay on the same machine), ``COURSE_SMTP_USERNAME``, ``COURSE_SMTP_PASSWORD`` and
``COURSE_SMTP_FROM`` (the sender address, required). Links in emails use ``COURSE_PUBLIC_URL``
(course.site), never the address a request came in on, so a forged Host header cannot redirect a
password-reset link to another site.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from course import formatting
from course.accounts import User
from course.site import load_site, read_secrets

SECURITY_MODES = ("starttls", "ssl", "none")
_FIELDS = ("host", "port", "security", "username", "password", "from")


class EmailNotConfigured(RuntimeError):
    """Email is off (no SMTP host) or its settings are incomplete; the message says what to set."""


class EmailFailed(RuntimeError):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""
    sender: str = ""
    public_url: str = ""  # where links in emails point (COURSE_PUBLIC_URL)
    timeout_seconds: float = 20.0

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def require_ready(self) -> None:
        """Raise EmailNotConfigured unless email is on and complete enough to send links."""
        if not self.enabled:
            raise EmailNotConfigured("Email is off: set COURSE_SMTP_HOST (or [smtp] host in secrets.toml).")
        if not self.public_url:
            raise EmailNotConfigured("Set COURSE_PUBLIC_URL so that links in emails point at this site.")


def load_smtp(env: Mapping[str, str] = os.environ, secrets_file: Path | None = None) -> SmtpSettings:
    """Read and check the SMTP settings. Raises EmailNotConfigured for settings that cannot work."""
    settings = read_secrets("smtp", secrets_file)
    raw: dict[str, str] = {}
    for name in _FIELDS:
        value = str(env.get(f"COURSE_SMTP_{name.upper()}", "") or settings.get(name, "") or "").strip()
        if value:
            raw[name] = value
    host = raw.get("host", "")
    if not host:
        return SmtpSettings(public_url=load_site(env, secrets_file).public_url)
    security = raw.get("security", "starttls").lower()
    if security not in SECURITY_MODES:
        raise EmailNotConfigured(f"COURSE_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}.")
    port_text = raw.get("port", "465" if security == "ssl" else "587")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise EmailNotConfigured(f"COURSE_SMTP_PORT must be a port number, not {port_text!r}.")
    sender = raw.get("from", "")
    if "@" not in parseaddr(sender)[1]:
        raise EmailNotConfigured("Set COURSE_SMTP_FROM to the address emails come from, e.g. course@example.org.")
    return SmtpSettings(
        host=host,
        port=int(port_text),
        security=security,
        username=raw.get("username", ""),
        password=raw.get("password", ""),
        sender=sender,
        public_url=load_site(env, secrets_file).public_url,
    )


def message(
    settings: SmtpSettings, to: str, subject: str, body: str, *, unsubscribe_url: str | None = None
) -> EmailMessage:
    """A plain-text email. With ``unsubscribe_url`` it carries RFC 2369/8058 one-click unsubscribe headers."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=parseaddr(settings.sender)[1].partition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(body)
    return msg


def send(settings: SmtpSettings, msg: EmailMessage) -> None:
    """Deliver one message. Raises EmailNotConfigured when email is off, EmailFailed when delivery fails."""
    if not settings.enabled:
        raise EmailNotConfigured("Email is off: set COURSE_SMTP_HOST (or [smtp] host in secrets.toml).")
    context = ssl.create_default_context()
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_seconds, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.username:
                client.login(settings.username, settings.password)
            client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise EmailFailed(f"could not send email through {settings.host}:{settings.port}: {exc}") from exc


def recipient_zone(user: User) -> ZoneInfo:
    """The zone every date in an email to this person is written in: their stored zone, else UTC."""
    return formatting.zone_or_utc(user.time_zone)


Sender = Callable[[SmtpSettings, EmailMessage], None]

# One background sender per process: a page never waits for the SMTP server, so answering a
# password-reset request takes the same time whether or not an email goes out.
_background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="course-mail")
_log = logging.getLogger(__name__)


def send_in_background(settings: SmtpSettings, msg: EmailMessage, sender: Sender = send) -> Future[None]:
    """Queue one message for the background sender; a failure is logged for the operator, never shown."""

    def deliver() -> None:
        try:
            sender(settings, msg)
        except (EmailFailed, EmailNotConfigured) as exc:
            _log.warning("email not sent: %s", exc)
            raise

    return _background.submit(deliver)


__all__ = [
    "EmailFailed",
    "EmailNotConfigured",
    "SmtpSettings",
    "load_smtp",
    "message",
    "recipient_zone",
    "send",
    "send_in_background",
]
