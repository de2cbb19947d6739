"""The review-cards page in AppTest: reveal, rate, see when the card comes back; events recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from course import formatting
from course.accounts import User
from course.flashcards import CARD_REVIEWED, interval_phrase
from course.store.db import Store
from course.store.events import events_for_user
from course.ui.nav import pages_for, spec
from tests.ui.conftest import signed_in, texts

MakeUser = Callable[..., User]
PAGE = "course/ui/pages/flashcards.py"


def metrics(at: object) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}  # type: ignore[attr-defined]


def test_the_page_is_in_every_learners_menu_after_the_glossary(make_user: MakeUser) -> None:
    review = spec("review")
    assert (review.title, review.path, review.icon) == ("Review cards", PAGE, ":material/style:")
    paths = [p.url_path for p in pages_for(make_user())]
    assert paths.index("review") == paths.index("glossary") + 1


def test_rate_a_card_and_see_when_it_comes_back(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    assert not at.exception
    assert texts(at.title) == ["Review cards"]
    assert metrics(at) == {"Due now": "2", "Reviewed today": "0", "Learned": "0 / 2"}
    assert texts(at.subheader) == ["Containment"]  # course order: the first module's first concept
    assert [b.key for b in at.button if b.key and b.key.startswith("rate-")] == []  # answer hidden until asked

    at.button(key="show-containment-0").click().run()
    assert "**A relationship that helps a person hold and think about feelings" in texts(at.markdown)[0]
    assert [b.label for b in at.button if b.key and b.key.startswith("rate-")] == ["Again", "Hard", "Good", "Easy"]
    at.button(key="rate-good-containment-0").click().run()
    assert not at.exception

    [event] = events_for_user(app_store, user.id, verb=CARD_REVIEWED)
    assert (event.object_type, event.object_id, event.payload["rating"]) == ("glossary", "containment", "good")
    due = datetime.fromisoformat(event.payload["due"])
    assert due - event.occurred_at == timedelta(minutes=10)  # FSRS's second learning step
    [message] = texts(at.success)
    assert message.startswith(f"Containment: rated Good. Next review {interval_phrase(due, event.occurred_at)}")
    assert f"{formatting.format_datetime(due, UTC)}." in message
    assert metrics(at) == {"Due now": "1", "Reviewed today": "1", "Learned": "0 / 2"}
    assert texts(at.subheader) == ["Transference"]

    at.button(key="show-transference-0").click().run()
    at.button(key="rate-easy-transference-0").click().run()
    assert texts(at.success)[0].startswith("Transference: rated Easy. Next review in ")
    assert "day" in texts(at.success)[0]
    assert texts(at.success)[1] == "Nothing to review right now."
    assert metrics(at) == {"Due now": "0", "Reviewed today": "2", "Learned": "1 / 2"}
    assert any(c.startswith("The next card is due in ") for c in texts(at.caption))

    reviews = events_for_user(app_store, user.id, verb=CARD_REVIEWED)
    assert [(e.object_id, e.payload["rating"]) for e in reviews] == [("containment", "good"), ("transference", "easy")]
    assert set(reviews[1].payload) == {"rating", "due", "stability", "difficulty"}


def test_progress_survives_a_new_session(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE)
    at.button(key="show-containment-0").click().run()
    at.button(key="rate-easy-containment-0").click().run()
    again = signed_in(app_store, user, PAGE)  # a reload or another device: state comes from events
    assert metrics(again) == {"Due now": "1", "Reviewed today": "1", "Learned": "1 / 2"}
    assert texts(again.subheader) == ["Transference"]


def labels(at: object) -> list[str]:
    return [b.label for b in at.button]  # type: ignore[attr-defined]


def test_show_answer_goes_away_once_the_answer_is_shown(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    assert "Show answer" in labels(at)
    at.button(key="show-containment-0").click().run()
    assert not at.exception
    assert "Show answer" not in labels(at)  # the answer is out: nothing left to show
    assert {"Again", "Hard", "Good", "Easy"} <= set(labels(at))
    at.run()  # a rerun (another widget, a refresh of the fragment) keeps the answer shown
    assert "Show answer" not in labels(at)
    at.button(key="rate-good-containment-0").click().run()
    assert "Show answer" in labels(at) and "Again" not in labels(at)  # the next card starts hidden again
