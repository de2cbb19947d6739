"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives, for email tests."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> list[EmailMessage]:
        """The messages to `address`, once at least `count` have arrived (polling; the sender is async)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s) to {address}, got {len(self.to(address))}")


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def link(message: EmailMessage, path: str) -> str:
    """The first URL in the message whose path starts with `path` (e.g. "/reset")."""
    found = re.search(r"https?://[^\s]+" + re.escape(path) + r"[^\s]*", body(message))
    assert found, f"no {path} link in:\n{body(message)}"
    return found.group(0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def smtp_env(port: int, public_url: str = "https://course.example.org") -> dict[str, str]:
    """The settings that point the app at the local server (plain SMTP on loopback)."""
    return {
        "COURSE_SMTP_HOST": "127.0.0.1",
        "COURSE_SMTP_PORT": str(port),
        "COURSE_SMTP_SECURITY": "none",
        "COURSE_SMTP_FROM": "Relational Prescribing <course@example.org>",
        "COURSE_PUBLIC_URL": public_url,
    }
