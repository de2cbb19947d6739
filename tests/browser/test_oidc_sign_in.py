"""Single sign-on in a real browser against a local OpenID provider (oidc-provider-mock, from PyPI).

The app runs with an ``[auth]`` section pointing at the provider and a role mapping. An educator
signs in through the provider and gets the educator role from her ``groups`` claim; an identity
whose email belongs to a local account, and one without an email, each see why they are not
signed in and sign out of the provider to get back to a working sign-in page.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import START_SECONDS, WAIT_MS, Server, add_user, free_port, settle

pytestmark = pytest.mark.browser

IDENTITIES = [
    {"sub": "ed", "email": "ed@org.example", "name": "Ed Educator", "groups": ["staff", "educators"]},
    {"sub": "taken", "email": "lena@example.org", "name": "Lena at the provider"},
    {"sub": "no-email", "name": "Nomi No-Email"},
]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The provider in a process of its own (its warnings must not meet pytest's warnings-as-errors)."""
    port = free_port()
    users = [arg for claims in IDENTITIES for arg in ("--user-claims", json.dumps(claims))]
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), *users],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.terminate()
                raise RuntimeError("the OIDC provider did not start") from None
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def app(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("oidc")
    secrets = folder / "secrets.toml"
    running = Server(folder / "data", extra_args=("--secrets.files", str(secrets)))
    secrets.write_text(
        f"""[auth]
redirect_uri = "{running.url}/oauth2callback"
cookie_secret = "a cookie secret used only by this test"
client_id = "relational-prescribing"
client_secret = "test-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[course_oidc]
role_claim = "groups"
educator_values = ["educators"]
admin_values = ["course-admins"]
""",
        encoding="utf-8",
    )
    running.start()
    add_user(running, role="learner", email="lena@example.org", name="Lena Local")
    yield running
    running.stop()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def _sign_in_as(page: Any, app: Server, sub: str) -> None:
    page.goto(f"{app.url}/signin")  # "/" is the public course page
    page.get_by_role("button", name="Sign in with your organisation").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name=sub, exact=True).click()


def test_an_educator_signs_in_through_the_provider_with_her_mapped_role(
    app: Server, page: Any, shot: Callable[[Any, str], None]
) -> None:
    _sign_in_as(page, app, "ed")
    expect(page.get_by_text("Signed in as")).to_be_visible()
    expect(page.get_by_text("(educator)")).to_be_visible()
    expect(page.get_by_role("link", name="Cohorts")).to_be_visible()  # the Teach section
    settle(page)
    shot(page, "educator-signed-in")


@pytest.mark.parametrize(
    ("sub", "reason"),
    [("taken", "An account with this email already exists"), ("no-email", "did not share an email address")],
)
def test_an_identity_the_course_cannot_take_says_why_and_signs_out_of_the_provider(
    app: Server, page: Any, sub: str, reason: str, shot: Callable[[Any, str], None]
) -> None:
    _sign_in_as(page, app, sub)
    expect(page.get_by_text(reason)).to_be_visible()
    # A reload lands on the same explanation, never on an error page.
    page.reload()
    expect(page.get_by_text(reason)).to_be_visible()
    expect(page.get_by_text("This app has encountered an error")).to_have_count(0)
    settle(page)
    shot(page, f"{sub}-explained")
    page.get_by_role("button", name="Sign out of your organisation's sign-in").click()
    expect(page.get_by_role("heading", name="End Session")).to_be_visible()  # the provider's own page
    page.get_by_role("button", name="End session").click()
    # Back at the course, signed out: the public course page, and the sign-in page offers the provider again.
    expect(page.get_by_role("heading", name="Relational Prescribing", exact=True)).to_be_visible()
    expect(page.get_by_text(reason)).to_have_count(0)
    page.goto(f"{app.url}/signin")
    expect(page.get_by_role("button", name="Sign in with your organisation")).to_be_visible()
    expect(page.get_by_text(reason)).to_have_count(0)
