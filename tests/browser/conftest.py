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

# Every browser wait is sized for a loaded machine: CI's suite beside two busy-loop processes on
# 2 cores (bench/browser_under_load.py). Waits are for the state an action produces, never for time.
WAIT_MS = 60_000
# Starting `streamlit run` (imports, content, migrations) on that machine.
START_SECONDS = 90.0


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
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with code {self.process.returncode} while starting")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the app did not become ready within {START_SECONDS:.0f} s")

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


def generous_waits() -> None:
    """Every expect() waits up to WAIT_MS (Playwright's default is 5 s): the machine may be busy."""
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    generous_waits()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
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


def settle(page: Any, timeout: int = WAIT_MS) -> None:
    """Wait until Streamlit has finished the current script run and painted its result."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function(_SERVER_QUIET, arg=QUIET_MS, timeout=timeout)
    page.wait_for_load_state("networkidle", timeout=timeout)
    next_frames(page)  # the last delta is applied a frame after the state flips


_COUNT_SCRIPT_STATE_CHANGES = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__scriptStateChanges = 0;
    if (window.__scriptStateObserver) window.__scriptStateObserver.disconnect();
    window.__scriptStateObserver = new MutationObserver(records => { window.__scriptStateChanges += records.length; });
    window.__scriptStateObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    return window.__wsReceived || 0;
}"""
# A run has been answered when the script state flipped, or when the server sent messages: on a loaded
# machine the browser can take "running" and "notRunning" in one React render, so the attribute never
# changes. It has finished when the state says so and no message has come for QUIET_MS.
QUIET_MS = 300
_SERVER_QUIET = "(quietMs) => !window.__wsLastAt || performance.now() - window.__wsLastAt > quietMs"
_RUN_FINISHED = """([before, quietMs]) => {
    const answered = window.__scriptStateChanges > 0 || (window.__wsReceived || 0) > before;
    const quiet = !window.__wsLastAt || performance.now() - window.__wsLastAt > quietMs;
    const state = document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state');
    return answered && quiet && state === 'notRunning';
}"""


def run_and_settle(page: Any, action: Callable[[], Any], timeout: int = WAIT_MS) -> None:
    """Do `action` (a click or key press that makes Streamlit rerun) and wait until that run has finished.

    settle() alone can return before the run starts: right after a click the page still says
    "notRunning" until the server's first message arrives, which on a loaded machine takes a while.
    Use this only for actions that always rerun the script (a button, a changed widget value).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = page.evaluate(_COUNT_SCRIPT_STATE_CHANGES)
    action()
    try:
        page.wait_for_function(_RUN_FINISHED, arg=[before, QUIET_MS], timeout=timeout)
    except PlaywrightTimeout:
        received = page.evaluate("() => window.__wsReceived") - before
        state = page.get_attribute('[data-testid="stApp"]', "data-test-script-state")
        raise AssertionError(
            f"no finished run within {timeout} ms of the action: {received} messages from the server since, "
            f"script state {state!r} (0 messages: the action reached nothing that reruns)"
        ) from None
    settle(page, timeout)


# Every page counts the messages its websockets receive (window.__wsReceived) and when the last one
# came (window.__wsLastAt, ms): the one sign of a script run that React's batching cannot hide.
_COUNT_MESSAGES = """(() => {
    if (window.__wsCounting) return;
    window.__wsCounting = true;
    window.__wsReceived = 0;
    window.__wsLastAt = 0;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', () => {
                window.__wsReceived += 1;
                window.__wsLastAt = performance.now();
            });
        }
    };
})();"""


def _count_messages_on_every_page() -> None:
    """Add `_COUNT_MESSAGES` to every page a test opens (Browser.new_page and BrowserContext.new_page)."""
    from playwright.sync_api import Browser, BrowserContext

    for owner in (Browser, BrowserContext):
        original = owner.new_page
        if getattr(original, "counts_messages", False):
            continue

        def new_page(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            opened = _original(self, *args, **kwargs)
            opened.add_init_script(_COUNT_MESSAGES)
            return opened

        new_page.counts_messages = True  # type: ignore[attr-defined]
        owner.new_page = new_page  # type: ignore[method-assign]


_count_messages_on_every_page()


def next_frames(page: Any, frames: int = 2) -> None:
    """Wait until the browser has painted `frames` more frames (what the page shows has been drawn)."""
    page.evaluate(
        """(frames) => new Promise(resolve => {
            const step = (left) => left ? requestAnimationFrame(() => step(left - 1)) : resolve();
            step(frames);
        })""",
        frames,
    )


_WATCH_CLICKS = """(button) => {
    window.__clickLanded = null;
    document.addEventListener('click', (event) => {
        if (window.__clickLanded === null) window.__clickLanded = button.contains(event.target);
    }, {capture: true, once: true});
}"""


def wait_until_still(locator: Any, timeout: int = WAIT_MS, readings: int = 5, every_ms: int = 100) -> None:
    """Wait until `locator`'s box has not moved for `readings` readings `every_ms` apart.

    Playwright's own check (the same box in two animation frames) passes while a lazily loaded
    neighbour, such as a dataframe opening in an expander, is still to push the element down; a
    click aimed then lands where the element was (seen on a loaded machine: 97 px above it).
    """
    deadline = time.monotonic() + timeout / 1000
    last, same = None, 0
    while same < readings:
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator} kept moving for {timeout} ms")
        box = locator.bounding_box()
        same = same + 1 if box is not None and box == last else 0
        last = box
        time.sleep(every_ms / 1000)


class _ClickMissed(Exception):
    """The click landed beside the button (the layout moved under the pointer)."""


def download_by_clicking(page: Any, button: Any, timeout: int = WAIT_MS) -> bytes:
    """Click a download button as a learner would and return the downloaded file's bytes.

    Waits for the button to be enabled and still, then clicks. A click that provably landed beside
    the button (the layout moved under the pointer) is made again, at most three times in all; a
    click that reached it waits the whole `timeout` for the download, and fails the test without one.
    """
    from playwright.sync_api import expect

    expect(button).to_be_enabled(timeout=timeout)
    for _ in range(3):
        wait_until_still(button, timeout)
        button.evaluate(_WATCH_CLICKS)
        try:
            with page.expect_download(timeout=timeout) as info:
                button.click(timeout=timeout)
                # The click's listeners have run when click() returns; leaving the block by raising
                # stops waiting for a download that this click cannot start.
                if page.evaluate("() => window.__clickLanded") is False:
                    raise _ClickMissed
        except _ClickMissed:
            continue
        return Path(info.value.path()).read_bytes()
    raise AssertionError("three clicks on the download button all landed beside it")


def add_user(server: Server, *, role: str, email: str, name: str, password: str = PASSWORD) -> None:
    """Create an account straight in the server's database (the command line's `users add`)."""
    from course.store.db import Store, database_url

    store = Store.open(database_url({"COURSE_DATA_DIR": str(server.data_dir)}))
    try:
        add_user_to_store(store, role=role, email=email, name=name, password=password)
    finally:
        store.close()


def add_user_to_store(store: Any, *, role: str, email: str, name: str, password: str = PASSWORD) -> Any:
    """Create an account in an open Store (any database, e.g. PostgreSQL behind nginx); returns the User."""
    from course import accounts
    from course.accounts import Role
    from course.clock import utcnow

    return accounts.create_user_admin(
        store, email=email, display_name=name, password=password, role=Role(role), now=utcnow()
    )


def sign_up_in_browser(page: Any, server: Server, name: str, email: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat the password").fill(password)
    page.get_by_role("button", name="Create account").click()
    sign_in_after_sign_up(page, password)
    expect(page.get_by_text("Signed in as")).to_be_visible()
    settle(page)


def sign_in_after_sign_up(page: Any, password: str = PASSWORD) -> None:
    """Sign-up answers a new and a taken address alike (issue 16), so it never signs in: the page
    then shows the sign-in form with the address filled in. Sign in there."""
    from playwright.sync_api import expect

    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_in_browser(page: Any, server: Server, email: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/signin")  # "/" is the public course page
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
    generous_waits()
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
