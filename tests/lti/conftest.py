"""The tool's HTTP routes and the test platform, both served over real HTTP on loopback.

The platform fetches the tool's JWKS and the tool fetches the platform's, so neither can be a
TestClient: each runs with uvicorn in a thread of the test process. An httpx client with a cookie
jar plays the browser (following redirects and submitting the auto-post forms).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from course.__main__ import main
from course.store.db import Store
from course.ui import resources
from course.ui.auth_routes import MIDDLEWARE, ROUTES  # as streamlit_app.py serves them
from tests.lti.platform import Platform, free_port

REPO = Path(__file__).resolve().parents[2]
FIXTURE_COURSE = REPO / "tests" / "content" / "good"


@dataclass
class Served:
    url: str
    server: uvicorn.Server

    def stop(self) -> None:
        self.server.should_exit = True


def serve_tool() -> Served:
    port = free_port()
    config = uvicorn.Config(
        Starlette(routes=ROUTES, middleware=MIDDLEWARE),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, name="tool", daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the tool routes did not start")
        time.sleep(0.05)
    return Served(f"http://127.0.0.1:{port}", server)


@pytest.fixture
def lti_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("COURSE_PUBLIC_URL", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(FIXTURE_COURSE))
    yield resources.store()
    resources.forget(resources.store())


@pytest.fixture
def tool(lti_store: Store) -> Iterator[Served]:
    served = serve_tool()
    yield served
    served.stop()


@pytest.fixture
def platform(tool: Served) -> Iterator[Platform]:
    running = Platform(tool_base=tool.url)
    running.serve()
    assert main(["lti", "add-platform", *running.add_platform_args()]) == 0
    yield running
    running.stop()


@pytest.fixture
def new_browser() -> Iterator[Callable[..., httpx.Client]]:
    """Another browser (its own cookie jar); all are closed after the test."""
    opened: list[httpx.Client] = []

    def make(**options: Any) -> httpx.Client:
        client = httpx.Client(timeout=30, **options)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def browser(new_browser: Callable[..., httpx.Client]) -> httpx.Client:
    return new_browser()


def form_of(html: str) -> tuple[str, dict[str, str]]:
    """The action and the fields of the first form in a page (what an auto-submit script would post)."""
    action = re.search(r'<form[^>]*action="([^"]*)"', html)
    assert action, html
    fields = {
        unescape(n): unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }
    return unescape(action.group(1)), fields


def launch(browser: httpx.Client, platform: Platform, who: str, message: str) -> httpx.Response:
    """A launch as a browser makes it: platform page, tool login, platform auth, form POST to the tool."""
    auth_page = browser.get(platform.start_url(who, message), follow_redirects=True)
    assert auth_page.status_code == 200, auth_page.text
    action, fields = form_of(auth_page.text)
    return browser.post(action, data=fields)


def handoff_of(page: httpx.Response) -> str:
    found = re.search(r'url=([^"]+)"', page.text)
    assert found, page.text
    return unescape(found.group(1))
