"""Every page x every role x hostile query parameters, driven by the page table.

The expectation for a page comes only from its `action` in `nav.PAGES` and
`permissions.ROLE_ACTIONS`, so pages added to the table later (cohorts, dashboards, portfolio)
are covered without touching this file. Each page file is run directly, as a URL that slipped
into someone's menu would run it, and the app's own navigation is checked to list exactly the
pages the role may open.

What "nobody sees what is not theirs" means here: another learner's name, her private reflection
and her graded attempt never appear on any page for anyone else (an admin may see names), and an
id that is not yours, nonsense, enormous or a path traversal gives a clear message, never a
traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from course import accounts, assessment
from course.accounts import Role, User
from course.clock import utcnow
from course.permissions import ROLE_ACTIONS
from course.reflections import save_reflection
from course.store.db import Store
from course.ui import resources
from course.ui.nav import PAGES, PageSpec
from tests.ui.conftest import APP, REPO, signed_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROLES: tuple[Role | None, ...] = (None, Role.LEARNER, Role.EDUCATOR, Role.ADMIN)
OTHER_NAME = "Otto Elsewhere-Private"
OTHER_REFLECTION = "a private thought only Otto may read"
# Every query parameter any page reads today or is likely to read (ids of modules, cases, terms,
# attempts, cohorts, learners); a page ignores the ones it does not use.
PARAM_NAMES = (
    "id", "term", "review", "module", "vignette", "attempt", "cohort", "learner", "user", "next", "token", "reflection",
)  # fmt: skip
SIGN_IN_FIRST = "Please sign in to see this page."
NO_ACCESS = "You do not have access to this page."


@dataclass(frozen=True)
class World:
    store: Store
    users: dict[Role, User]
    other: User
    own_attempt: int  # the learner's own submitted attempt
    other_attempt: int  # another learner's submitted attempt


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One database for the whole matrix (read-only for the pages), built through the engine."""
    patch = pytest.MonkeyPatch()
    patch.delenv("DATABASE_URL", raising=False)
    patch.setenv("COURSE_DATA_DIR", str(tmp_path_factory.mktemp("authz") / "data"))
    patch.setenv("COURSE_CONTENT_DIR", str(REPO / "tests" / "content" / "good"))
    patch.setenv("COURSE_ASSESSMENT_ITEMS", "5")
    store = resources.store()
    now = utcnow()

    def make(role: Role, email: str, name: str) -> User:
        return accounts.create_user_admin(
            store, email=email, display_name=name, password="correct horse battery", role=role, now=now
        )

    users = {role: make(role, f"{role.value}@example.org", f"The {role.value}") for role in Role}
    other = make(Role.LEARNER, "otto@example.org", OTHER_NAME)
    course = resources.content().course
    attempts = []
    for who in (users[Role.LEARNER], other):
        attempt = assessment.start_attempt(store, who, course, assessment.Settings.from_env(), now=now)
        attempts.append(assessment.submit(store, who, attempt.id, now=now, confirm_incomplete=True).id)
    vignette = next(iter(course.vignettes.values()))
    save_reflection(
        store,
        other,
        object_type="vignette",
        object_id=vignette.id,
        node_id=None,
        prompts=["What did you feel?"],
        answers=[OTHER_REFLECTION],
        content_version=course.version_of("vignette", vignette.id),
        now=now,
    )
    yield World(store, users, other, own_attempt=attempts[0], other_attempt=attempts[1])
    resources.forget(store)
    patch.undo()


def hostile_values(world: World) -> dict[str, str]:
    return {
        "other-learners-attempt": str(world.other_attempt),
        "other-learners-user-id": str(world.other.id),
        "nonsense": "no-such-thing",
        "very-long": "x" * 20_000,
        "path-traversal": "../../../../etc/passwd",
        "encoded-traversal": "..%2F..%2Fstreamlit_app.py",
        "huge-number": "9" * 40,
        "negative": "-1",
        "null-byte": "a\x00b",
        "markup": "<script>window.__pwned=1</script>",
    }


def visible_text(node: Any) -> str:
    """Everything an AppTest tree would show, as one string (each element's protobuf, recursively)."""
    parts = [str(node.proto)] if getattr(node, "proto", None) is not None else []
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        parts += [visible_text(child) for child in children.values()]
    return "\n".join(parts)


def allowed(role: Role | None, page: PageSpec) -> bool:
    """Public pages (no action) are open to everyone, signed in or not; the rest follow the role."""
    if page.action is None:
        return True
    return role is not None and page.action in ROLE_ACTIONS[role]


def open_page(world: World, page: PageSpec, role: Role | None) -> AppTest:
    """An AppTest on `page` as `role`, ready for `visit`.

    A page the role may open is reached through the app's own navigation (as a click or a URL
    would); any other page is run directly, since the navigation does not even contain it, which
    is the harder test of its own guard.
    """
    target = APP if allowed(role, page) else str(REPO / page.path)
    at = AppTest.from_file(target, default_timeout=30)
    if role is not None:
        at.session_state["auth_token"] = accounts.start_session(world.store, world.users[role].id, now=utcnow())
    if allowed(role, page):
        at.run()
        at.switch_page(page.path)
    return at


def visit(at: AppTest, query: dict[str, str]) -> AppTest:
    """Rerun the open page with these query parameters only (one script run per case)."""
    at.query_params.clear()
    at.query_params.update(query)
    return at.run()


def assert_nothing_private(at: AppTest, role: Role | None) -> None:
    shown = visible_text(at.main)
    assert OTHER_REFLECTION not in shown
    if role is not Role.ADMIN:  # an admin manages users, so may see their names
        assert OTHER_NAME not in shown


def refused(at: AppTest, role: Role | None) -> None:
    assert not at.exception, at.exception
    if role is None:
        assert [w.value for w in at.warning] == [SIGN_IN_FIRST]
        assert not at.error
    else:
        assert [e.value for e in at.error] == [NO_ACCESS]
        assert not at.warning
    # The refusal is all there is: no title, text, table, form or button of the page.
    assert not (at.title or at.markdown or at.dataframe or at.button or at.text_input or at.radio or at.metric)


CASES = [(page, role) for page in PAGES for role in ROLES]
# Ids that belong to someone else: every role that may open a page is tried with these.
OWNERSHIP_CASES = ("no-parameters", "other-learners-attempt", "other-learners-user-id")


def least_privileged(page: PageSpec) -> Role | None:
    return next(role for role in ROLES if allowed(role, page))


@pytest.mark.parametrize(
    ("page", "role"), CASES, ids=[f"{p.url_path}-{r.value if r else 'signed-out'}" for p, r in CASES]
)
def test_page_obeys_the_permission_table_whatever_the_parameters(
    world: World, page: PageSpec, role: Role | None
) -> None:
    cases = {"no-parameters": ""} | hostile_values(world)
    at = open_page(world, page, role)
    if not allowed(role, page):
        # Refused however it is asked: plainly, and with the most tempting parameters.
        for name in ("no-parameters", "other-learners-attempt", "path-traversal"):
            visit(at, {} if name == "no-parameters" else dict.fromkeys(PARAM_NAMES, cases[name]))
            refused(at, role)
            assert_nothing_private(at, role)
        return
    # Parsing hostile values does not depend on the role, so the least privileged role that may
    # open the page gets every case and the others get the ownership ones (keeps CI short).
    names = list(cases) if role is least_privileged(page) else list(OWNERSHIP_CASES)
    for name in names:
        visit(at, {} if name == "no-parameters" else dict.fromkeys(PARAM_NAMES, cases[name]))
        assert not at.exception, f"{name}: {at.exception}"
        assert not [w for w in at.warning if w.value == SIGN_IN_FIRST] and NO_ACCESS not in [e.value for e in at.error]
        assert at.title or at.error, f"{name}: the page showed neither its title nor a message"
        assert_nothing_private(at, role)


def test_someone_elses_attempt_is_refused_by_id_with_a_clear_message(world: World) -> None:
    page = next(p for p in PAGES if p.file == "assessment.py")
    for role in (Role.LEARNER, Role.EDUCATOR, Role.ADMIN):
        at = visit(open_page(world, page, role), {"review": str(world.other_attempt)})
        assert not at.exception
        assert [e.value for e in at.error] == ["There is no such attempt."], role
    mine = visit(open_page(world, page, Role.LEARNER), {"review": str(world.own_attempt)})
    assert not mine.exception and not mine.error[1:]  # the learner's own review is shown
    # The own review is shown: a blank attempt, so every question is "Not answered", and (issue 14)
    # no key of a question that can be drawn again is on the page.
    assert [c.value for c in mine.caption if c.value.startswith("Not answered")], "own attempt review is shown"
    assert not [c.value for c in mine.caption if "the answer is" in c.value]


@pytest.mark.parametrize("role", ROLES[1:], ids=[r.value for r in ROLES[1:] if r])
def test_the_menu_lists_exactly_the_pages_the_role_may_open(world: World, role: Role) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["auth_token"] = accounts.start_session(world.store, world.users[role].id, now=utcnow())
    at.run()
    assert not at.exception
    for page in PAGES:
        if allowed(role, page):
            at.switch_page(page.path)
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page.path)


def test_signed_out_app_shows_only_public_pages(world: World) -> None:
    """Signed out, the app lands on the public course page; every protected address is the sign-in
    gate (a function, so no page file of the course runs), and only public page files can be reached."""
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=30)
        at.query_params["id"] = "../../etc/passwd"
        at.run()
        assert not at.exception
        assert [t.value for t in at.title] == ["Relational Prescribing"], page.url_path
        assert_nothing_private(at, None)
        if page.public:
            at.switch_page(page.path)
            assert not at.run().exception, page.url_path
            assert_nothing_private(at, None)
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page.path)


def test_signed_in_helper_still_matches_the_real_navigation(world: World) -> None:
    """Guard against the matrix passing vacuously: the learner's own pages really render."""
    home = signed_in(world.store, world.users[Role.LEARNER], "course/ui/pages/home.py")
    assert not home.exception and [t.value for t in home.title] == [f"Welcome, The {Role.LEARNER.value}"]


def test_cohort_invitation_accept_and_leave_refuse_what_is_not_yours(world: World) -> None:
    """Issue 16's new paths: an invitation for someone else cannot be accepted, a cohort one is not
    in cannot be left, and an educator cannot invite to another educator's cohort or list accounts."""
    from course import cohorts
    from course.cohorts import CohortError, CohortNotFound
    from course.permissions import PermissionDenied

    now = utcnow()
    admin, educator, learner = world.users[Role.ADMIN], world.users[Role.EDUCATOR], world.users[Role.LEARNER]
    cohort = cohorts.create_cohort(world.store, admin, "Admin's own", now=now)
    cohorts.invite(world.store, admin, cohort.id, world.other.email, now=now)
    with pytest.raises(CohortError):
        cohorts.accept_invitation(world.store, learner, cohort.id, now=now)  # Otto's invitation
    with pytest.raises(CohortNotFound):
        cohorts.leave_cohort(world.store, learner, cohort.id, now=now)
    with pytest.raises(CohortNotFound):
        cohorts.invite(world.store, educator, cohort.id, learner.email, now=now)
    with pytest.raises(PermissionDenied):
        cohorts.find_learners(world.store, educator, "ot")
    assert cohorts.members(world.store, admin, cohort.id) == []
