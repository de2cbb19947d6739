"""The CPD portfolio page: time log, certificate, reflections (write, edit, share) and the evidence pack."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import timedelta

from streamlit.testing.v1 import AppTest

from course import certificates, reflections
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from course.ui.forms import plain
from tests.cpd.helpers import FEELINGS, cohort, complete_course, reflect
from tests.ui.conftest import signed_in, texts

MakeUser = Callable[..., User]
PAGE = "course/ui/pages/portfolio.py"


def _button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def _all_text(at: AppTest) -> str:
    parts = texts(at.markdown) + texts(at.text) + texts(at.caption) + texts(at.error) + texts(at.info)
    return "\n".join(parts + [e.label for e in at.expander])


def test_a_new_learner_sees_an_empty_log_and_what_the_certificate_needs(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    assert not at.exception
    assert texts(at.title) == ["CPD portfolio"]
    info = texts(at.info)
    assert any("No learning time recorded yet" in m for m in info)
    assert any("0 of 2 so far" in m for m in info)
    assert "To do: complete the module “A first module”" in "\n".join(texts(at.markdown))
    assert not at.download_button


def test_time_log_and_certificate_after_completing_the_course(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user(name="Lee Learner")
    complete_course(app_store, learner, utcnow() - timedelta(hours=2))
    at = signed_in(app_store, learner, PAGE)
    assert not at.exception
    rows = at.table[0].value
    assert {"A first module", "A second module", "Summative assessment"} <= set(rows["Title"])
    assert at.metric[0].label == "CPD hours" and float(at.metric[0].value) >= 0.25
    _button(at, "Issue my certificate").click().run()
    issued = certificates.certificate_of(app_store, learner, learner.id)
    assert issued is not None and issued.learner_name == "Lee Learner"
    page = "\n".join(texts(at.markdown) + texts(at.caption))
    assert issued.display_code in page and f"/verify/{issued.code}" in page
    assert [b.label for b in at.download_button] == ["Download certificate (PDF)"]
    # Coming back shows the same certificate, with no second one issued.
    again = signed_in(app_store, learner, PAGE)
    assert issued.display_code in "\n".join(texts(again.markdown))
    assert not [b for b in again.button if b.label == "Issue my certificate"]


def test_writing_a_reflection_refuses_bad_input_without_losing_it(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    at = signed_in(app_store, learner, PAGE)
    too_long = "I felt cornered. " * 300
    at.text_input(key="new-0-title").input("After the ward round")
    at.text_area(key="new-0-clinician_feeling").input(too_long)
    _button(at, "Save reflection").click().run()
    assert not at.exception
    assert any("at most 4000 characters" in e for e in texts(at.error))
    assert at.text_area(key="new-0-clinician_feeling").value == too_long  # still there to shorten
    assert at.text_input(key="new-0-title").value == "After the ward round"
    assert reflections.my_reflections(app_store, learner) == []

    at.text_area(key="new-0-clinician_feeling").input(FEELINGS)
    _button(at, "Save reflection").click().run()
    assert not at.exception and not at.error
    assert any("Reflection saved" in s for s in texts(at.success))
    [saved] = reflections.my_reflections(app_store, learner)
    assert saved.title == "After the ward round" and saved.answer("clinician_feeling") == FEELINGS
    assert any("After the ward round" in e.label for e in at.expander)
    assert FEELINGS in texts(at.text)
    assert at.text_area(key="new-1-clinician_feeling").value == ""  # a fresh form for the next one


def test_editing_keeps_history_and_sharing_can_be_withdrawn(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    educator = make_user(Role.EDUCATOR, email="teach@example.org", name="Dr Teach")
    group = cohort(app_store, educator, [learner], utcnow(), name="Tuesday Balint group")
    rid = reflect(app_store, learner, utcnow() - timedelta(days=1), title="Mr Z")
    at = signed_in(app_store, learner, PAGE)
    edit_key = next(
        t.key for t in at.text_area if t.key and t.key.startswith(f"edit-{rid}-") and t.key.endswith("learned")
    )
    at.text_area(key=edit_key).input("To notice my own anxiety first.")
    _button(at, "Save changes").click().run()
    assert not at.exception
    assert len(reflections.revisions(app_store, learner, rid)) == 1
    assert any("earlier wording is kept" in s for s in texts(at.success))
    assert any(FEELINGS in t for t in texts(at.text))  # the history shows the old wording

    at.selectbox(key=f"share-target-{rid}").select(group)
    _button(at, "Share").click().run()
    assert not at.exception
    assert [s.cohort_name for s in reflections.shares(app_store, learner, rid)] == ["Tuesday Balint group"]
    assert any("Shared with the educator of **Tuesday Balint group**" in m for m in texts(at.markdown))
    assert reflections.read_reflection(app_store, educator, rid).id == rid
    _button(at, "Withdraw").click().run()
    assert reflections.shares(app_store, learner, rid) == []
    assert any("No longer shared" in s for s in texts(at.success))


def test_another_learners_reflection_cannot_be_opened_by_address(app_store: Store, make_user: MakeUser) -> None:
    author = make_user()
    rid = reflect(app_store, author, utcnow(), title="Private note")
    nosy = make_user(email="nosy@example.org", name="Nosy")
    educator = make_user(Role.EDUCATOR, email="teach@example.org")
    for viewer in (nosy, educator):
        at = signed_in(app_store, viewer, PAGE, reflection=str(rid))
        assert not at.exception
        assert "There is no such reflection." in texts(at.error)
        shown = _all_text(at)
        assert "Private note" not in shown and FEELINGS not in shown
    own = signed_in(app_store, author, PAGE, reflection=str(rid))
    assert not own.error and any(e.label.startswith("Private note") for e in own.expander)


def test_the_evidence_pack_holds_only_the_picked_reflections(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    kept = reflect(app_store, learner, utcnow(), title="For my appraiser")
    reflect(app_store, learner, utcnow(), title="Just for me", learned="Not for anyone else")
    at = signed_in(app_store, learner, PAGE)
    at.multiselect(key="pack-reflections").select(kept)
    _button(at, "Prepare evidence pack").click().run()
    assert not at.exception
    assert "Download evidence pack (ZIP)" in [b.label for b in at.download_button]
    archive = zipfile.ZipFile(io.BytesIO(at.session_state["portfolio_pack"]))
    markdown = [n for n in archive.namelist() if n.endswith(".md")]
    assert markdown == ["reflections/01-for-my-appraiser.md"]
    assert "Not for anyone else" not in archive.read("reflections/reflections.json").decode()


SHARED_VIEW_SCRIPT = """
import streamlit as st
from course import accounts
from course.ui import resources
from course.ui.shared_reflections_view import render_shared_reflections

viewer = accounts.get_user(resources.store(), st.session_state["viewer_id"])
render_shared_reflections(resources.store(), viewer, st.session_state["cohort_id"])
"""


def _shared_view(app_store: Store, viewer: User, cohort_id: int) -> AppTest:
    at = AppTest.from_string(SHARED_VIEW_SCRIPT, default_timeout=30)
    at.session_state["viewer_id"] = viewer.id
    at.session_state["cohort_id"] = cohort_id
    return at.run()


def test_the_cohort_view_shows_a_reflection_only_while_it_is_shared(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user(name="Lee Learner")
    educator = make_user(Role.EDUCATOR, email="teach@example.org")
    other_educator = make_user(Role.EDUCATOR, email="other@example.org")
    group = cohort(app_store, educator, [learner], utcnow())
    rid = reflect(app_store, learner, utcnow(), title="Mr Z <b>again</b>")
    before = _shared_view(app_store, educator, group)
    assert not before.exception and not before.expander
    assert "No learner in this cohort has shared a reflection with you." in texts(before.caption)

    reflections.share(app_store, learner, rid, group, now=utcnow())
    shown = _shared_view(app_store, educator, group)
    # The label is Markdown, so the typed title is escaped: shown as typed, never as markup.
    assert [e.label for e in shown.expander] == [plain("Lee Learner: Mr Z <b>again</b>")]
    assert FEELINGS in texts(shown.text)
    assert not _shared_view(app_store, other_educator, group).expander  # not their cohort
    denied = _shared_view(app_store, learner, group)
    assert denied.error and not denied.expander

    reflections.withdraw(app_store, learner, rid, group, now=utcnow())
    assert not _shared_view(app_store, educator, group).expander
