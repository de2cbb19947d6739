"""Reflections stay private; a vignette resumed from the event log equals the one played in memory."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from course import accounts, play
from course.accounts import Role, User
from course.content import load_course
from course.permissions import PermissionDenied
from course.reflections import my_reflections, save_reflection
from course.store.db import Store
from course.store.events import events_for_user
from course.vignette import CONTINUE, UNDO, advance, start
from tests.content.fixtures import GOOD

VIGNETTE = load_course(GOOD).course.vignettes["case"]


def person(store: Store, now: datetime, email: str) -> User:
    return accounts.create_user_admin(
        store, email=email, display_name=email.split("@")[0], password="a long password 1", role=Role.LEARNER, now=now
    )


def test_reflections_are_readable_only_by_their_author(store: Store, now: datetime) -> None:
    alice, bob = person(store, now, "alice@example.org"), person(store, now, "bob@example.org")
    save_reflection(
        store, alice, object_type="vignette", object_id="case", node_id="reflect",
        prompts=["What is my patient trying to communicate?"], answers=["  That he is lonely.  "],
        content_version="v1", now=now,
    )  # fmt: skip
    [mine] = my_reflections(store, alice)
    assert mine.entries == [{"prompt": "What is my patient trying to communicate?", "answer": "That he is lonely."}]
    assert mine.created_at == now
    assert my_reflections(store, bob) == []
    with pytest.raises(PermissionDenied):
        my_reflections(store, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exactly one answer"):
        save_reflection(
            store, alice, object_type="vignette", object_id="case", node_id=None, prompts=["a", "b"], answers=["x"],
            content_version="v1", now=now,
        )  # fmt: skip


def test_resuming_from_the_store_equals_playing_in_memory(store: Store, now: datetime) -> None:
    learner = person(store, now, "carol@example.org")
    assert play.resume(store, learner, VIGNETTE, "v1").state is None
    actions = [(CONTINUE, None), ("switch", "he pushed hard"), (UNDO, None), ("talk", None), (CONTINUE, None)]
    state = play.begin(store, learner, VIGNETTE, "v1", now=now)
    memory, _ = start(VIGNETTE, content_version="v1", now=now)
    for minute, (action, reason) in enumerate(actions, start=1):
        when = now + timedelta(minutes=minute)
        state = play.act(store, learner, VIGNETTE, state, action, now=when, reason=reason)
        memory, _ = advance(VIGNETTE, memory, action, now=when, reason=reason)
        assert play.resume(store, learner, VIGNETTE, "v1").state == state == memory
    assert state.node == "better"
    verbs = [e.verb for e in events_for_user(store, learner.id, object_type="vignette")]
    assert verbs == [
        "vignette.started", "vignette.step", "vignette.step", "vignette.undone", "vignette.step", "vignette.step",
        "vignette.ended",
    ]  # fmt: skip


def test_restart_begins_a_new_run_and_keeps_the_old_one_in_the_log(store: Store, now: datetime) -> None:
    learner = person(store, now, "dan@example.org")
    state = play.begin(store, learner, VIGNETTE, "v1", now=now)
    play.act(store, learner, VIGNETTE, state, CONTINUE, now=now + timedelta(minutes=1))
    play.begin(store, learner, VIGNETTE, "v1", now=now + timedelta(minutes=2))
    resumed = play.resume(store, learner, VIGNETTE, "v1").state
    assert resumed is not None and resumed.node == "intro" and resumed.route == ()
    assert len(events_for_user(store, learner.id, verb="vignette.started")) == 2


def test_resume_replays_only_the_latest_run_even_when_runs_share_a_timestamp(store: Store, now: datetime) -> None:
    # A restart in the same instant as the last step is ordered by event id, as the log is.
    learner, other = person(store, now, "fay@example.org"), person(store, now, "gus@example.org")
    for run in range(3):
        state = play.begin(store, learner, VIGNETTE, "v1", now=now)
        state = play.act(store, learner, VIGNETTE, state, CONTINUE, now=now)
        if run < 2:
            play.act(store, learner, VIGNETTE, state, "switch", now=now)
        theirs = play.begin(store, other, VIGNETTE, "v1", now=now)  # another learner, interleaved
    resumed = play.resume(store, learner, VIGNETTE, "v1").state
    assert resumed is not None and resumed.node == state.node and len(resumed.route) == 1
    assert play.resume(store, other, VIGNETTE, "v1").state == theirs

    assert len(events_for_user(store, learner.id, object_type="vignette")) == 8


def test_a_route_that_no_longer_fits_the_content_is_reported_stale(store: Store, now: datetime) -> None:
    learner = person(store, now, "eve@example.org")
    state = play.begin(store, learner, VIGNETTE, "v1", now=now)
    state = play.act(store, learner, VIGNETTE, state, CONTINUE, now=now)
    play.act(store, learner, VIGNETTE, state, "switch", now=now)
    renamed = VIGNETTE.model_copy(
        update={
            "nodes": [
                n.model_copy(
                    update={
                        "choices": [c.model_copy(update={"id": "swap"}) if c.id == "switch" else c for c in n.choices]
                    }
                )
                if n.kind == "choice"
                else n
                for n in VIGNETTE.nodes
            ]
        }
    )
    resumed = play.resume(store, learner, renamed, "v2")
    assert resumed.state is None and resumed.stale


def test_route_counts_come_from_the_events_in_aggregate_only(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from course import route_analytics
    from course.route_analytics import MIN_LEARNERS, route_counts

    educator = accounts.create_user_admin(
        store, email="teach@example.org", display_name="T", password="a long password 1", role=Role.EDUCATOR, now=now
    )
    routes = [["switch"], ["switch"], ["talk"], ["talk"], ["talk"]]
    learners = [person(store, now, f"l{i}@example.org") for i in range(len(routes))]
    for index, (learner_user, route) in enumerate(zip(learners, routes, strict=True)):
        state = play.begin(store, learner_user, VIGNETTE, "v1", now=now)
        state = play.act(store, learner_user, VIGNETTE, state, CONTINUE, now=now)
        for choice in route:
            state = play.act(store, learner_user, VIGNETTE, state, choice, now=now)
        while state.node not in {"better", "worse"}:
            state = play.act(store, learner_user, VIGNETTE, state, CONTINUE, now=now)
        if index == 0:  # one learner replays: still counted once per node
            play.begin(store, learner_user, VIGNETTE, "v1", now=now)
    assert route_counts(store, educator, "case", [u.id for u in learners[:4]]) is None  # fewer than 5
    # Five learners: every count but the starters is below k or its complement is (issue 16).
    shown = route_counts(store, educator, "case")
    assert shown is not None and shown.learners == MIN_LEARNERS == 5
    assert (shown.reached, shown.took, shown.ended, shown.suppressed) == ({"intro": 5}, {}, {}, True)
    # The counting itself (before small cells are held back) is exact.
    monkeypatch.setattr(route_analytics, "protect", lambda raw, *_args, **_kwargs: raw)
    counts = route_counts(store, educator, "case")
    assert counts is not None and counts.learners == MIN_LEARNERS == 5
    assert counts.reached == {"intro": 5, "decide": 5, "after-switch": 2, "worse": 2, "reflect": 3, "better": 3}
    assert counts.took == {("decide", "switch"): 2, ("decide", "talk"): 3}
    assert counts.ended == {"worse": 2, "better": 3}
    with pytest.raises(PermissionDenied):
        route_counts(store, learners[0], "case")
