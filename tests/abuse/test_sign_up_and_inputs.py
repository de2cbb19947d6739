"""Sign-up tells nothing new about existing accounts, refuses look-alike emails, and every text box
has a length limit the server enforces (issue 16), through the real pages (AppTest)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from course import accounts
from course.accounts import User
from course.glossary import MAX_QUERY_CHARS
from course.store.db import Store
from tests.smtp import Inbox, body
from tests.ui.conftest import APP, REPO, signed_in, texts

MakeUser = Callable[..., User]
PASSWORD = "a long enough password"


def sign_up(email: str, name: str = "Sam Trainee") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("course/ui/pages/sign_up.py").run()
    fields = at.text_input
    fields[0].input(name)
    fields[1].input(email)
    fields[2].input(PASSWORD)
    fields[3].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    return at


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = accounts._hasher

    class Spy:
        def hash(self, password: str) -> str:
            seen.append(password)
            return real.hash(password)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setattr(accounts, "_hasher", Spy())
    return seen


def test_sign_up_with_a_taken_email_costs_a_hash_and_tells_the_owner(
    app_store: Store, make_user: MakeUser, smtp: Inbox, hashes: list[str]
) -> None:
    make_user(email="lee@example.org", name="Lee Learner")
    hashes.clear()
    at = sign_up("LEE@example.org", name="Mallory")
    assert not at.error and "Your account for lee@example.org is ready" in texts(at.success)[0].replace("\u2060", "")
    assert hashes == [PASSWORD]  # the same work as creating an account
    [note] = smtp.wait_for("lee@example.org")
    assert "tried to create a new Relational Prescribing account" in body(note)
    assert "Mallory" not in body(note)


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("\u0430lice@example.org", accounts.EMAIL_LOOKALIKE),
        ("al\u200bice@example.org", accounts.EMAIL_FORMAT_CHARACTER),
        ("a@[127.0.0.1]", accounts.EMAIL_LITERAL),
    ],
)
def test_sign_up_page_refuses_look_alike_emails(
    app_store: Store, make_user: MakeUser, email: str, problem: str
) -> None:
    make_user(email="alice@example.org", name="Alice")
    at = sign_up(email)
    assert texts(at.error) == [problem]
    assert "handoff_url" not in at.session_state


def test_full_width_email_signs_up_as_its_plain_form(app_store: Store) -> None:
    sign_up("\uff33am@Example.org")
    assert accounts.find_user_by_email(app_store, "sam@example.org") is not None


def test_glossary_search_is_bounded_on_the_server(
    app_store: Store, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search box had no limit: a raw websocket client could send 100 kB to fuzzy matching."""
    from course import glossary
    from course.ui import glossary_view

    searched: list[int] = []

    def spy(index: glossary.GlossaryIndex, query: str, **kwargs: object) -> list[glossary.SearchHit]:
        searched.append(len(query))
        return glossary.search(index, query)

    monkeypatch.setattr(glossary_view, "search", spy)
    at = signed_in(app_store, make_user(), "course/ui/pages/glossary.py")
    box = next(t for t in at.text_input if t.label == "Search terms")
    box.set_value("projective identification " * 4000).run()  # what a raw websocket client can send
    assert not at.exception
    assert searched and max(searched) <= MAX_QUERY_CHARS


def test_glossary_engine_refuses_an_over_long_query(app_store: Store) -> None:
    from course import glossary
    from course.ui import resources

    index = glossary.build_index(resources.content().course)
    with pytest.raises(glossary.QueryTooLong, match=f"at most {MAX_QUERY_CHARS} characters"):
        glossary.search(index, "x" * (MAX_QUERY_CHARS + 1))
    assert glossary.search(index, "x" * MAX_QUERY_CHARS) == []


def _text_boxes() -> list[tuple[str, int, set[str]]]:
    found = []
    for path in sorted((REPO / "course" / "ui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("text_input", "text_area")
            ):
                found.append((str(Path(path).relative_to(REPO)), node.lineno, {k.arg for k in node.keywords if k.arg}))
    return found


# Boxes whose text must never be cut: Streamlit silently truncates a value at max_chars, so these
# have none, and their engine entry point refuses an over-long value with a message instead while
# the box keeps the text (reflections.MAX_TITLE_CHARS / MAX_ANSWER_CHARS, ReflectionError).
ENGINE_CHECKED = {"course/ui/portfolio_view.py"}


def test_every_text_box_states_its_length_limit() -> None:
    """max_chars is enforced by Streamlit on the server (it cuts the value); the rest the engine refuses."""
    boxes = _text_boxes()
    assert len(boxes) >= 15
    missing = [
        f"{path}:{line}" for path, line, keywords in boxes if "max_chars" not in keywords and path not in ENGINE_CHECKED
    ]
    assert missing == []
