"""AppTest fixtures: the app runs against the fixture course and a fresh SQLite file per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from course import accounts
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from course.ui import resources

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "streamlit_app.py")
FIXTURE_COURSE = REPO / "tests" / "content" / "good"


@pytest.fixture
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(FIXTURE_COURSE))
    yield resources.store()
    resources.forget(resources.store())


@pytest.fixture
def make_user(app_store: Store) -> Callable[..., User]:
    def make(role: Role = Role.LEARNER, email: str = "learner@example.org", name: str = "Lee Learner") -> User:
        return accounts.create_user_admin(
            app_store, email=email, display_name=name, password="correct horse battery", role=role, now=utcnow()
        )

    return make


def signed_in(app_store: Store, user: User, page: str | None = None, **query: str) -> AppTest:
    """An AppTest whose session carries a real session token (AppTest has no cookies)."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["auth_token"] = accounts.start_session(app_store, user.id, now=utcnow())
    at.run()
    if page is not None:
        for key, value in query.items():
            at.query_params[key] = value
        at.switch_page(page)
        at.run()
    return at


def texts(elements: object) -> list[str]:
    """The values of an AppTest element list (titles, errors, markdown, ...) as strings."""
    return [str(getattr(e, "value", "")) for e in elements]  # type: ignore[attr-defined]


def vega_charts(at: AppTest) -> dict[str, tuple[dict[str, object], list[object]]]:
    """Every Vega-Lite chart on the page by title: its spec and its datasets as pandas frames."""
    import json

    import pyarrow as pa

    found: dict[str, tuple[dict[str, object], list[object]]] = {}
    for element in at.get("vega_lite_chart"):
        proto = element.proto  # type: ignore[attr-defined]
        spec = json.loads(proto.spec)
        title = spec.get("title")
        name = title.get("text") if isinstance(title, dict) else title
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in proto.datasets]
        found[str(name)] = (spec, frames)
    return found


def choose_answer(at: AppTest, key: str, value: str) -> None:
    """Pick an assessment answer as the browser does, then redraw the page for the next step.

    Saving reruns only the paper's status and finish fragments, and AppTest's tree then holds just
    what that run drew (no radios). The browser keeps the rest of the page, so a full run restores
    the same view.
    """
    at.radio(key=key).set_value(value).run()
    assert not at.radio and at.get("progress"), "saving an answer should rerun only the status fragments"
    at.run()
