"""Cohorts, assignments and the educator dashboard in AppTest, from activity recorded through the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from streamlit.testing.v1 import AppTest

from course import accounts, assessment, cohorts, play, progress
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from course.ui import resources
from course.ui.forms import plain
from tests.ui.conftest import REPO, signed_in, texts, vega_charts

MakeUser = Callable[..., User]
COHORTS = "course/ui/pages/cohorts.py"
DASHBOARDS = "course/ui/pages/dashboards.py"
HOME = "course/ui/pages/home.py"


def test_an_educator_creates_a_cohort_invites_a_learner_and_assigns_a_module(
    app_store: Store, make_user: MakeUser
) -> None:
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    ann = make_user(email="ann@example.org", name="Annabel Jones")
    at = signed_in(app_store, teacher, COHORTS)
    assert not at.exception
    assert "You have no cohorts yet." in texts(at.info)[0]

    at.text_input[0].input("   ")
    at.button[0].click().run()  # the form's submit button
    assert texts(at.error) == ["Give the cohort a name."]
    at.text_input[0].input("ST4 <b>spring</b>")
    at.button[0].click().run()
    assert not at.exception
    (created,) = cohorts.cohorts_for(app_store, teacher)
    assert created.name == "ST4 <b>spring</b>"
    assert any(created.invite_code in t for t in texts(at.success))
    assert [c.value for c in at.code] == [created.invite_code]

    # Issue 16: no search over accounts; an invitation to the exact email, which the learner accepts.
    at.text_input(key="invite-email").input("ann@example.org")
    at.button[[b.label for b in at.button].index("Send invitation")].click().run()
    assert cohorts.members(app_store, teacher, created.id) == []  # invited is not joined
    account = signed_in(app_store, ann, "course/ui/pages/account.py")
    account.button(key=f"accept-{created.id}").click().run()
    assert [m.user_id for m in cohorts.members(app_store, teacher, created.id)] == [ann.id]
    at.run()
    assert at.dataframe[0].value["Name"].tolist() == ["Annabel Jones"]

    at.radio(key="assign-kind").set_value("Module").run()
    at.selectbox(key="assign-item").set_value("second").run()
    at.date_input(key="assign-due").set_value(utcnow().date() - timedelta(days=1)).run()
    at.button(key="assign").click().run()
    (refused,) = texts(at.error)
    assert refused.startswith("That due date has already passed: today is ")
    assert refused.endswith("in the cohort's time zone (UTC). Choose today or a later day.")
    at.date_input(key="assign-due").set_value(utcnow().date() + timedelta(days=3)).run()
    at.button(key="assign").click().run()
    (task,) = cohorts.assignments(app_store, teacher, created.id)
    assert (task.object_type, task.object_id) == ("module", "second")

    home = signed_in(app_store, ann, HOME)
    assert not home.exception
    links = [link.proto.label for link in home.get("page_link")]
    # The cohort name a person typed is escaped in the link's (Markdown) label: shown as typed.
    assert any("A second module · due" in label and plain("ST4 <b>spring</b>") in label for label in links)


def test_a_learner_joins_with_a_code_and_a_bad_code_is_explained(app_store: Store, make_user: MakeUser) -> None:
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    ann = make_user()
    cohort = cohorts.create_cohort(app_store, teacher, "Group A", now=utcnow())
    at = signed_in(app_store, ann, HOME)
    at.text_input[0].input("nope-nope")
    at.button[0].click().run()
    assert texts(at.error) == ["No cohort has the code NOPE-NOPE. Check it with your educator."]
    at.text_input[0].input(cohort.invite_code.lower())
    at.button[0].click().run()
    assert not at.exception
    assert texts(at.success)[-1] == "You are in Group A. Its assignments are listed above."
    assert [c.id for c in cohorts.learner_cohorts(app_store, ann)] == [cohort.id]


def test_another_educators_cohort_behaves_as_missing(app_store: Store, make_user: MakeUser) -> None:
    tess = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    omar = make_user(Role.EDUCATOR, email="omar@example.org", name="Omar")
    theirs = cohorts.create_cohort(app_store, omar, "Omar's secret group", now=utcnow())
    for page in (COHORTS, DASHBOARDS):
        at = signed_in(app_store, tess, page, cohort=str(theirs.id))
        assert not at.exception
        assert "That cohort does not exist, or it is not one of yours." in texts(at.error)
        assert not any("Omar's secret group" in t for t in texts(at.markdown) + texts(at.subheader))
    learner = make_user()
    direct = AppTest.from_file(str(REPO / DASHBOARDS), default_timeout=30)
    direct.session_state["auth_token"] = accounts.start_session(app_store, learner.id, now=utcnow())
    direct.query_params["cohort"] = str(theirs.id)
    direct.run()
    assert texts(direct.error) == ["You do not have access to this page."]
    assert not direct.title


def test_the_dashboard_draws_every_chart_from_recorded_activity(app_store: Store, make_user: MakeUser) -> None:
    course = resources.content().course
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    cohort = cohorts.create_cohort(app_store, teacher, "Group A", now=utcnow())
    start = utcnow() - timedelta(days=2)
    cohorts.assign(app_store, teacher, cohort.id, "module", "first", start + timedelta(days=1), now=start)
    cohorts.assign(app_store, teacher, cohort.id, "vignette", "case", start + timedelta(days=5), now=start)
    case = course.vignettes["case"]
    learners = [make_user(email=f"l{i}@example.org", name=f"Learner {i}") for i in range(6)]
    for i, learner in enumerate(learners):
        cohorts.join_by_code(app_store, learner, cohort.invite_code, now=start)
        if i < 4:  # four finish the module in time, two never do
            progress.record_module_view(app_store, learner, course.modules["first"], now=start)
            progress.set_module_complete(
                app_store, learner, course.modules["first"], True, now=start + timedelta(minutes=5 + i)
            )
        state = play.begin(app_store, learner, case, course.version, now=start + timedelta(hours=1))
        state = play.act(app_store, learner, case, state, "continue", now=start + timedelta(hours=1, minutes=1))
        state = play.act(app_store, learner, case, state, "talk", now=start + timedelta(hours=1, minutes=2))
        play.act(app_store, learner, case, state, "continue", now=start + timedelta(hours=1, minutes=3))
        attempt = assessment.start_attempt(
            app_store, learner, course, assessment.Settings(items=5, pass_mark_percent=80), now=start
        )
        for n, item in enumerate(attempt.paper):
            chosen = item.answer if n <= i % 5 else next(k for k in item.options if k != item.answer)
            assessment.save_answer(app_store, learner, attempt.id, item.item_id, chosen, answered_at=start)
        assessment.submit(app_store, learner, attempt.id, now=start + timedelta(minutes=30))

    at = signed_in(app_store, teacher, DASHBOARDS, cohort=str(cohort.id))

    assert not at.exception
    charts = vega_charts(at)
    _, (grid,) = charts["Completion by learner and assignment"]
    states = grid.groupby(["Assignment", "State"]).size().to_dict()
    assert states == {("A first module", "done"): 4, ("A first module", "overdue"): 2, ("A fixture case", "done"): 6}
    _, (per_task,) = charts["Completion by assignment"]
    assert dict(zip(per_task["Assignment"], per_task["Done (%)"], strict=True)) == {
        "A first module": 66,  # 4 of 6, rounded down (one rule: formatting.floor_percent)
        "A fixture case": 100,
    }
    _, dist_frames = charts["Score distribution (all submitted attempts)"]
    assert sorted(dist_frames[0]["Score"]) == [20.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert list(dist_frames[1]["Pass mark"]) == [80]
    _, (time,) = charts["Time spent per learner"]
    assert len(time) == 6 and time["Minutes"].min() > 0
    _, (items,) = charts["Item facility"]
    assert items["Answers"].sum() == 6 * 5 and items["Facility"].between(0, 1).all()  # six papers of five
    assert (items["Low"] <= items["Facility"]).all() and (items["Facility"] <= items["High"]).all()
    overdue = at.dataframe[2].value
    assert sorted(overdue["Learner"]) == ["Learner 4", "Learner 5"]
    downloads = [b.proto.label for b in at.get("download_button")]
    assert downloads.count("Download CSV") >= 6
    story = at.get("graphviz_chart")[0].proto.spec
    assert "(6)" in story  # six learners reached the steps of the case, shown only in aggregate
    assert "Learner" not in story


def test_route_counts_stay_hidden_below_five_learners(app_store: Store, make_user: MakeUser) -> None:
    course = resources.content().course
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    cohort = cohorts.create_cohort(app_store, teacher, "Small group", now=utcnow())
    for i in range(4):
        learner = make_user(email=f"l{i}@example.org", name=f"Learner {i}")
        cohorts.join_by_code(app_store, learner, cohort.invite_code, now=utcnow())
        play.begin(app_store, learner, course.vignettes["case"], course.version, now=utcnow())
    at = signed_in(app_store, teacher, DASHBOARDS, cohort=str(cohort.id))
    assert not at.exception
    assert any("at least 5 learners" in t for t in texts(at.info))
    assert not at.get("graphviz_chart")
