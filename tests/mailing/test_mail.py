"""SMTP settings and delivery through a real (local) SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from course import mail
from tests.smtp import Inbox, body, smtp_env

PUBLIC = "https://course.example.org"


def test_email_is_off_unless_a_host_is_set() -> None:
    settings = mail.load_smtp({}, secrets_file=None)
    assert not settings.enabled
    with pytest.raises(mail.EmailNotConfigured, match="COURSE_SMTP_HOST"):
        settings.require_ready()


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"COURSE_SMTP_HOST": "mail.example.org"}, "COURSE_SMTP_FROM"),
        ({"COURSE_SMTP_HOST": "m", "COURSE_SMTP_FROM": "c@x.org", "COURSE_SMTP_SECURITY": "tls13"}, "SECURITY"),
        ({"COURSE_SMTP_HOST": "m", "COURSE_SMTP_FROM": "c@x.org", "COURSE_SMTP_PORT": "99999"}, "PORT"),
    ],
)
def test_settings_that_cannot_work_are_refused_with_what_to_set(env: dict[str, str], problem: str) -> None:
    with pytest.raises(mail.EmailNotConfigured, match=problem):
        mail.load_smtp(env, secrets_file=None)


def test_links_need_the_public_address() -> None:
    settings = mail.load_smtp({"COURSE_SMTP_HOST": "m", "COURSE_SMTP_FROM": "c@x.org"}, secrets_file=None)
    with pytest.raises(mail.EmailNotConfigured, match="COURSE_PUBLIC_URL"):
        settings.require_ready()


def test_secrets_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[smtp]\nhost = "smtp.example.org"\nfrom = "course@example.org"\nport = 465\nsecurity = "ssl"\n')
    settings = mail.load_smtp({"COURSE_SMTP_PORT": "2465"}, secrets_file=secrets)
    assert (settings.host, settings.port, settings.security, settings.sender) == (
        "smtp.example.org",
        2465,
        "ssl",
        "course@example.org",
    )


def test_a_message_reaches_the_server_with_one_click_unsubscribe_headers(smtp: Inbox) -> None:
    settings = mail.load_smtp()
    msg = mail.message(settings, "lee@example.org", "Hello", "Body text\n", unsubscribe_url=f"{PUBLIC}/email/u?t=1")
    mail.send(settings, msg)
    [received] = smtp.wait_for("lee@example.org")
    assert received["Subject"] == "Hello" and body(received) == "Body text\n"
    assert received["List-Unsubscribe"] == f"<{PUBLIC}/email/u?t=1>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["Auto-Submitted"] == "auto-generated"


def test_an_unreachable_server_is_a_clear_failure() -> None:
    from tests.smtp import free_port

    env = smtp_env(free_port())  # nothing listens there
    settings = mail.load_smtp(env, secrets_file=None)
    with pytest.raises(mail.EmailFailed, match=r"could not send email through 127\.0\.0\.1"):
        mail.send(settings, mail.message(settings, "a@example.org", "s", "b"))
