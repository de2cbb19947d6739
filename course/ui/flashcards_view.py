"""Review cards: one glossary term at a time, rated Again/Hard/Good/Easy, scheduled by FSRS.

The deck is rebuilt from the learner's review events on every run (see course.flashcards), so two
tabs or two devices never disagree about what is due.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from course import flashcards, formatting
from course.accounts import User
from course.clock import utcnow
from course.content import Course
from course.flashcards import RATING_NAMES, RATINGS, CardState, Deck, Rating, interval_phrase
from course.ui import resources
from course.ui.glossary_view import GLOSSARY_PAGE
from course.ui.session import person_zone

_RESULT = "flashcards-last-result"
_RATING_HELP = {
    Rating.Again: "I did not remember it",
    Rating.Hard: "I remembered it with real effort",
    Rating.Good: "I remembered it after a moment",
    Rating.Easy: "I knew it at once",
}


def show_flashcards(user: User, course: Course) -> None:
    now = utcnow()
    st.title("Review cards")
    st.caption(
        "One card per glossary term. Recall the meaning, show the answer, then say how well you knew it: "
        f"cards you know come back less often. Up to {flashcards.NEW_CARDS_PER_DAY} new cards a day."
    )
    _last_result(now)
    deck = flashcards.my_deck(resources.store(), user, course, now=now)
    _statistics(deck)
    if not deck.queue:
        _nothing_due(deck, now)
        return
    term_id = deck.queue[0]
    _card(user, course, term_id, deck.cards.get(term_id), now)


def _last_result(now: datetime) -> None:
    result = st.session_state.pop(_RESULT, None)
    if result:
        term, rating, due = result
        st.success(
            f"{term}: rated {rating}. Next review {interval_phrase(due, now)}, "
            f"{formatting.format_datetime(due, person_zone())}.",
            icon=":material/event:",
        )


def _statistics(deck: Deck) -> None:
    stats = deck.stats
    due_now, today, learned = st.columns(3)
    due_now.metric(
        "Due now", len(deck.queue), help=f"{stats.due_now} to review again, {stats.new_today} new", border=True
    )
    today.metric("Reviewed today", stats.reviewed_today, border=True)
    learned.metric(
        "Learned",
        f"{stats.learned} / {stats.total}",
        help="Cards that have moved on from the first short steps to intervals of a day or more",
        border=True,
    )


def _nothing_due(deck: Deck, now: datetime) -> None:
    st.success("Nothing to review right now.", icon=":material/check_circle:")
    if deck.next_due is not None:
        st.caption(
            f"The next card is due {interval_phrase(deck.next_due, now)}, "
            f"{formatting.format_datetime(deck.next_due, person_zone())}."
        )
    if deck.stats.started < deck.stats.total and deck.stats.new_today == 0:
        st.caption(f"You have met today's new cards; {deck.stats.total - deck.stats.started} more start tomorrow.")


def _reveal(reveal_key: str) -> None:
    st.session_state[reveal_key] = True


def _card(user: User, course: Course, term_id: str, state: CardState | None, now: datetime) -> None:
    term = course.glossary[term_id]
    # Keys carry the review count, so a stale click (a double click, an old tab) on a card that
    # has just been rated matches no widget on the next run and records nothing.
    seen = state.reviews if state else 0
    with st.container(border=True):
        st.caption("New card" if state is None else f"Seen {seen} time{'s' if seen != 1 else ''}")
        st.subheader(term.term)
        reveal_key = f"card-revealed-{term_id}-{seen}"
        if not st.session_state.get(reveal_key):
            # A callback, run before the script: the run that shows the answer draws no button.
            st.button(
                "Show answer",
                key=f"show-{term_id}-{seen}",
                type="primary",
                on_click=_reveal,
                args=(reveal_key,),
            )
            return
        st.markdown(f"**{term.short}**")
        st.markdown(term.example)
        st.page_link(GLOSSARY_PAGE, label="Open the full entry", query_params={"term": term_id}, icon=":material/book:")
    due_after = flashcards.preview(state, term_id, now=now)
    st.caption("How well did you remember it?")
    for column, rating in zip(st.columns(len(RATINGS)), RATINGS, strict=True):
        name = RATING_NAMES[rating]
        with column:
            clicked = st.button(
                name.capitalize(),
                key=f"rate-{name}-{term_id}-{seen}",
                help=_RATING_HELP[rating],
                width="stretch",
            )
            st.caption(f"Next {interval_phrase(due_after[rating], now)}")
        if clicked:
            reviewed = flashcards.review_card(resources.store(), user, course, term_id, rating, now=utcnow())
            st.session_state.pop(reveal_key, None)
            st.session_state[_RESULT] = (term.term, name.capitalize(), reviewed.due)
            st.rerun()
