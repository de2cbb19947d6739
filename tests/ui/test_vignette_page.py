"""The case page: catalogue, one step at a time, feedback, reflection, undo, restart, ending and map."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamlit.testing.v1 import AppTest

from course import accounts
from course.accounts import User
from course.clock import utcnow
from course.reflections import my_reflections
from course.store.db import Store
from course.store.events import events_for_user
from tests.ui.conftest import signed_in, texts

MakeUser = Callable[..., User]
PAGE = "course/ui/pages/vignettes.py"


def decide(at: AppTest, choice: str, reason: str = "") -> None:
    at.radio[0].set_value(choice)
    if reason:
        at.text_input[0].input(reason)
    at.button[0].click().run()


def test_catalogue_lists_cases_with_status(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    assert not at.exception
    assert [link.proto.label for link in at.get("page_link")] == ["A fixture case"]
    assert "not started" in texts(at.caption)[0]


def test_play_to_the_harmful_ending_then_undo_and_reach_the_helpful_one(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE, id="case")
    at.button(key="start").click().run()
    assert "The patient asks for another change." in at.get("html")[0].proto.body
    at.button(key="continue-intro").click().run()
    assert meters(at) == "Therapeutic alliance **5 / 10** · Medication changes **0 / 5**"
    assert not at.metric  # one compact line, not a screenful of large figures on a phone
    decide(at, "switch", "He asked so insistently")
    assert not at.exception
    assert meters(at) == "Therapeutic alliance **4 / 10** · Medication changes **1 / 5**"
    assert any("Switching may be acting out helplessness." in t for t in texts(at.markdown))
    # The concept opens in place (a popover: no new page), with its definition and a link to its entry.
    [popover] = popovers(at)
    assert popover.proto.popover.label == "Transference"
    inside = [child.proto for child in popover.children.values()]
    assert "Meeting a present relationship with patterns learnt in earlier ones." in inside[0].body
    assert (inside[1].label, inside[1].query_string) == ("Open the full entry", "term=transference")
    assert any("/modules?id=first#containment" in t for t in texts(at.markdown))
    at.button(key="continue-after-switch").click().run()  # the route: switches>=1 and alliance<5
    assert texts(at.error)[0] == "A harmful ending"
    assert "digraph story" in at.get("graphviz_chart")[0].proto.spec
    at.button(key="undo").click().run()
    assert meters(at) == "Therapeutic alliance **5 / 10** · Medication changes **0 / 5**"
    decide(at, "talk")
    at.text_area[0].input("He may be telling me he feels alone.")
    at.button[0].click().run()
    assert not at.exception
    assert texts(at.success)[0] == "A helpful ending"
    spec = at.get("graphviz_chart")[0].proto.spec
    assert (
        '"decide" -> "reflect" [id="decide--talk", label="Talk about the relationship", color="#1565c0", penwidth=3, '
        'class="taken"]' in spec
    )
    [reflection] = my_reflections(app_store, user)
    assert reflection.entries[0]["answer"] == "He may be telling me he feels alone."
    step_reasons = [e.payload.get("reason") for e in events_for_user(app_store, user.id, verb="vignette.step")]
    assert "He asked so insistently" in step_reasons
    ended = events_for_user(app_store, user.id, verb="vignette.ended")
    assert [e.payload["ending"] for e in ended] == ["worse", "better"]


def test_reload_resumes_at_the_same_node_with_the_same_state(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE, id="case")
    at.button(key="start").click().run()
    at.button(key="continue-intro").click().run()
    decide(at, "switch")
    # A new session (a reload, or a week later on another device) with a fresh session token.
    again = signed_in(app_store, user, PAGE, id="case")
    assert meters(again) == "Therapeutic alliance **4 / 10** · Medication changes **1 / 5**"
    assert again.button(key="continue-after-switch") is not None


def test_a_decision_needs_a_choice(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE, id="case")
    at.button(key="start").click().run()
    at.button(key="continue-intro").click().run()
    at.button[0].click().run()
    assert texts(at.warning) == ["Choose what you would do first."]


def test_unknown_case_address(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE, id="nobody")
    assert texts(at.error) == ["There is no case at this address."]


def test_restart_starts_again(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE, id="case")
    at.button(key="start").click().run()
    at.button(key="continue-intro").click().run()
    at.button(key="restart").click().run()
    assert "continue-intro" not in [b.key for b in at.button]  # one click only asks
    at.button(key="restart-yes").click().run()
    assert at.button(key="continue-intro") is not None
    assert accounts.user_for_session(app_store, at.session_state["auth_token"], now=utcnow()) == user


def test_a_prescribing_choice_shows_its_safety_note_with_its_sources(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE, id="case")
    at.button(key="start").click().run()
    at.button(key="continue-intro").click().run()
    decide(at, "switch")
    assert not at.exception
    [note] = [t for t in texts(at.info) if "Safety" in t]
    assert "Check the interaction and the washout between the two drugs." in note
    assert any(
        "Formulary C (2024). A formulary the course cites directly. (Interactions)" in t for t in texts(at.caption)
    )


def test_a_talking_choice_shows_no_safety_note(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE, id="case")
    at.button(key="start").click().run()
    at.button(key="continue-intro").click().run()
    decide(at, "talk")
    assert not [t for t in texts(at.info) if "Safety" in t]


def test_a_choice_closed_by_state_is_shown_unavailable_with_its_reason(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE, id="case")
    at.button(key="start").click().run()
    at.button(key="continue-intro").click().run()
    assert at.radio[0].options == ["Switch again", "Talk about the relationship"]
    [closed] = [t for t in texts(at.caption) if "Wait and see together" in t]
    assert "not open to you now" in closed
    assert "Waiting needs more trust between you than there is yet." in closed
    assert "Therapeutic alliance is 5; it needs 8 or more." in closed


def meters(at: AppTest) -> str:
    """The case's meter line (a caption naming each variable with its value)."""
    [line] = [t for t in texts(at.caption) if t.startswith("Therapeutic alliance **")]
    return line


def popovers(at: AppTest) -> list[Any]:
    """Every st.popover on the page, however deeply nested."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        if getattr(node, "type", None) == "popover":
            found.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def test_restart_asks_first_saying_what_ends_and_cancel_keeps_the_step(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, PAGE, id="case")
    at.button(key="start").click().run()
    at.button(key="continue-intro").click().run()
    decide(at, "switch")
    moved_on = meters(at)
    at.button(key="restart").click().run()
    assert [t for t in texts(at.warning) if t.startswith("Restart")] == [
        "Restart the case? You go back to the first step and this run ends unfinished: its 1 decision no longer "
        "counts as your route (your Why? notes and reflections stay in your CPD portfolio)."
    ]
    at.button(key="restart-cancel").click().run()
    assert not [t for t in texts(at.warning) if t.startswith("Restart")]
    assert meters(at) == moved_on  # still where it was
    assert at.button(key="restart") is not None
