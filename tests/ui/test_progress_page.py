"""The learner's progress page draws every chart from activity recorded through the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from course import assessment, progress
from course.accounts import User
from course.clock import utcnow
from course.store.db import Store
from course.store.events import record_event
from course.ui import resources
from tests.ui.conftest import signed_in, texts, vega_charts

MakeUser = Callable[..., User]
PAGE = "course/ui/pages/progress.py"


def test_a_new_learner_sees_empty_charts_and_a_first_step(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    assert not at.exception
    assert texts(at.title) == ["Your progress"]
    charts = vega_charts(at)
    assert set(charts) == {
        "Module completion",
        "Time spent per module",
        "Mastery by concept (click a row for the evidence)",
    }
    spec, (frame,) = charts["Module completion"]
    assert spec["description"] and list(frame["Status"]) == ["Not yet", "Not yet"]
    assert "Your scores will appear here after you submit the assessment." in texts(at.info)
    assert any("you have not met it" in t for t in texts(at.markdown))


def test_recorded_activity_shows_in_every_chart_and_the_evidence_opens(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    course = resources.content().course
    first = course.modules["first"]
    start = utcnow() - timedelta(hours=2)
    progress.record_module_view(app_store, user, first, now=start)
    progress.set_module_complete(app_store, user, first, True, now=start + timedelta(minutes=10))
    attempt = assessment.start_attempt(
        app_store, user, course, assessment.Settings(items=5, pass_mark_percent=80), now=start + timedelta(minutes=20)
    )
    for n, item in enumerate(attempt.paper):
        chosen = item.answer if n < 4 else next(k for k in item.options if k != item.answer)
        assessment.save_answer(
            app_store, user, attempt.id, item.item_id, chosen, answered_at=start + timedelta(minutes=21)
        )
    assessment.submit(app_store, user, attempt.id, now=start + timedelta(minutes=25))
    record_event(
        app_store,
        user_id=user.id,
        verb="card.reviewed",
        object_type="glossary",
        object_id="containment",
        content_version="v",
        payload={"rating": "good"},
        now=start + timedelta(minutes=30),
    )

    at = signed_in(app_store, user, PAGE)

    assert not at.exception
    charts = vega_charts(at)
    _, (completion,) = charts["Module completion"]
    assert dict(zip(completion["Module"], completion["Status"], strict=True)) == {
        "A first module": "Complete",
        "A second module": "Not yet",
    }
    score_spec, score_frames = charts["Assessment score per attempt"]
    assert [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in score_spec["layer"]
    ] == [
        "line",
        "rule",
    ]
    assert list(score_frames[0]["Score"]) == [80.0] and list(score_frames[1]["Pass mark"]) == [80]
    _, (time,) = charts["Time spent per module"]
    # Viewed at 0, completed at 10, next action (the assessment) at 20: both spans belong to the module.
    assert dict(zip(time["Module"], time["Minutes"], strict=True))["A first module"] == 20.0
    mastery_spec, (grid,) = charts["Mastery by concept (click a row for the evidence)"]
    assert mastery_spec["params"][0]["name"] == "concept"  # clicking a cell selects its concept
    containment = grid[grid["Concept"] == "Containment"].iloc[0]
    assert containment["Evidence"] >= 1

    at.selectbox[0].set_value("Containment").run()
    assert not at.exception
    assert any("**Containment**: score" in t for t in texts(at.markdown))
    assert "flashcard" in at.dataframe[-1].value["Source"].tolist()


def test_no_evidence_is_its_own_status_and_never_a_half_bar(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    spec, (grid,) = vega_charts(at)["Mastery by concept (click a row for the evidence)"]
    assert set(grid["Status"]) == {"No evidence yet"}
    assert grid["Score"].isna().all()  # no answers: no score to draw, not the prior's 0.5
    track, bars, missing = spec["layer"]
    assert track["mark"]["color"] == "#eeeeee"  # every concept has its empty track, from 0 to 1
    assert bars["transform"] == [{"filter": "isValid(datum.Score)"}]  # only concepts with a score get a bar
    assert missing["transform"] == [{"filter": "!isValid(datum.Score)"}]
    assert missing["encoding"]["text"] == {"value": "no evidence yet"}
    legend = bars["encoding"]["color"]["scale"]["domain"]
    assert legend == ["Mastered", "Working on it", "Not met yet", "No evidence yet"]  # the legend names all four
    assert any("“No evidence yet” means" in t for t in texts(at.caption))


def test_evidence_names_questions_as_the_learner_met_them(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    course = resources.content().course
    [check] = [item for item in course.checks_for("first") if item.id == "first-check-1"]
    progress.answer_check(app_store, user, course, check, "b", position=0, now=utcnow() - timedelta(hours=1))
    at = signed_in(app_store, user, PAGE)
    _, (grid,) = vega_charts(at)["Mastery by concept (click a row for the evidence)"]
    row = grid[grid["Concept"] == "Containment"].iloc[0]
    assert (row["Status"], row["Evidence"]) == ("Not met yet", 1)
    at.selectbox[0].set_value("Containment").run()
    [what] = at.dataframe[-1].value["What"].tolist()
    assert what == (
        "Knowledge check, A first module, question 1: "
        "“Which concept names a relationship that helps someone manage feelings?”"
    )
    assert "first-check-1" not in what
