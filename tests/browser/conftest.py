"""Run the real app (streamlit run) on a free local port and drive it with Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO / "artifacts" / "screenshots"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.extra_args = extra_args  # more `streamlit run` options, e.g. --secrets.files
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "COURSE_DATA_DIR": str(self.data_dir)}
        env.pop("DATABASE_URL", None)
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                "--server.headless", "true", "--server.port", str(self.port),
                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *self.extra_args,
            ],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the app did not become ready within 60 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    running = Server(tmp_path / "data")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        yield context.new_page()
        browser.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, step: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{step}.png"), full_page=True)

    return take


# --- Helpers shared by the accessibility, keyboard and XSS tests --------------------------------

AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "a long enough password"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def settle(page: Any, timeout: int = 20_000) -> None:
    """Wait until Streamlit has finished the current script run and painted its result."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(250)  # the last delta is applied a frame after the state flips


def add_user(server: Server, *, role: str, email: str, name: str, password: str = PASSWORD) -> None:
    """Create an account straight in the server's database (the command line's `users add`)."""
    from course import accounts
    from course.accounts import Role
    from course.clock import utcnow
    from course.store.db import Store, database_url

    store = Store.open(database_url({"COURSE_DATA_DIR": str(server.data_dir)}))
    try:
        accounts.create_user_admin(
            store, email=email, display_name=name, password=password, role=Role(role), now=utcnow()
        )
    finally:
        store.close()


def sign_up_in_browser(page: Any, server: Server, name: str, email: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat the password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    settle(page)


def sign_in_in_browser(page: Any, server: Server, email: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/")  # the sign-in page is the default page, served only at "/"
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    settle(page)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per test module; each test opens its own context (cookies are per context)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One app for a whole test module (starting one costs seconds); tests use distinct accounts."""
    running = Server(tmp_path_factory.mktemp("app") / "data")
    running.start()
    yield running
    running.stop()
