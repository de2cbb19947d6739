"""Flashcards: FSRS state replayed from review events, the daily queue, and the recorded events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import pytest
from fsrs import Card, Rating, Scheduler, State

from course import accounts, flashcards
from course.accounts import Role, User
from course.content import Course, load_course
from course.flashcards import (
    CARD_REVIEWED,
    NEW_CARDS_PER_DAY,
    Review,
    build_deck,
    course_order,
    interval_phrase,
    parse_rating,
    preview,
    replay,
    retrievability,
    review_card,
)
from course.permissions import PermissionDenied
from course.store.db import Store
from course.store.events import events_for_user, record_event

REPO = Path(__file__).resolve().parents[1]
MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@cache
def real_course() -> Course:
    return load_course(REPO).course


@cache
def fixture_course() -> Course:
    return load_course(REPO / "tests" / "content" / "good").course


def learner(store: Store, email: str = "learner@example.org") -> User:
    return accounts.create_user_admin(
        store, email=email, display_name="Lee", password="correct horse battery", role=Role.LEARNER, now=MONDAY
    )


def test_replay_is_exactly_the_fsrs_scheduler() -> None:
    ratings = [Rating.Good, Rating.Good, Rating.Again, Rating.Hard, Rating.Easy, Rating.Good]
    times = [MONDAY + timedelta(days=d, minutes=m) for d, m in [(0, 0), (0, 11), (2, 0), (2, 12), (5, 0), (13, 0)]]
    reference = Scheduler(enable_fuzzing=False)
    card = Card(card_id=1, due=times[0])
    for rating, at in zip(ratings, times, strict=True):
        card, _ = reference.review_card(card, rating, at)
    state = replay([Review("placebo", r, t) for r, t in zip(ratings, times, strict=True)])["placebo"]
    assert (state.due, state.card.stability, state.card.difficulty, state.card.state) == (
        card.due,
        card.stability,
        card.difficulty,
        card.state,
    )
    assert state.reviews == 6 and state.first_reviewed == times[0] and state.last_rating is Rating.Good


def test_replay_gives_the_same_schedule_every_time() -> None:
    """Fuzz would draw random intervals; a derived state must not change between two reads."""
    reviews = [Review("placebo", Rating.Good, MONDAY + timedelta(days=d)) for d in (0, 0, 1, 4, 15)]
    assert {replay(reviews)["placebo"].due for _ in range(20)} == {replay(reviews)["placebo"].due}


def test_times_in_other_zones_are_the_same_instants() -> None:
    paris = timezone(timedelta(hours=1))
    here = replay([Review("placebo", Rating.Good, MONDAY.astimezone(paris))])["placebo"]
    assert here.due == replay([Review("placebo", Rating.Good, MONDAY)])["placebo"].due
    with pytest.raises(ValueError, match="timezone-aware"):
        replay([Review("placebo", Rating.Good, MONDAY.replace(tzinfo=None))])


def test_new_cards_come_in_course_order_at_most_ten_a_day() -> None:
    course = real_course()
    order = course_order(course)
    assert sorted(order) == sorted(course.glossary)
    first_module = min(course.modules.values(), key=lambda m: m.meta.order)
    assert order[: len(first_module.meta.concepts)] == first_module.meta.concepts
    deck = build_deck(course, [], now=MONDAY)
    assert deck.queue == deck.new == tuple(order[:NEW_CARDS_PER_DAY])
    assert (deck.stats.due_now, deck.stats.new_today, deck.stats.started) == (0, 10, 0)
    seen = [Review(t, Rating.Easy, MONDAY + timedelta(minutes=i)) for i, t in enumerate(order[:4])]
    later = MONDAY + timedelta(hours=1)
    deck = build_deck(course, seen, now=later)
    assert deck.new == tuple(order[4:NEW_CARDS_PER_DAY])  # four of today's ten are used
    assert deck.stats.reviewed_today == 4 and deck.stats.learned == 4
    assert deck.next_due == min(s.due for s in deck.cards.values())
    tomorrow = build_deck(course, seen, now=MONDAY + timedelta(days=1))
    assert tomorrow.new == tuple(order[4 : 4 + NEW_CARDS_PER_DAY])
    assert tomorrow.stats.reviewed_today == 0


def test_due_cards_come_first_most_overdue_first() -> None:
    course = fixture_course()
    reviews = [
        Review("transference", Rating.Good, MONDAY),
        Review("containment", Rating.Again, MONDAY + timedelta(minutes=1)),
    ]
    assert build_deck(course, reviews, now=MONDAY + timedelta(minutes=5)).due == ("containment",)
    deck = build_deck(course, reviews, now=MONDAY + timedelta(minutes=30))
    assert deck.due == ("containment", "transference") and deck.queue == deck.due


def test_reviews_of_terms_no_longer_in_the_glossary_leave_the_deck() -> None:
    deck = build_deck(fixture_course(), [Review("retired-term", Rating.Good, MONDAY)], now=MONDAY)
    assert "retired-term" not in deck.cards and deck.stats.started == 0


def test_preview_and_interval_phrases() -> None:
    due = preview(None, "placebo", now=MONDAY)
    assert due[Rating.Again] == MONDAY + timedelta(minutes=1)
    assert due[Rating.Good] == MONDAY + timedelta(minutes=10)
    assert due[Rating.Easy] > MONDAY + timedelta(days=1)
    assert interval_phrase(MONDAY + timedelta(seconds=30), MONDAY) == "now"
    assert interval_phrase(MONDAY - timedelta(days=3), MONDAY) == "now"
    assert interval_phrase(MONDAY + timedelta(minutes=1), MONDAY) == "in 1 minute"
    assert interval_phrase(MONDAY + timedelta(hours=5), MONDAY) == "in 5 hours"
    assert interval_phrase(MONDAY + timedelta(days=8, hours=1), MONDAY) == "in 8 days"


def test_parse_rating() -> None:
    assert parse_rating("hard") is Rating.Hard
    for bad in ("Hard", 2, None):
        with pytest.raises(ValueError, match="unknown rating"):
            parse_rating(bad)


def test_a_review_is_an_event_and_the_state_is_derived_from_events(store: Store) -> None:
    user = learner(store)
    course = fixture_course()
    state = review_card(store, user, course, "containment", Rating.Good, now=MONDAY)
    [event] = events_for_user(store, user.id, verb=CARD_REVIEWED)
    assert (event.object_type, event.object_id) == ("glossary", "containment")
    assert event.content_version == course.version_of("term", "containment")
    assert event.payload == {
        "rating": "good",
        "due": (MONDAY + timedelta(minutes=10)).isoformat(),
        "stability": state.card.stability,
        "difficulty": state.card.difficulty,
    }
    again = review_card(store, user, course, "containment", Rating.Good, now=MONDAY + timedelta(minutes=10))
    deck = flashcards.my_deck(store, user, course, now=MONDAY + timedelta(minutes=11))
    assert deck.cards["containment"].due == again.due and deck.cards["containment"].reviews == 2
    assert deck.cards["containment"].learned and deck.stats.reviewed_today == 2
    assert 0 < retrievability(deck.cards["containment"], now=MONDAY + timedelta(days=30)) < 1


def test_reviews_are_checked_and_private(store: Store) -> None:
    user, other = learner(store), learner(store, "other@example.org")
    course = fixture_course()
    with pytest.raises(ValueError, match="not a glossary term"):
        review_card(store, user, course, "no-such-term", Rating.Good, now=MONDAY)
    with pytest.raises(PermissionDenied):
        review_card(store, None, course, "containment", Rating.Good, now=MONDAY)  # type: ignore[arg-type]
    review_card(store, other, course, "containment", Rating.Again, now=MONDAY)
    record_event(  # the same verb on another kind of object is not a card review
        store,
        user_id=user.id,
        verb=CARD_REVIEWED,
        object_type="module",
        object_id="first",
        content_version="",
        now=MONDAY,
    )
    assert flashcards.my_reviews(store, user) == []
    assert flashcards.my_deck(store, user, course, now=MONDAY).stats.started == 0


def test_a_week_of_daily_reviews_matches_the_fsrs_scheduler(store: Store) -> None:
    """Each morning the learner works through the queue once, with fixed ratings, on a fixed clock.

    The reference keeps fsrs Cards itself and introduces new cards in course order, ten a day;
    every morning's queue and every card's schedule must agree with the replayed events.
    """
    course = real_course()
    user = learner(store)
    pattern = [Rating.Good, Rating.Easy, Rating.Good, Rating.Hard, Rating.Again, Rating.Good, Rating.Good]
    reference = Scheduler(enable_fuzzing=False)
    cards: dict[str, Card] = {}
    order = [c for m in sorted(course.modules.values(), key=lambda m: m.meta.order) for c in m.meta.concepts]
    order = list(dict.fromkeys(order)) + sorted(
        set(course.glossary) - set(order), key=lambda t: course.glossary[t].term
    )
    given = 0
    for day in range(8):
        morning = MONDAY + timedelta(days=day)
        due = sorted((card.due, term_id) for term_id, card in cards.items() if card.due <= morning)
        new = [term_id for term_id in order if term_id not in cards][:NEW_CARDS_PER_DAY]
        deck = flashcards.my_deck(store, user, course, now=morning)
        assert deck.queue == tuple([term_id for _, term_id in due] + new), f"day {day}"
        assert deck.stats.learned == sum(1 for card in cards.values() if card.state is State.Review)
        if day == 7:
            break
        for n, term_id in enumerate(deck.queue):
            at = morning + timedelta(seconds=40 * n)
            rating = pattern[given % len(pattern)]
            given += 1
            review_card(store, user, course, term_id, rating, now=at)
            before = cards.get(term_id, Card(card_id=1, due=at))
            cards[term_id], _ = reference.review_card(before, rating, at)
    assert given > 7 * NEW_CARDS_PER_DAY // 2
    assert set(deck.cards) == set(cards)
    for term_id, card in cards.items():
        mine = deck.cards[term_id].card
        assert (mine.due, mine.state, mine.step) == (card.due, card.state, card.step), term_id
        assert mine.stability == pytest.approx(card.stability, rel=1e-12), term_id
        assert mine.difficulty == pytest.approx(card.difficulty, rel=1e-12), term_id
