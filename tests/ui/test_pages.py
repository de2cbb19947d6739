"""Every page has an AppTest: what it shows, what it records, and who may open it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from course import accounts, cohorts
from course.accounts import Role, User
from course.clock import utcnow
from course.permissions import PermissionDenied
from course.progress import module_status
from course.store.db import Store
from course.store.events import completed_modules, events_for_user
from course.ui.nav import pages_for
from tests.ui.conftest import APP, REPO, signed_in, texts

MakeUser = Callable[..., User]


SIGN_IN = "course/ui/pages/sign_in.py"


def sign_in_form() -> AppTest:
    """The sign-in page as a signed-out visitor reaches it from the public course page."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(SIGN_IN).run()
    return at


def test_signed_out_visitor_lands_on_the_course_page_with_sign_in_within_reach(app_store: Store) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert texts(at.title) == ["Relational Prescribing"]
    links = [link.proto.label for link in at.get("page_link")]
    assert {"Sign in", "Create a free account", "Try a case without an account"} <= set(links)
    form = sign_in_form()
    assert texts(form.title) == ["Sign in"]
    assert [t.label for t in form.text_input] == ["Email", "Password"]


def test_wrong_password_and_unknown_user_get_the_same_message(app_store: Store, make_user: MakeUser) -> None:
    make_user()
    messages = []
    for email, password in [("learner@example.org", "wrong password!"), ("nobody@example.org", "whatever123")]:
        at = sign_in_form()
        at.text_input[0].input(email)
        at.text_input[1].input(password)
        at.button[0].click().run()
        messages.append(texts(at.error))
    assert messages[0] == messages[1] == ["Email or password is incorrect."]


def test_sign_in_hands_off_to_the_cookie_route(app_store: Store, make_user: MakeUser) -> None:
    make_user()
    at = sign_in_form()
    at.text_input[0].input("Learner@Example.org ")
    at.text_input[1].input("correct horse battery")
    at.button[0].click().run()
    assert not at.exception
    assert "Welcome, Lee Learner" in texts(at.success)[0]
    url = at.session_state["handoff_url"]
    assert url.startswith("/auth/handoff?token=") and url.endswith("&next=/")
    token = url.split("token=")[1].split("&")[0]
    session = accounts.redeem_handoff(app_store, token, now=utcnow())
    assert session is not None
    assert accounts.user_for_session(app_store, session, now=utcnow()) is not None


def test_sign_up_creates_a_learner_and_reports_every_problem(app_store: Store) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("course/ui/pages/sign_up.py").run()
    assert texts(at.title) == ["Create an account"]
    name, email, password, confirm = at.text_input
    name.input("Sam Trainee")
    email.input("not-an-email")
    password.input("short")
    confirm.input("short")
    at.button[0].click().run()
    assert len(at.error) == 1 and "email" in at.error[0].value.lower() and "10" in at.error[0].value
    at.text_input[1].input("sam@example.org")
    at.text_input[2].input("a long enough password")
    at.text_input[3].input("a different password")
    at.button[0].click().run()
    assert texts(at.error) == ["The two passwords differ. Please type them again."]
    at.text_input[3].input("a long enough password")
    at.button[0].click().run()
    assert not at.exception and not at.error
    user = accounts.find_user_by_email(app_store, "sam@example.org")
    assert user is not None and user.role is Role.LEARNER
    # Next the learner signs in (sign-up answers the same for a taken address, so it cannot sign in).
    assert "Your account for sam@example.org is ready" in texts(at.success)[0].replace("\u2060", "")
    assert at.text_input[0].value == "sam@example.org"
    at.text_input[1].input("a long enough password")
    at.button[0].click().run()
    assert any("Welcome, Sam Trainee" in t for t in texts(at.success)) and "handoff_url" in at.session_state


def _signed_up(email: str, name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("course/ui/pages/sign_up.py").run()
    for field, value in zip(
        at.text_input, (name, email, "a long enough password", "a long enough password"), strict=True
    ):
        field.input(value)
    at.button[0].click().run()
    assert not at.exception
    return at


def _page_words(at: AppTest) -> list[str]:
    return [*texts(at.title), *texts(at.success), *texts(at.error), *[b.label for b in at.button]]


def test_sign_up_answers_a_taken_address_exactly_as_a_new_one(app_store: Store, make_user: MakeUser) -> None:
    """Issue 16: "An account with this email already exists" told a stranger which addresses have accounts."""
    make_user(email="lee@example.org", name="Lee Learner")
    taken = _signed_up("lee@example.org", "Mallory")
    new = _signed_up("nova@example.org", "Nova")
    assert _page_words(taken) == [w.replace("nova", "lee") for w in _page_words(new)]
    assert not taken.error and "handoff_url" not in taken.session_state and "handoff_url" not in new.session_state
    lee = accounts.find_user_by_email(app_store, "lee@example.org")
    assert lee is not None and lee.display_name == "Lee Learner"  # the existing account is untouched


def test_home_shows_progress_and_the_next_module(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user())
    assert not at.exception
    assert texts(at.title) == ["Welcome, Lee Learner"]
    assert "0 of 2 modules complete" in at.get("progress")[0].proto.text


def test_module_catalogue_lists_modules_in_order(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), "course/ui/pages/modules.py")
    assert not at.exception
    labels = [link.proto.label for link in at.get("page_link")]
    assert labels == ["A first module", "A second module"]


def test_module_reader_renders_and_marks_complete(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, "course/ui/pages/modules.py", id="first")
    assert not at.exception
    assert texts(at.title) == ["A first module"]
    html = [e.proto.body for e in at.get("html")]
    assert any('<h2 id="containment">Containment</h2>' in body for body in html)
    assert "Describe containment." in " ".join(texts(at.markdown))
    at.button(key="complete").click().run()
    assert not at.exception
    assert set(completed_modules(app_store, user.id)) == {"first"}
    assert any("You completed this module" in s for s in texts(at.success))
    at.button(key="reopen").click().run()
    assert completed_modules(app_store, user.id) == {}
    verbs = [e.verb for e in events_for_user(app_store, user.id)]
    assert verbs == ["module.viewed", "module.completed", "module.reopened"]


def test_knowledge_check_gives_feedback_and_records_an_event(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, "course/ui/pages/modules.py", id="first")
    at.radio(key="pick-first-check-1").set_value("b")
    at.button(key="FormSubmitter:check-first-check-1-Check answer").click().run()
    assert not at.exception
    assert any(e.value.startswith("Not quite. Tempting") for e in at.error)
    [event] = events_for_user(app_store, user.id, verb="check.answered")
    assert event.object_id == "first-check-1"
    assert event.payload == {"module": "first", "chosen": "b", "correct": False, "position": 1}


def test_a_recorded_check_answer_and_its_feedback_survive_a_reload(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, "course/ui/pages/modules.py", id="first")
    at.radio(key="pick-first-check-1").set_value("b")
    at.button(key="FormSubmitter:check-first-check-1-Check answer").click().run()
    reloaded = signed_in(app_store, user, "course/ui/pages/modules.py", id="first")  # a new session
    assert not reloaded.exception
    assert "Your answer: **Transference**" in texts(reloaded.markdown)
    assert any(e.value.startswith("Not quite. Tempting") for e in reloaded.error)
    assert any("a new answer counts towards your mastery from" in t for t in texts(reloaded.caption))
    assert not [r for r in reloaded.radio if r.key == "pick-first-check-1"]  # the answer is shown, not re-asked
    # Answering again is possible; it is recorded, and the page shows the new answer.
    reloaded.button(key="again-first-check-1").click().run()
    reloaded.radio(key="pick-first-check-1").set_value("a")
    reloaded.button(key="FormSubmitter:check-first-check-1-Check answer").click().run()
    assert any(e.value.startswith("Right.") for e in reloaded.success)
    assert len(events_for_user(app_store, user.id, verb="check.answered")) == 2


def test_unknown_module_address_says_so(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), "course/ui/pages/modules.py", id="no-such-module")
    assert texts(at.error) == ["There is no module at this address."]


def test_progress_page_derives_status_from_events(app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    at = signed_in(app_store, user, "course/ui/pages/modules.py", id="second")
    at.button(key="complete").click().run()
    at.switch_page("course/ui/pages/progress.py").run()
    assert not at.exception
    assert at.metric[0].value == "1 / 2"
    table = at.dataframe[0].value
    assert list(table["Status"]) == ["Not yet", "Complete"]


def test_glossary_search_and_term_page(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), "course/ui/pages/glossary.py")
    assert [link.proto.label for link in at.get("page_link")] == ["Containment", "Transference"]
    at.text_input[0].input("transferential").run()
    assert [link.proto.label for link in at.get("page_link")] == ["Transference"]
    at = signed_in(app_store, make_user(email="b@example.org"), "course/ui/pages/glossary.py", term="containment")
    assert texts(at.title) == ["Containment"]
    # Back, the related term, then where it is used: the module that teaches it and the case.
    labels = [link.proto.label for link in at.get("page_link")]
    assert labels == ["All terms", "Transference", "A first module", "A fixture case"]


def test_account_page_signs_out_and_revokes_the_session(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), "course/ui/pages/account.py")
    token = at.session_state["auth_token"]
    assert "Lee Learner" in " ".join(texts(at.markdown))
    at.button(key="sidebar-sign-out").click().run()
    assert accounts.user_for_session(app_store, token, now=utcnow()) is None
    assert texts(at.info) == ["You are signed out."]
    at.run()  # whatever happens next, the revoked session shows the sign-in form
    assert texts(at.title) == ["Sign in"]


@pytest.mark.parametrize(
    ("page", "first_info"),
    [
        ("cohorts.py", "You have no cohorts yet."),
        ("dashboards.py", "Dashboards appear once you have a cohort."),
    ],
)
def test_educator_pages_start_empty_with_a_way_forward(
    app_store: Store, make_user: MakeUser, page: str, first_info: str
) -> None:
    at = signed_in(app_store, make_user(Role.EDUCATOR), f"course/ui/pages/{page}")
    assert not at.exception and at.info[0].value.startswith(first_info)


def test_admin_content_status(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(Role.ADMIN), "course/ui/pages/content_status.py")
    assert not at.exception
    assert [m.value for m in at.metric] == ["2", "10", "1", "2"]
    assert texts(at.success)[0].startswith("All content is valid")


@pytest.mark.parametrize("page", ["cohorts.py", "dashboards.py", "content_status.py"])
def test_learner_cannot_reach_educator_pages_by_url(app_store: Store, make_user: MakeUser, page: str) -> None:
    at = signed_in(app_store, make_user())
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(f"course/ui/pages/{page}")
    # Even run directly (as a URL that slipped into the menu would be), the page refuses.
    direct = AppTest.from_file(str(REPO / "course/ui/pages" / page), default_timeout=30)
    direct.session_state["auth_token"] = at.session_state["auth_token"]
    direct.run()
    assert texts(direct.error) == ["You do not have access to this page."]
    assert not direct.title


def test_learner_cannot_read_another_learners_progress_through_the_engine(
    app_store: Store, make_user: MakeUser
) -> None:
    me, other = make_user(), make_user(email="other@example.org")
    with pytest.raises(PermissionDenied):
        module_status(app_store, me, other.id)
    educator = make_user(Role.EDUCATOR, email="teach@example.org")
    with pytest.raises(PermissionDenied):  # not one of the educator's learners
        module_status(app_store, educator, other.id)
    cohort = cohorts.create_cohort(app_store, educator, "G", now=utcnow())
    cohorts.join_by_code(app_store, other, cohort.invite_code, now=utcnow())
    assert module_status(app_store, educator, other.id) == {}


def test_menu_follows_the_permission_table() -> None:
    learner = User(1, "l@x.org", "L", Role.LEARNER)
    educator = User(2, "e@x.org", "E", Role.EDUCATOR)
    learner_paths = {p.url_path for p in pages_for(learner)}
    assert (
        learner_paths
        == {
            "home",
            "modules",
            "vignettes",
            "assessment",
            "progress",
            "glossary",
            "review",
            "portfolio",
            "account",
        }
        | PUBLIC
    )
    assert {p.url_path for p in pages_for(educator)} == learner_paths | {"teaching", "learner", "cohorts", "dashboards"}
    assert {p.url_path for p in pages_for(None)} == PUBLIC  # signed out: only the public pages


PUBLIC = {"about", "sample", "forgot", "reset"}


def test_unreachable_database_shows_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/nowhere")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.error[0].value.startswith("The course database is not available:")
    assert "s3cret" not in at.error[0].value


def test_oidc_user_is_signed_in_with_the_mapped_role(app_store: Store) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-secret",
        "client_id": "course",
        "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
    }
    at.secrets["course_oidc"] = {"role_claim": "groups", "educator_values": ["educators"]}
    at.user = {
        "is_logged_in": True,
        "iss": "https://idp.example",
        "sub": "abc",
        "email": "Tutor@Example.org",
        "name": "Tess Tutor",
        "groups": ["educators"],
    }
    at.run()
    assert not at.exception
    assert texts(at.title) == ["Welcome, Tess Tutor"]
    user = accounts.find_user_by_email(app_store, "tutor@example.org")
    assert user is not None and user.role is Role.EDUCATOR


@pytest.mark.parametrize("value", ["1" * 40, "²", "-3", "0", "12abc", "٣"])
def test_ids_in_the_address_bar_that_cannot_be_ids_are_never_an_exception(value: str) -> None:
    from course.ui.forms import query_id

    assert query_id(value) is None
    assert query_id("42") == 42
