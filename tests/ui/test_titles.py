"""Each screen titles its browser tab (issue 19: every tab was titled "Relational Prescribing").

AppTest keeps no page config, so the test records the titles the run asks for; the last one is
the tab's (``st.set_page_config`` may be called several times, later calls win). The browser
test tests/browser/test_address_bar.py reads ``document.title`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import streamlit as st

from course import assessment
from course.accounts import User
from course.store.db import Store
from course.ui.titles import tab_title
from tests.ui.conftest import signed_in

MakeUser = Callable[..., User]


@pytest.fixture
def asked_titles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    asked: list[str] = []
    real = st.set_page_config

    def record(*args: Any, **kwargs: Any) -> None:
        if kwargs.get("page_title"):
            asked.append(kwargs["page_title"])
        real(*args, **kwargs)

    monkeypatch.setattr(st, "set_page_config", record)
    yield asked


@pytest.mark.parametrize(
    ("page", "query", "expected"),
    [
        ("course/ui/pages/home.py", {}, "Home · Relational Prescribing"),
        ("course/ui/pages/modules.py", {}, "Modules · Relational Prescribing"),
        ("course/ui/pages/modules.py", {"id": "second"}, "A second module · Modules · Relational Prescribing"),
        ("course/ui/pages/vignettes.py", {}, "Cases · Relational Prescribing"),
        ("course/ui/pages/vignettes.py", {"id": "case"}, "A fixture case · Cases · Relational Prescribing"),
        ("course/ui/pages/glossary.py", {}, "Glossary · Relational Prescribing"),
        ("course/ui/pages/glossary.py", {"term": "transference"}, "Transference · Glossary · Relational Prescribing"),
        ("course/ui/pages/assessment.py", {}, "Assessment · Relational Prescribing"),
        ("course/ui/pages/progress.py", {}, "Progress · Relational Prescribing"),
        ("course/ui/pages/portfolio.py", {}, "CPD portfolio · Relational Prescribing"),
        ("course/ui/pages/account.py", {}, "Account · Relational Prescribing"),
    ],
)
def test_each_screen_has_its_own_tab_title(
    app_store: Store, make_user: MakeUser, asked_titles: list[str], page: str, query: dict[str, str], expected: str
) -> None:
    at = signed_in(app_store, make_user(), page, **query)
    assert not at.exception
    assert asked_titles[-1] == expected


def test_an_attempts_review_is_titled_with_its_number(
    app_store: Store, make_user: MakeUser, asked_titles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURSE_ASSESSMENT_ITEMS", "5")
    monkeypatch.setenv("COURSE_RETAKE_LIMIT", "0")
    monkeypatch.setenv("COURSE_RETAKE_COOLDOWN_HOURS", "0")
    user = make_user()
    at = signed_in(app_store, user, "course/ui/pages/assessment.py")
    at.button(key="start-attempt").click().run()
    attempt = assessment.open_attempt(app_store, user)
    assert attempt is not None
    at.checkbox[0].check().run()
    for box in at.checkbox[1:]:
        box.check().run()
    at.button(key="submit-attempt").click().run()
    assert not at.exception
    assert asked_titles[-1] == "Review of attempt 1 · Assessment · Relational Prescribing"


def test_tab_title_collapses_blanks() -> None:
    assert tab_title("  Ms H:\n her  sister ", "", "Cases") == "Ms H: her sister · Cases · Relational Prescribing"
