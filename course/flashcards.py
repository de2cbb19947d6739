"""Glossary flashcards scheduled with FSRS (the `fsrs` package), derived from the event log.

A learner's card state is never stored: every rating is an append-only `card.reviewed` event, and
the cards are rebuilt by replaying those events through the scheduler. So the schedule, the
statistics and (later) per-concept mastery all come from one record, and a change to the scheduler
settings re-plans every card from its history.

Fuzzing is off: FSRS fuzz draws from the global random generator, and a replay must give the same
due dates every time it runs. New cards are introduced in course order (the order the modules
teach them), at most NEW_CARDS_PER_DAY a day, days counted in the learner's own time zone.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fsrs import Card, Rating, Scheduler, State

from course import formatting
from course.accounts import User
from course.clock import require_aware
from course.content import Course
from course.permissions import Action, require
from course.store.db import Store
from course.store.events import Event, events_for_user, record_event

CARD_REVIEWED = "card.reviewed"
OBJECT_TYPE = "glossary"
NEW_CARDS_PER_DAY = 10
SCHEDULER = Scheduler(enable_fuzzing=False)

RATINGS: tuple[Rating, ...] = (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy)
RATING_NAMES: Mapping[Rating, str] = {rating: rating.name.lower() for rating in RATINGS}
_RATING_BY_NAME = {name: rating for rating, name in RATING_NAMES.items()}
_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))  # largest first


@dataclass(frozen=True)
class Review:
    term_id: str
    rating: Rating
    at: datetime


@dataclass(frozen=True)
class CardState:
    """One term's card after replaying its reviews."""

    term_id: str
    card: Card  # fsrs's card (a mutable class): treat it as read-only, `review_card` copies it
    reviews: int
    first_reviewed: datetime
    last_rating: Rating

    @property
    def due(self) -> datetime:
        return self.card.due

    @property
    def learned(self) -> bool:
        """Graduated from the short learning steps to day-long intervals (and not lapsed since)."""
        return self.card.state is State.Review


@dataclass(frozen=True)
class DeckStats:
    due_now: int  # cards seen before and due again
    new_today: int  # new cards still to be introduced today
    reviewed_today: int  # ratings given today
    learned: int
    started: int  # cards reviewed at least once
    total: int  # cards in the deck (one per glossary term)


@dataclass(frozen=True)
class Deck:
    cards: Mapping[str, CardState]  # every card reviewed at least once, by term id
    due: tuple[str, ...]  # term ids of seen cards due now, most overdue first
    new: tuple[str, ...]  # term ids of unseen cards to introduce today, in course order
    next_due: datetime | None  # when the next card not yet due falls due
    stats: DeckStats

    @property
    def queue(self) -> tuple[str, ...]:
        return self.due + self.new


def card_id(term_id: str) -> int:
    """A stable number for the card (fsrs would otherwise use the clock, and sleep a millisecond)."""
    return zlib.crc32(term_id.encode())


def _utc(moment: datetime) -> datetime:
    require_aware(moment)
    return moment.astimezone(UTC)  # fsrs accepts only datetime.UTC


def parse_rating(value: object) -> Rating:
    if isinstance(value, str) and value in _RATING_BY_NAME:
        return _RATING_BY_NAME[value]
    raise ValueError(f"unknown rating {value!r}; expected one of {', '.join(_RATING_BY_NAME)}")


def reviews_from_events(events: Iterable[Event]) -> list[Review]:
    """The reviews in a learner's events, in the order they happened."""
    return [
        Review(event.object_id, parse_rating(event.payload.get("rating")), event.occurred_at)
        for event in events
        if event.verb == CARD_REVIEWED and event.object_type == OBJECT_TYPE
    ]


def replay(reviews: Iterable[Review], *, scheduler: Scheduler = SCHEDULER) -> dict[str, CardState]:
    """Every reviewed card's state: its reviews fed through the scheduler in the order given."""
    cards: dict[str, CardState] = {}
    for review in reviews:
        cards[review.term_id] = _apply(cards.get(review.term_id), review, scheduler)
    return cards


def _apply(state: CardState | None, review: Review, scheduler: Scheduler) -> CardState:
    at = _utc(review.at)
    before = state.card if state else Card(card_id=card_id(review.term_id), due=at)
    after, _ = scheduler.review_card(before, review.rating, at)
    return CardState(
        term_id=review.term_id,
        card=after,
        reviews=(state.reviews if state else 0) + 1,
        first_reviewed=state.first_reviewed if state else at,
        last_rating=review.rating,
    )


def course_order(course: Course) -> list[str]:
    """Term ids in the order the course teaches them: by module, then terms no module lists, A-Z."""
    order: dict[str, None] = {}
    for module in sorted(course.modules.values(), key=lambda m: (m.meta.order, m.id)):
        for concept in module.meta.concepts:
            if concept in course.glossary:
                order.setdefault(concept)
    for term in sorted(course.glossary.values(), key=lambda t: t.term.casefold()):
        order.setdefault(term.id)
    return list(order)


def build_deck(
    course: Course,
    reviews: Sequence[Review],
    *,
    now: datetime,
    new_per_day: int = NEW_CARDS_PER_DAY,
    scheduler: Scheduler = SCHEDULER,
    tz: ZoneInfo = formatting.UTC_ZONE,
) -> Deck:
    """The due queue and statistics at `now` for a learner with these reviews (oldest first).

    "Today" (the new-card limit, reviewed today) is the learner's calendar day in ``tz``.
    """
    now = _utc(now)
    today = formatting.local_today(now, tz)
    deck_ids = course_order(course)
    # Cards for terms removed from the glossary stay in the record but leave the deck.
    cards = {
        term_id: state for term_id, state in replay(reviews, scheduler=scheduler).items() if term_id in course.glossary
    }
    due = sorted((state.due, term_id) for term_id, state in cards.items() if state.due <= now)
    later = [state.due for state in cards.values() if state.due > now]
    introduced_today = sum(1 for state in cards.values() if formatting.local_today(state.first_reviewed, tz) == today)
    new_today = max(0, new_per_day - introduced_today)
    new = tuple(term_id for term_id in deck_ids if term_id not in cards)[:new_today]
    stats = DeckStats(
        due_now=len(due),
        new_today=len(new),
        reviewed_today=sum(1 for review in reviews if formatting.local_today(_utc(review.at), tz) == today),
        learned=sum(1 for state in cards.values() if state.learned),
        started=len(cards),
        total=len(deck_ids),
    )
    return Deck(cards, tuple(term_id for _, term_id in due), new, min(later, default=None), stats)


def preview(
    state: CardState | None, term_id: str, *, now: datetime, scheduler: Scheduler = SCHEDULER
) -> dict[Rating, datetime]:
    """When the card would next be due after each rating given at `now` (nothing is recorded)."""
    review_time = _utc(now)
    return {rating: _apply(state, Review(term_id, rating, review_time), scheduler).due for rating in RATINGS}


def interval_phrase(due: datetime, now: datetime) -> str:
    """'in 10 minutes', 'in 3 days', 'now': how far off a due date is, roughly."""
    seconds = (_utc(due) - _utc(now)).total_seconds()
    if seconds < _UNITS[-1][1]:
        return "now"
    unit, size = next((unit, size) for unit, size in _UNITS if seconds >= size)
    count = round(seconds / size)
    return f"in {count} {unit}{'' if count == 1 else 's'}"


def retrievability(state: CardState, *, now: datetime, scheduler: Scheduler = SCHEDULER) -> float:
    """FSRS's estimate (0-1) that the learner would recall this term now: the basis for mastery."""
    return float(scheduler.get_card_retrievability(state.card, _utc(now)))


# --- the learner's own record -------------------------------------------------------------------


def my_reviews(store: Store, user: User) -> list[Review]:
    """The signed-in learner's own reviews (the query is scoped to them)."""
    require(user, Action.VIEW_COURSE)
    return reviews_from_events(events_for_user(store, user.id, verb=CARD_REVIEWED, object_type=OBJECT_TYPE))


def my_deck(store: Store, user: User, course: Course, *, now: datetime) -> Deck:
    return build_deck(course, my_reviews(store, user), now=now, tz=formatting.zone_or_utc(user.time_zone))


def review_card(store: Store, user: User, course: Course, term_id: str, rating: Rating, *, now: datetime) -> CardState:
    """Record one rating of a card and return the card's new state (replayed, not stored)."""
    require(user, Action.VIEW_COURSE)
    if term_id not in course.glossary:
        raise ValueError(f"'{term_id}' is not a glossary term")
    if rating not in RATINGS:
        raise ValueError(f"unknown rating {rating!r}")
    now = _utc(now)
    history = reviews_from_events(
        events_for_user(store, user.id, verb=CARD_REVIEWED, object_type=OBJECT_TYPE, object_id=term_id)
    )
    state = _apply(replay(history).get(term_id), Review(term_id, rating, now), SCHEDULER)
    record_event(
        store,
        user_id=user.id,
        verb=CARD_REVIEWED,
        object_type=OBJECT_TYPE,
        object_id=term_id,
        content_version=course.version_of("term", term_id),
        payload={
            "rating": RATING_NAMES[rating],
            "due": state.due.isoformat(),
            "stability": state.card.stability,
            "difficulty": state.card.difficulty,
        },
        now=now,
    )
    return state


__all__ = [
    "CARD_REVIEWED",
    "NEW_CARDS_PER_DAY",
    "RATINGS",
    "RATING_NAMES",
    "SCHEDULER",
    "CardState",
    "Deck",
    "DeckStats",
    "Rating",
    "Review",
    "build_deck",
    "course_order",
    "interval_phrase",
    "my_deck",
    "my_reviews",
    "parse_rating",
    "preview",
    "replay",
    "retrievability",
    "review_card",
    "reviews_from_events",
]
