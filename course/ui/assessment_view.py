"""The summative assessment page: start or resume, answer (saved at once), submit once, review."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from course import assessment
from course.accounts import User
from course.assessment import Attempt, AttemptStatus, PaperItem, Settings
from course.clock import utcnow
from course.content import Course
from course.lti import grades as lti_grades
from course.schema import Option, QuizItem
from course.ui import resources
from course.ui.forms import query_id

PAGE = "course/ui/pages/assessment.py"


def show(user: User, course: Course) -> None:
    store = resources.store()
    settings = Settings.from_env()
    st.title("Assessment")
    review_id = st.query_params.get("review")
    if review_id is not None:
        _review(user, course, review_id)
        return
    current = assessment.open_attempt(store, user)
    if current is not None:
        _sitting(user, course, current.id)
        return
    past = assessment.history(store, user)
    st.write(
        f"{settings.items} single-best-answer questions drawn across the course's learning objectives. "
        f"The pass mark is {settings.pass_mark_percent}%. Each answer is saved the moment you choose it, so you "
        "can close the page and come back; you submit once, then see every question with its explanation."
    )
    if any(a.passed for a in past):
        st.success("You have passed the assessment.", icon=":material/verified:")
    label = "Start a new attempt" if past else "Start the assessment"
    if st.button(label, type="primary", key="start-attempt"):
        try:
            assessment.start_attempt(store, user, course, settings, now=utcnow())
        except assessment.AssessmentError as exc:
            st.error(str(exc))
            return
        st.rerun()
    _history(past)


def _history(past: list[Attempt]) -> None:
    finished = [a for a in past if a.status is not AttemptStatus.IN_PROGRESS]
    if not finished:
        return
    st.subheader("Your attempts")
    table = pd.DataFrame(
        [
            {
                "Started": a.started_at.strftime("%d %b %Y %H:%M"),
                "Score": f"{a.correct} / {a.total}" if a.correct is not None else "—",
                "Result": "Passed"
                if a.passed
                else "Not passed"
                if a.status is AttemptStatus.SUBMITTED
                else "Abandoned",
            }
            for a in finished
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    for attempt in finished:
        if attempt.status is AttemptStatus.SUBMITTED:
            st.page_link(
                PAGE,
                label=f"Review the attempt of {attempt.started_at:%d %b %Y %H:%M}",
                query_params={"review": str(attempt.id)},
                icon=":material/fact_check:",
            )


# The parts of a sitting that change when an answer is saved. Each answer's callback reruns only
# these two small fragments: the twenty questions are not redrawn (the browser already shows the
# choice), which makes answering several times cheaper than rerunning the whole paper.
STATUS_FRAGMENT = "paper-status"
FINISH_FRAGMENT = "paper-finish"


def _save(user: User, attempt_id: int, item_id: str) -> None:
    """Widget callback: save the choice now, so a reload or a crash loses nothing."""
    chosen = st.session_state.get(f"answer-{attempt_id}-{item_id}")
    if chosen is None:
        return
    try:
        assessment.save_answer(resources.store(), user, attempt_id, item_id, chosen, answered_at=utcnow())
    except assessment.AssessmentError as exc:
        st.session_state["assessment-error"] = str(exc)
    st.rerun(scope=[STATUS_FRAGMENT, FINISH_FRAGMENT])


def _sitting(user: User, course: Course, attempt_id: int) -> None:
    attempt = assessment.get_attempt(resources.store(), user, attempt_id)
    bank = assessment.summative_items(course)
    _status(user, attempt_id)
    for number, paper_item in enumerate(attempt.paper, start=1):
        _question(user, bank.get(paper_item.item_id), attempt, paper_item, number)
    st.divider()
    _finish(user, attempt_id)


@st.fragment(key=STATUS_FRAGMENT)
def _status(user: User, attempt_id: int) -> None:
    attempt = assessment.get_attempt(resources.store(), user, attempt_id)
    if attempt.status is not AttemptStatus.IN_PROGRESS:  # submitted or abandoned in another tab
        st.rerun()
    if "assessment-error" in st.session_state:
        st.error(st.session_state.pop("assessment-error"))
    answered = sum(1 for p in attempt.paper if p.item_id in attempt.answers)
    st.progress(answered / attempt.total, text=f"{answered} of {attempt.total} answered · saved as you go")


@st.fragment(key=FINISH_FRAGMENT)
def _finish(user: User, attempt_id: int) -> None:
    attempt = assessment.get_attempt(resources.store(), user, attempt_id)
    missing = attempt.total - sum(1 for p in attempt.paper if p.item_id in attempt.answers)
    if missing:
        st.warning(f"{missing} question{'s are' if missing > 1 else ' is'} unanswered; unanswered questions score 0.")
    confirm = st.checkbox("I have finished and want my attempt marked", key=f"confirm-{attempt.id}")
    cols = st.columns(2)
    if cols[0].button("Submit for marking", type="primary", disabled=not confirm, key="submit-attempt"):
        graded = assessment.submit(resources.store(), user, attempt.id, now=utcnow())
        lti_grades.send_soon(resources.store(), user.id)  # the LMS gradebook, if the learner came from one
        st.query_params["review"] = str(graded.id)
        st.rerun()
    if cols[1].button("Abandon this attempt", key="abandon-attempt"):
        assessment.abandon(resources.store(), user, attempt.id, now=utcnow())
        st.rerun()


def _question(user: User, item: QuizItem | None, attempt: Attempt, paper_item: PaperItem, number: int) -> None:
    if item is None:
        st.info(f"Question {number} is no longer in the question bank; it is marked from the saved key.")
        return
    texts = {o.key: o.text for o in item.options}
    saved = attempt.answers.get(paper_item.item_id)
    key = f"answer-{attempt.id}-{paper_item.item_id}"
    st.radio(
        f"**{number}.** {item.stem}",
        list(paper_item.options),
        index=paper_item.options.index(saved) if saved in paper_item.options else None,
        format_func=lambda k: f"{paper_item.letter(k)}. {texts[k]}",
        key=key,
        on_change=_save,
        args=(user, attempt.id, paper_item.item_id),
    )


def _review(user: User, course: Course, review_id: str) -> None:
    st.page_link(PAGE, label="Back to the assessment", icon=":material/arrow_back:")
    attempt_id = query_id(review_id)
    try:
        if attempt_id is None:
            raise assessment.AssessmentError("not an attempt id")
        attempt = assessment.get_attempt(resources.store(), user, attempt_id)
    except assessment.AssessmentError:
        st.error("There is no such attempt.")
        return
    if attempt.status is not AttemptStatus.SUBMITTED:
        st.info("This attempt has not been submitted, so there is nothing to review yet.")
        return
    bank = assessment.summative_items(course)
    percent = 100 * (attempt.correct or 0) / attempt.total if attempt.total else 0
    outcome = f"{attempt.correct} of {attempt.total} ({percent:.0f}%); the pass mark is {attempt.pass_mark_percent}%."
    (st.success if attempt.passed else st.error)(("Passed: " if attempt.passed else "Not passed: ") + outcome)
    for number, paper_item in enumerate(attempt.paper, start=1):
        item = bank.get(paper_item.item_id)
        chosen = attempt.answers.get(paper_item.item_id)
        with st.container(border=True):
            if item is None:
                st.caption(f"{number}. This question is no longer in the bank.")
                continue
            right = chosen == paper_item.answer
            st.markdown(f"**{number}.** {item.stem}")
            st.caption(
                ("Correct" if right else "Incorrect" if chosen else "Not answered")
                + (f" · you chose {paper_item.letter(chosen)}" if chosen else "")
                + f" · the answer is {paper_item.letter(paper_item.answer)}"
            )
            options: dict[str, Option] = {o.key: o for o in item.options}
            for key in paper_item.options:
                option = options[key]
                mark = "✓" if key == paper_item.answer else "✗"
                you = " (your answer)" if key == chosen else ""
                st.markdown(f"{mark} **{paper_item.letter(key)}. {option.text}**{you} — {option.rationale}")
