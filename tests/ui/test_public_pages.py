"""What a signed-out visitor sees: the course page, the sample case, gated deep links, password reset."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from course import accounts, passwords, site
from course.accounts import User
from course.clock import utcnow
from course.store.db import Store
from course.store.models import EventRow, ReflectionRow
from course.ui import public_view
from tests.cpd.helpers import COURSE
from tests.smtp import Inbox, link
from tests.ui.conftest import APP, signed_in, texts

MakeUser = Callable[..., User]
SAMPLE = "course/ui/pages/sample.py"
FORGOT = "course/ui/pages/forgot_password.py"
RESET = "course/ui/pages/reset_password.py"


def _all(at: AppTest) -> str:
    parts = texts(at.markdown) + texts(at.caption) + [e.label for e in at.expander] + texts(at.header)
    return "\n".join(parts + texts(at.subheader) + [p.proto.label for p in at.get("page_link")])


def test_the_course_page_says_what_who_objectives_parts_sources_accreditation_and_privacy(app_store: Store) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert texts(at.header) == [
        "What the course is",
        "Who it is for",
        "Modules, cases and learning objectives",
        "Accreditation",
        "Authors and sources",
        "Privacy notice",
    ]
    shown = _all(at)
    assert "Module 1: A first module · 10 min" in shown and "A fixture case" in shown
    objective = COURSE.modules["first"].meta.objectives[0].text
    assert objective in shown
    assert site.NOT_ACCREDITED in texts(at.markdown)  # honest by default
    assert "One cookie keeps you signed in" in shown and "download everything" in shown
    assert "Try a case without an account" in shown and "Sign in" in shown


def test_the_accreditation_statement_and_authors_are_configurable(
    app_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURSE_ACCREDITATION", "Approved for 3 CPD credits by the Example College.")
    monkeypatch.setenv("COURSE_AUTHORS", "Written by Dr A and Dr B.")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "Approved for 3 CPD credits by the Example College." in texts(at.markdown)
    assert "Written by Dr A and Dr B." in texts(at.markdown)
    assert site.NOT_ACCREDITED not in texts(at.markdown)


def _counts(store: Store) -> tuple[int, int]:
    with store.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(EventRow)).scalar_one(),
            conn.execute(select(func.count()).select_from(ReflectionRow)).scalar_one(),
        )


def test_the_sample_plays_the_first_decision_without_an_account_and_stores_nothing(app_store: Store) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(SAMPLE).run()
    assert texts(at.title) == ["Try a case"]
    at.button(key="sample-start").click().run()
    assert "The patient asks for another change." in at.get("html")[0].proto.body
    assert "Therapeutic alliance **5 / 10**" in texts(at.caption)[1]
    at.button(key="sample-continue-intro").click().run()
    at.button[0].click().run()  # Decide with nothing chosen
    assert texts(at.warning) == ["Choose what you would do first."]
    at.radio[0].set_value("talk")
    at.button[0].click().run()
    assert not at.exception
    assert any("Naming the relationship can contain both of you." in m for m in texts(at.markdown))
    assert texts(at.success) == ["That was the first decision of this case. The full case goes on from here."]
    assert {"Create a free account", "Sign in"} <= {p.proto.label for p in at.get("page_link")}
    assert _counts(app_store) == (0, 0)
    at.button(key="sample-again").click().run()
    assert at.button(key="sample-continue-intro")


def test_a_gated_deep_link_says_what_is_behind_it() -> None:
    heading, summary = public_view.teaser(COURSE, "modules", {"id": "first"}, "Modules")
    assert heading == "Sign in to read the module “A first module”"
    assert summary is not None and COURSE.modules["first"].meta.summary in summary
    assert public_view.teaser(COURSE, "vignettes", {"id": "case"}, "Cases")[0] == (
        "Sign in to play the case “A fixture case”"
    )
    term = next(iter(COURSE.glossary.values()))
    assert public_view.teaser(COURSE, "glossary", {"term": term.id}, "Glossary") == (
        f"Sign in to read the glossary entry “{term.term}”",
        term.short,
    )
    for params in ({"id": "../../etc/passwd"}, {"id": "x" * 5000}, {}):
        assert public_view.teaser(COURSE, "modules", params, "Modules") == ("Sign in to open Modules", None)
    assert public_view.teaser(COURSE, "portfolio", {}, "CPD portfolio") == ("Sign in to open CPD portfolio", None)


def test_without_email_the_forgotten_password_page_says_whom_to_ask(app_store: Store) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(FORGOT).run()
    assert not at.exception and not at.text_input
    assert "does not send email" in texts(at.info)[0]


def test_a_password_reset_by_email_through_the_local_smtp_server(
    app_store: Store, make_user: MakeUser, smtp: Inbox
) -> None:
    passwords.reset_limiter()
    make_user(email="lee@example.org")
    answers = []
    for email in ("lee@example.org", "nobody@example.org"):
        at = AppTest.from_file(APP, default_timeout=30).run()
        at.switch_page(FORGOT).run()
        at.text_input[0].input(email)
        at.button[0].click().run()
        assert not at.exception
        answers.append(texts(at.success))
    assert answers[0] == answers[1] == [passwords.REQUEST_ANSWER]  # the same answer either way
    [message] = smtp.wait_for("lee@example.org")
    assert not smtp.to("nobody@example.org")
    url = link(message, "/reset")
    assert url.startswith("https://course.example.org/reset?token=")  # COURSE_PUBLIC_URL, never the Host header
    token = url.split("token=")[1]

    at = AppTest.from_file(APP, default_timeout=30).run()
    at.query_params["token"] = token
    at.switch_page(RESET).run()
    assert texts(at.title) == ["Choose a new password"]
    at.text_input[0].input("a brand new password")
    at.text_input[1].input("a brand new password")
    at.button[0].click().run()
    assert not at.exception
    assert "Your password has been changed" in texts(at.success)[0]
    assert accounts.authenticate(app_store, email="lee@example.org", password="a brand new password", now=utcnow())

    again = AppTest.from_file(APP, default_timeout=30).run()
    again.query_params["token"] = token
    again.switch_page(RESET).run()
    assert texts(again.error) == [passwords.LINK_INVALID] and not again.text_input
    passwords.reset_limiter()


def test_a_signed_in_learner_sees_the_course_page_without_sign_in_links(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), "course/ui/pages/about.py")
    assert not at.exception and texts(at.title) == ["Relational Prescribing"]
    links = {p.proto.label for p in at.get("page_link")}
    assert "Go to your home page" in links and "Sign in" not in links
