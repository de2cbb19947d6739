"""The client address used for rate limits behind a local reverse proxy (deploy/'s nginx).

Streamlit reports a loopback peer as None (st.context.ip_address). Before the fix that None was not
a trusted proxy, so every learner behind nginx on 127.0.0.1 shared one "unknown" bucket: 20
sign-ins a minute for the whole deployment, and one client's flood locked everyone out.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from course.ui import session


def _context(ip: str | None, forwarded: str | None) -> SimpleNamespace:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return SimpleNamespace(context=SimpleNamespace(ip_address=ip, headers=headers))


@pytest.mark.parametrize(
    ("ip", "forwarded", "trusted", "expected"),
    [
        (None, "203.0.113.7", "127.0.0.1", "203.0.113.7"),  # behind the local nginx: the learner's address
        (None, "198.51.100.2, 203.0.113.7", "127.0.0.1", "203.0.113.7"),  # a forged first hop is ignored
        (None, "203.0.113.7", "", "127.0.0.1"),  # no trusted proxy: the header is not believed
        ("192.0.2.9", "203.0.113.7", "127.0.0.1", "192.0.2.9"),  # a direct remote peer is not our proxy
    ],
)
def test_learners_behind_a_local_proxy_get_their_own_address(
    monkeypatch: pytest.MonkeyPatch, ip: str | None, forwarded: str | None, trusted: str, expected: str
) -> None:
    monkeypatch.setenv("COURSE_TRUSTED_PROXIES", trusted)
    monkeypatch.setattr(session, "st", _context(ip, forwarded))
    assert session.client_address() == expected
