"""Reflections and "Why?" notes written in a case come back: in the debrief and in the portfolio."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from course import reflections
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from tests.cpd.helpers import cohort
from tests.ui.conftest import signed_in, texts

MakeUser = Callable[..., User]
CASES = "course/ui/pages/vignettes.py"
PORTFOLIO = "course/ui/pages/portfolio.py"
WHY = "He asked so insistently & *loudly*"
ANSWER = "He may be telling me he feels alone."


def _shown(at: AppTest) -> str:
    return "\n".join(texts(at.markdown) + texts(at.text) + texts(at.caption) + [e.label for e in at.expander])


def _play_to_the_end(at: AppTest) -> None:
    at.button(key="start").click().run()
    at.button(key="continue-intro").click().run()
    at.radio[0].set_value("talk")
    at.text_input[0].input(WHY)
    at.button[0].click().run()
    at.text_area[0].input(ANSWER)
    at.button[0].click().run()
    assert not at.exception


def test_the_debrief_shows_each_decision_with_its_why_note_and_the_reflection(
    app_store: Store, make_user: MakeUser
) -> None:
    at = signed_in(app_store, make_user(), CASES, id="case")
    _play_to_the_end(at)
    assert texts(at.success)[0] == "A helpful ending"
    assert "Your decisions and why" in texts(at.subheader) and "Your reflections" in texts(at.subheader)
    assert f"Why: {WHY}" in texts(at.text)  # the learner's words, literally (st.text, never Markdown)
    assert ANSWER in texts(at.text)
    assert any("Talk about the relationship" in m for m in texts(at.markdown))


def test_the_portfolio_shows_case_writing_lets_it_be_shared_and_packed(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    educator = make_user(role=Role.EDUCATOR, email="ed@example.org", name="Ed Educator")
    group = cohort(app_store, educator, [learner], utcnow(), name="Balint group")
    _play_to_the_end(signed_in(app_store, learner, CASES, id="case"))

    at = signed_in(app_store, learner, PORTFOLIO)
    assert not at.exception
    assert "From the cases" in texts(at.subheader)
    [run] = [e for e in at.expander if e.label.startswith("A fixture case")]
    assert "1 Why? note, 1 reflection" in run.label and "a helpful ending" in run.label
    assert f"Why: {WHY}" in texts(at.text) and ANSWER in texts(at.text)

    [written] = reflections.my_reflections(app_store, learner, kind=reflections.KIND_VIGNETTE_STEP)
    at.selectbox(key=f"share-target-{written.id}").set_value(group)
    at.button(key=f"share-{written.id}").click().run()
    assert not at.exception
    assert [s.cohort_id for s in reflections.shares(app_store, learner, written.id)] == [group]
    assert any("Shared with the educator of" in s for s in texts(at.success))

    at.multiselect(key="pack-cases").set_value([at.multiselect(key="pack-cases").options[0]])
    at.multiselect(key="pack-cases").run()
    assert len(at.multiselect(key="pack-cases").value) == 1
    next(b for b in at.button if b.label == "Prepare evidence pack").click().run()
    assert [b.label for b in at.download_button][-1] == "Download evidence pack (ZIP)"


def test_a_link_to_a_case_reflection_opens_its_run(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    _play_to_the_end(signed_in(app_store, learner, CASES, id="case"))
    [written] = reflections.my_reflections(app_store, learner, kind=reflections.KIND_VIGNETTE_STEP)
    at = signed_in(app_store, learner, PORTFOLIO, reflection=str(written.id))
    assert not at.exception and not at.error
    [run] = [e for e in at.expander if e.label.startswith("A fixture case")]
    assert run.proto.expanded
