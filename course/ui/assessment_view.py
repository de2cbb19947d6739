"""The summative assessment page: start or resume, answer (saved at once), submit once, review.

What a review may show comes from the engine (``assessment.review``, ruled by
``assessment.may_reveal_key``): until the learner passes, the key of a question that can be drawn
again is never on the page, only whether their own answer was right and the rationale of the
option they chose.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from course import assessment
from course.accounts import User
from course.assessment import Attempt, AttemptStatus, ItemReview, PaperItem, RetakeStatus, Settings, Verdict
from course.clock import utcnow
from course.content import Course
from course.formatting import format_datetime, format_percent
from course.lti import grades as lti_grades
from course.schema import Option, QuizItem
from course.store.db import AccountClosed, StoreWriteFailed
from course.ui import confirm, resources, review_view, scroll, titles
from course.ui.forms import query_id
from course.ui.session import person_zone

PAGE = "course/ui/pages/assessment.py"
_RESULT = "assessment-result"  # scroll request: Submit puts the learner at the Passed/Not passed banner


def show(user: User, course: Course) -> None:
    store = resources.store()
    settings = Settings.from_env()
    st.title("Assessment")
    review_id = st.query_params.get("review")
    if review_id is not None:
        _review(user, course, review_id, settings)
        return
    current = assessment.open_attempt(store, user)
    if current is not None:
        _sitting(user, course, current.id)
        return
    past = assessment.history(store, user)
    status = assessment.retake_status(store, user, settings, now=utcnow())
    st.write(
        f"{settings.items} single-best-answer questions drawn across the course's learning objectives. "
        f"The pass mark is {settings.pass_mark_percent}%. Each answer is saved the moment you choose it, so you "
        "can close the page and come back; you submit once. Afterwards you see which of your answers were "
        "right and why; every answer and explanation is shown once you have passed."
    )
    st.caption(_rule(settings))
    if status.passed:
        st.success("You have passed the assessment.", icon=":material/verified:")
    elif not status.allowed:
        st.info(_not_yet(status), icon=":material/schedule:")
    else:
        if past and status.left is not None:
            st.caption(f"Attempts left: {status.left} of {status.limit}.")
        label = "Start a new attempt" if past else "Start the assessment"
        if st.button(label, type="primary", key="start-attempt"):
            try:
                assessment.start_attempt(store, user, course, settings, now=utcnow())
            except assessment.AssessmentError as exc:
                st.error(str(exc))
                return
            st.rerun()
    _history(past)


def review_link_label(number: int, attempt: Attempt, tz: ZoneInfo) -> str:
    """The link to an attempt's review: its number, when it started (to the second, with the zone) and
    its result, so two attempts in the same minute never read alike."""
    result = "passed" if attempt.passed else "not passed"
    return (
        f"Review attempt {number} (started {format_datetime(attempt.started_at, tz, seconds=True)}; "
        f"{attempt.correct or 0} / {attempt.total}, {result})"
    )


def _rule(settings: Settings) -> str:
    attempts = f"up to {settings.retake_limit} attempts" if settings.retake_limit else "as many attempts as you need"
    wait = (
        f", at least {settings.retake_cooldown_hours} hours apart so you can revise in between"
        if settings.retake_cooldown_hours
        else ""
    )
    return f"You may take {attempts}{wait}. An attempt counts once it is submitted, even a blank one."


def _not_yet(status: RetakeStatus) -> str:
    if status.next_at is not None:
        return f"{status.reason} You can start it from {format_datetime(status.next_at, person_zone())}."
    return status.reason


def _history(past: list[Attempt]) -> None:
    finished = [a for a in past if a.status is not AttemptStatus.IN_PROGRESS]
    if not finished:
        return
    st.subheader("Your attempts")
    tz = person_zone()
    numbers = assessment.attempt_numbers(past)
    table = pd.DataFrame(
        [
            {
                "Attempt": numbers[a.id],
                "Started": format_datetime(a.started_at, tz, seconds=True),
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
                label=review_link_label(numbers[attempt.id], attempt, tz),
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
        saved = assessment.save_answer(resources.store(), user, attempt_id, item_id, chosen, answered_at=utcnow())
    except assessment.AssessmentError as exc:
        st.session_state["assessment-error"] = str(exc)
    except (StoreWriteFailed, AccountClosed) as failed:
        # The radio must show what is stored, not the choice that was not saved: the whole page
        # reruns (no fragment scope) so the question is redrawn with the stored answer.
        st.session_state["assessment-error"] = str(failed)
        st.session_state[f"answer-{attempt_id}-{item_id}"] = _stored_answer(user, attempt_id, item_id)
        return
    else:
        if not saved:  # a newer answer from another tab is what is stored
            st.session_state[f"answer-{attempt_id}-{item_id}"] = _stored_answer(user, attempt_id, item_id)
            return
    st.rerun(scope=[STATUS_FRAGMENT, FINISH_FRAGMENT])


def _stored_answer(user: User, attempt_id: int, item_id: str) -> str | None:
    try:
        return assessment.get_attempt(resources.store(), user, attempt_id).answers.get(item_id)
    except Exception:  # the store cannot even be read: show no choice rather than an unsaved one
        return None


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
    st.progress(
        attempt.answered / attempt.total, text=f"{attempt.answered} of {attempt.total} answered · saved as you go"
    )


@st.fragment(key=FINISH_FRAGMENT)
def _finish(user: User, attempt_id: int) -> None:
    attempt = assessment.get_attempt(resources.store(), user, attempt_id)
    missing = attempt.total - attempt.answered
    if missing:
        st.warning(f"{missing} question{'s are' if missing > 1 else ' is'} unanswered; unanswered questions score 0.")
    incomplete = assessment.cannot_pass(attempt.answered, attempt.total, attempt.pass_mark_percent)
    finished = st.checkbox("I have finished and want my attempt marked", key=f"confirm-{attempt.id}")
    anyway = True
    if incomplete:
        st.error(str(assessment.IncompleteSubmission(attempt.answered, attempt.total, attempt.pass_mark_percent)))
        anyway = st.checkbox(
            "Submit anyway: I understand this attempt cannot pass and counts as one of my attempts",
            key=f"confirm-incomplete-{attempt.id}",
        )
    # One horizontal block, not st.columns(2) (three blocks): this fragment reruns on every answer
    # saved, and each block sent costs the server an event-loop wake-up (bench/load.py's msgs/i).
    buttons = st.container(horizontal=True)
    if buttons.button("Submit for marking", type="primary", disabled=not (finished and anyway), key="submit-attempt"):
        try:
            graded = assessment.submit(
                resources.store(), user, attempt.id, now=utcnow(), confirm_incomplete=incomplete and anyway
            )
        except assessment.AssessmentError as exc:  # answers changed in another tab since this was drawn
            st.error(str(exc))
            return
        lti_grades.send_soon(resources.store(), user.id)  # the LMS gradebook, if the learner came from one
        st.query_params["review"] = str(graded.id)
        scroll.request_scroll(_RESULT)
        st.rerun()
    saved = attempt.answered
    lost = f"your {saved} saved answer{'s are' if saved > 1 else ' is'} never marked" if saved else "it is never marked"
    if confirm.confirmed(
        "abandon-attempt",
        "Abandon this attempt",
        warning=f"Abandon this attempt? It ends now, {lost}, and you cannot return to it. "
        "An abandoned attempt does not count towards your attempts.",
        yes="Yes, abandon this attempt",
        # The second step (warning, Yes, Cancel) needs the page's width, not a slot in the row.
        where=None if st.session_state.get("_confirm-abandon-attempt") else buttons,
    ):
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


_VERDICT = {Verdict.CORRECT: "Correct", Verdict.INCORRECT: "Incorrect", Verdict.UNANSWERED: "Not answered"}


def _review(user: User, course: Course, review_id: str, settings: Settings) -> None:
    st.page_link(PAGE, label="Back to the assessment", icon=":material/arrow_back:")
    attempt_id = query_id(review_id)
    try:
        if attempt_id is None:
            raise assessment.AttemptNotFound()
        shown = assessment.review(resources.store(), user, course, attempt_id, settings, now=utcnow())
    except assessment.AttemptNotFound:
        st.error("There is no such attempt.")
        return
    except assessment.AssessmentError as exc:
        st.info(str(exc))
        return
    attempt = shown.attempt
    number = assessment.attempt_numbers(assessment.history(resources.store(), user)).get(attempt.id)
    titles.set_title(f"Review of attempt {number}", "Assessment")
    scroll.scroll_here(_RESULT)
    st.subheader(f"Attempt {number}, started {format_datetime(attempt.started_at, person_zone(), seconds=True)}")
    correct = attempt.correct or 0
    outcome = (
        f"{correct} of {attempt.total} ({format_percent(correct, attempt.total)}); "
        f"the pass mark is {attempt.pass_mark_percent}%."
    )
    (st.success if attempt.passed else st.error)(("Passed: " if attempt.passed else "Not passed: ") + outcome)
    review_view.objective_summary(course, attempt)
    if not shown.full:
        st.info(
            "You can see which of your answers were right and the explanation of each option you chose. The answers "
            "to the other questions stay hidden because those questions can come up again in a later attempt; "
            "once you pass, every answer and explanation is shown here.",
            icon=":material/lock:",
        )
        if not shown.retake.allowed and not shown.retake.passed:
            st.caption(_not_yet(shown.retake))
    bank = course.items()
    for reviewed in shown.items:
        _reviewed_item(bank.get(reviewed.item_id), reviewed)


def _reviewed_item(item: QuizItem | None, reviewed: ItemReview) -> None:
    with st.container(border=True):
        if item is None:
            st.caption(f"{reviewed.number}. This question is no longer in the bank.")
            return
        st.markdown(f"**{reviewed.number}.** {item.stem}")
        caption = _VERDICT[reviewed.verdict]
        if reviewed.chosen is not None:
            caption += f" · you chose {reviewed.letter(reviewed.chosen)}"
        if reviewed.key is not None:
            caption += f" · the answer is {reviewed.letter(reviewed.key)}"
        st.caption(caption)
        options: dict[str, Option] = {o.key: o for o in item.options}
        for key in reviewed.options:
            option = options[key]
            you = " (your answer)" if key == reviewed.chosen else ""
            mark = ("✓ " if key == reviewed.key else "✗ ") if reviewed.key is not None else ""
            if key in reviewed.rationales:
                st.markdown(f"{mark}**{reviewed.letter(key)}. {option.text}**{you} — {option.rationale}")
            else:
                st.markdown(f"{reviewed.letter(key)}. {option.text}")
