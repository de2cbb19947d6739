"""Every date a person sees or picks is in their own zone; due days are in the cohort's zone (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from streamlit.testing.v1 import AppTest

from course import accounts, cohorts
from course.accounts import Role, User
from course.clock import frozen, utcnow
from course.store.db import Store
from tests.ui.conftest import APP, texts

MakeUser = Callable[..., User]
COHORTS = "course/ui/pages/cohorts.py"
HOME = "course/ui/pages/home.py"
ACCOUNT = "course/ui/pages/account.py"


def _page(app_store: Store, user: User, page: str, browser_zone: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if browser_zone is not None:
        at.context["timezone"] = browser_zone
    at.session_state["auth_token"] = accounts.start_session(app_store, user.id, now=utcnow())
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception
    return at


def _home_labels(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.get("page_link") if "A second module ·" in link.proto.label]


def test_due_3_march_is_not_overdue_at_1930_on_3_march_in_new_york(app_store: Store, make_user: MakeUser) -> None:
    """Issue 15's input: it showed "overdue since 03 Mar" (the due day ended at midnight UTC)."""
    nyc = ZoneInfo("America/New_York")
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    teacher = accounts.set_time_zone(app_store, teacher.id, "America/New_York")
    learner = make_user()
    accounts.set_time_zone(app_store, learner.id, "America/New_York")
    created_at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    group = cohorts.create_cohort(app_store, teacher, "Evening group", now=created_at)
    assert group.time_zone == "America/New_York"  # the creating educator's zone
    cohorts.join_by_code(app_store, learner, group.invite_code, now=created_at)
    cohorts.assign_due_day(app_store, teacher, group.id, "module", "second", date(2026, 3, 3), now=created_at)

    with frozen(datetime(2026, 3, 3, 19, 30, tzinfo=nyc)):
        (label,) = _home_labels(_page(app_store, learner, HOME))
    assert "overdue" not in label
    assert "due 3 Mar 2026, 23:59 New York time" in label

    with frozen(datetime(2026, 3, 4, 0, 0, 1, tzinfo=nyc)):
        (label,) = _home_labels(_page(app_store, learner, HOME))
    assert "overdue since 3 Mar 2026, 23:59 New York time" in label


def test_a_learner_elsewhere_sees_the_cohorts_deadline_in_their_own_zone(app_store: Store, make_user: MakeUser) -> None:
    teacher = accounts.set_time_zone(app_store, make_user(Role.EDUCATOR, email="t@example.org").id, "Europe/London")
    learner = make_user()
    created_at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    group = cohorts.create_cohort(app_store, teacher, "London group", now=created_at)
    cohorts.join_by_code(app_store, learner, group.invite_code, now=created_at)
    cohorts.assign_due_day(app_store, teacher, group.id, "module", "second", date(2026, 3, 3), now=created_at)
    with frozen(datetime(2026, 3, 3, 19, 30, tzinfo=UTC)):
        # No zone on the account yet: the browser's is detected, stored and used.
        (label,) = _home_labels(_page(app_store, learner, HOME, browser_zone="America/New_York"))
    assert "due 3 Mar 2026, 18:59 New York time" in label
    stored = accounts.get_user(app_store, learner.id)
    assert stored is not None and stored.time_zone == "America/New_York"


def test_honolulu_educator_at_1500_may_set_a_due_date_of_her_today(app_store: Store, make_user: MakeUser) -> None:
    """Issue 15's input: "That due date has already passed" and nothing saved (it was already 15 March in UTC)."""
    honolulu = ZoneInfo("Pacific/Honolulu")
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    with frozen(datetime(2026, 3, 14, 15, 0, tzinfo=honolulu)):
        at = _page(app_store, teacher, COHORTS, browser_zone="Pacific/Honolulu")
        at.text_input[0].input("Island cohort")
        at.button[0].click().run()
        (group,) = cohorts.cohorts_for(app_store, teacher)
        assert group.time_zone == "Pacific/Honolulu"
        at.selectbox(key="assign-item").set_value("second").run()
        assert at.date_input(key="assign-due").value == date(2026, 3, 28)  # her today + 14, not UTC's
        at.date_input(key="assign-due").set_value(date(2026, 3, 14)).run()
        at.button(key="assign").click().run()
        assert not at.exception
        assert texts(at.error) == []
        (task,) = cohorts.assignments(app_store, teacher, group.id)
        assert task.due_at == datetime(2026, 3, 14, 23, 59, 59, 999999, tzinfo=honolulu)
        assert "14 Mar 2026, 23:59 Honolulu time" in at.dataframe[1].value["Due"].tolist()

        at.date_input(key="assign-due").set_value(date(2026, 3, 13)).run()
        at.button(key="assign").click().run()
    assert texts(at.error) == [
        "That due date has already passed: today is 14 Mar 2026 in the cohort's time zone (Honolulu time). "
        "Choose today or a later day."
    ]


def test_the_account_page_changes_the_zone_and_explains_a_bad_one(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    at = _page(app_store, learner, ACCOUNT, browser_zone="Pacific/Kiritimati")
    assert at.selectbox(key="time-zone").value == "Pacific/Kiritimati"
    at.text_input(key="time-zone-typed").input("Mars/Olympus_Mons")
    at.button[1].click().run()  # the form's "Save time zone"
    assert not at.exception
    assert any("Mars/Olympus_Mons" in e and "is not a time zone" in e for e in texts(at.error))
    stored = accounts.get_user(app_store, learner.id)
    assert stored is not None and stored.time_zone == "Pacific/Kiritimati"  # nothing lost
    at.text_input(key="time-zone-typed").input("")
    at.selectbox(key="time-zone").set_value("Pacific/Pago_Pago")
    at.button[1].click().run()
    assert not at.exception
    assert texts(at.error) == []
    stored = accounts.get_user(app_store, learner.id)
    assert stored is not None and stored.time_zone == "Pacific/Pago_Pago"
