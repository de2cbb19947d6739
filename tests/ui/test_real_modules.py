"""Every real module renders in the app: title, objectives, body with glossary links, checks, references."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from course.accounts import User
from course.content import load_course
from course.store.db import Store
from tests.ui.conftest import REPO, signed_in

MakeUser = Callable[..., User]
COURSE = load_course(REPO).course


@pytest.mark.parametrize("module_id", list(COURSE.modules))
def test_module_renders(module_id: str, app_store: Store, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(REPO))
    module = COURSE.modules[module_id]
    at = signed_in(app_store, make_user(), "course/ui/pages/modules.py", id=module_id)
    assert not at.exception
    assert [t.value for t in at.title] == [module.meta.title]
    body = "".join(h.proto.body for h in at.get("html"))
    assert "<h2 id=" in body and 'href="/glossary?term=' in body and "popovertarget=" in body
    assert len(at.radio) == len(COURSE.checks_for(module_id)) >= 2
    shown = " ".join(m.value for m in at.markdown)
    for ref in module.meta.references:
        assert COURSE.bibliography[ref.ref].citation in shown
