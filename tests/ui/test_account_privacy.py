"""The account page: download my data, and delete my account after typing the email to confirm."""

from __future__ import annotations

import json
from collections.abc import Callable

from course import accounts
from course.accounts import User
from course.clock import utcnow
from course.reflections import my_reflections
from course.store.db import Store
from tests.cpd.helpers import FEELINGS, reflect
from tests.ui.conftest import signed_in, texts

MakeUser = Callable[..., User]
PAGE = "course/ui/pages/account.py"


def _button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def test_download_my_data_holds_my_reflections_and_no_secrets(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user(name="Lee Learner")
    reflect(app_store, learner, utcnow())
    at = signed_in(app_store, learner, PAGE)
    assert texts(at.subheader)[-2:] == ["Download my data", "Delete my account"]
    _button(at, "Prepare my data").click().run()
    assert not at.exception
    assert [b.label for b in at.download_button] == ["Download my data (JSON)"]
    data = json.loads(at.session_state["my_data"])
    assert data["tables"]["users"][0]["email"] == "learner@example.org"
    assert FEELINGS in json.dumps(data["tables"]["reflections"])
    assert "$argon2" not in at.session_state["my_data"].decode() and data["tables"]["auth_tokens"]
    assert all("token_hash" not in row for row in data["tables"]["auth_tokens"])


def test_deleting_needs_the_email_typed_and_then_signs_out(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    reflect(app_store, learner, utcnow())
    at = signed_in(app_store, learner, PAGE)
    token = at.session_state["auth_token"]
    confirm = next(i for i, t in enumerate(at.text_input) if t.label.startswith("To confirm"))
    at.text_input[confirm].input("someone@else.org")
    _button(at, "Delete my account permanently").click().run()
    assert not at.exception
    assert texts(at.error) == ["To confirm, type the email address of this account exactly as shown."]
    assert at.text_input[confirm].value == "someone@else.org"
    assert accounts.get_user(app_store, learner.id) is not None and my_reflections(app_store, learner)

    at.text_input[confirm].input("Learner@Example.org")
    _button(at, "Delete my account permanently").click().run()
    assert not at.exception
    assert any("has been deleted" in s for s in texts(at.success))
    assert accounts.get_user(app_store, learner.id) is None
    assert accounts.user_for_session(app_store, token, now=utcnow()) is None
    assert my_reflections(app_store, learner) == []
    assert accounts.find_user_by_email(app_store, "learner@example.org") is None
