"""The LTI engine without HTTP: roles, accounts, cohorts, roster rules, launch storage, keys, scores.

These run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pylti1p3.exception import LtiException, LtiServiceException
from sqlalchemy import select

from course import cohorts
from course.accounts import Role, create_user_admin
from course.content import load_course
from course.lti import grades, launches, registry, roster
from course.lti.launches import LaunchRefused, Target
from course.lti.tool import DatabaseCache, DatabaseLaunchStorage, LtiRequest, ToolSession
from course.store.db import Store
from course.store.models import CohortMemberRow, LtiKeyRow, LtiScoreRow, UserRow
from tests.lti.conftest import FIXTURE_COURSE
from tests.lti.platform import free_port

COURSE = load_course(FIXTURE_COURSE).course
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def _platform(store: Store, now: datetime) -> registry.Platform:
    """A registration whose endpoints are a closed port on this machine (tests send nothing elsewhere)."""
    closed = f"http://127.0.0.1:{free_port()}"
    platform, _ = registry.add_platform(
        store, name="Moodle", issuer="https://moodle.example.ac.uk", client_id="abc",
        auth_login_url=f"{closed}/mod/lti/auth.php", auth_token_url=f"{closed}/mod/lti/token.php",
        key_set_url=f"{closed}/mod/lti/certs.php", deployment_ids=["1"], now=now,
    )  # fmt: skip
    return platform


def _claims(sub: str, role: str, *, target: str | None = None, **extra: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": sub,
        "name": f"Person {sub}",
        "email": f"{sub}@uni.example",
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "deployment_id": "1",
        LTI + "roles": [ROLE + role],
        LTI + "context": {"id": "c1", "title": "Year 2 psychiatry"},
        LTI + "resource_link": {"id": "rl-1", "title": "A link"},
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": [grades.SCORE_SCOPE, grades.LINEITEM_SCOPE],
            "lineitems": "http://127.0.0.1:9/mod/lti/services.php/2/lineitems",
        },
    }
    if target is not None:
        claims[LTI + "custom"] = {"target": target}
    claims.update(extra)
    return claims


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("module:first", Target("module", "first")),
        ("vignette:case", Target("vignette", "case")),
        ("assessment", Target("assessment")),
        ("dashboard", Target("dashboard")),
        ("home", Target("home")),
        ("module", None),
        ("assessment:x", None),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
    ],
)
def test_targets_parse_strictly(text: str | None, expected: Target | None) -> None:
    assert Target.parse(text) == expected


def test_landing_pages_are_relative_and_a_learner_never_lands_on_a_cohort_dashboard() -> None:
    assert Target("module", "a b").url(Role.LEARNER, None) == "/modules?id=a+b"
    assert Target("dashboard").url(Role.EDUCATOR, 7) == "/dashboards?cohort=7"
    assert Target("dashboard").url(Role.LEARNER, 7) == "/progress"


def test_lms_roles_map_to_educator_or_learner() -> None:
    for role in ("Instructor", "ContentDeveloper", "Administrator"):
        assert launches.is_instructor({LTI + "roles": [ROLE + role]}), role
    # LIS v2 names a teaching assistant as a sub-role of Instructor.
    teaching_assistant = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    assert launches.is_instructor({LTI + "roles": [teaching_assistant]})
    for role in ("Learner", "Mentor", "Member"):
        assert not launches.is_instructor({LTI + "roles": [ROLE + role]}), role
    assert not launches.is_instructor(
        {LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty"]}
    )


def test_a_launch_makes_the_account_the_cohort_and_the_membership(store: Store, now: datetime) -> None:
    platform = _platform(store, now)
    early = launches.accept_launch(store, platform, _claims("s1", "Learner", target="vignette:case"), COURSE, now=now)
    assert early.cohort_id is None and early.landing == "/vignettes?id=case"  # no instructor yet: no cohort
    teacher = launches.accept_launch(
        store, platform, _claims("t1", "Instructor", target="vignette:case"), COURSE, now=now
    )
    assert teacher.user.role is Role.EDUCATOR and teacher.cohort_id is not None and teacher.roster_url is None
    again = launches.accept_launch(store, platform, _claims("s1", "Learner"), COURSE, now=now)
    assert again.user.id == early.user.id and again.landing == "/vignettes?id=case"  # the link remembers
    with store.read() as conn:
        members = conn.execute(select(CohortMemberRow.user_id, CohortMemberRow.joined_via)).all()
        scored = conn.execute(select(LtiScoreRow.user_id)).scalars().all()
    assert [tuple(m) for m in members] == [(early.user.id, "lti")]
    assert scored == [early.user.id]  # a gradebook entry for the learner, none for the teacher
    owned = cohorts.cohorts_for(store, teacher.user)
    assert [c.name for c in owned] == ["Year 2 psychiatry (Moodle)"]


def test_roles_are_raised_never_lowered(store: Store, now: datetime) -> None:
    platform = _platform(store, now)
    learner = launches.accept_launch(store, platform, _claims("x", "Learner"), COURSE, now=now)
    assert learner.user.role is Role.LEARNER
    assert (
        launches.accept_launch(store, platform, _claims("x", "Instructor"), COURSE, now=now).user.role is Role.EDUCATOR
    )
    assert launches.accept_launch(store, platform, _claims("x", "Learner"), COURSE, now=now).user.role is Role.EDUCATOR


def test_refused_launches(store: Store, now: datetime) -> None:
    platform = _platform(store, now)
    with pytest.raises(LaunchRefused, match="anonymously"):
        launches.accept_launch(store, platform, _claims("", "Learner"), COURSE, now=now)
    with pytest.raises(LaunchRefused, match="no longer has"):
        launches.accept_launch(store, platform, _claims("y", "Learner", target="module:gone"), COURSE, now=now)
    deep = _claims("y", "Learner", **{LTI + "message_type": "LtiDeepLinkingRequest"})
    with pytest.raises(LaunchRefused, match="Only an instructor"):
        launches.accept_launch(store, platform, deep, COURSE, now=now)


def test_names_without_email_and_odd_characters_are_cleaned(store: Store, now: datetime) -> None:
    platform = _platform(store, now)
    claims = _claims("z", "Learner", name="  Ana\u0000 \tBell\n ", email="not an email")
    user = launches.accept_launch(store, platform, claims, COURSE, now=now).user
    assert user.display_name == "Ana Bell" and user.email == launches.placeholder_email(platform.id, "z")


def test_the_roster_adds_active_learners_and_removes_those_who_left(store: Store, now: datetime) -> None:
    platform = _platform(store, now)
    teacher = launches.accept_launch(store, platform, _claims("t1", "Instructor"), COURSE, now=now)
    assert teacher.context_pk is not None and teacher.cohort_id is not None
    # Someone who joined with the invitation code stays whatever the roster says.
    by_code = create_user_admin(store, email="own@uni.example", display_name="Own", password="a long password 1",
                                role=Role.LEARNER, now=now)  # fmt: skip
    cohort = cohorts.get_cohort(store, teacher.user, teacher.cohort_id)
    cohorts.join_by_code(store, by_code, cohort.invite_code, now=now)
    members = [
        {"user_id": "s1", "name": "One", "email": "one@uni.example", "roles": [ROLE + "Learner"]},
        {"user_id": "s2", "name": "Two", "roles": [ROLE + "Learner"], "status": "Active"},
        {"user_id": "s3", "name": "Three", "roles": [ROLE + "Learner"], "status": "Inactive"},
        {"user_id": "t1", "name": "Teacher", "roles": [ROLE + "Instructor"]},
    ]
    report = roster.apply_roster(store, teacher.context_pk, members, now=now)
    assert (report.joined, report.left, report.learners) == (2, 0, 2)
    report = roster.apply_roster(store, teacher.context_pk, members[1:], now=now + timedelta(days=1))
    assert (report.joined, report.left, report.learners) == (0, 1, 1)
    with store.read() as conn:
        names = set(
            conn.execute(
                select(UserRow.display_name).join(CohortMemberRow, CohortMemberRow.user_id == UserRow.id)
            ).scalars()
        )
    assert names == {"Two", "Own"}


def test_launch_storage_expires_and_nonces_are_single_use(store: Store, now: datetime) -> None:
    clock = [now]
    cache = DatabaseCache(store, lambda: clock[0])
    cache.set("lti1p3-x", {"a": 1}, 60)
    assert cache.get("lti1p3-x") == {"a": 1}
    clock[0] = now + timedelta(seconds=61)
    assert cache.get("lti1p3-x") is None and not cache.take("lti1p3-x")
    storage = DatabaseLaunchStorage(cache)
    storage.set_request(LtiRequest({}, {}, secure=False))
    storage.set_value("lti1p3-nonce-abc", True, 60)
    assert storage.check_value("lti1p3-nonce-abc") and not storage.check_value("lti1p3-nonce-abc")


def test_launch_data_keeps_no_name_or_email(store: Store, now: datetime) -> None:
    request = LtiRequest({}, {}, secure=False)
    session = ToolSession(request)
    storage = DatabaseLaunchStorage(DatabaseCache(store, lambda: now))
    storage.set_request(request)
    session.set_data_storage(storage)
    session.save_launch_data("lti1p3-launch-1", _claims("s", "Learner"))
    kept = session.get_launch_data("lti1p3-launch-1")
    assert kept["sub"] == "s" and "email" not in kept and "name" not in kept


def test_one_current_key_even_when_asked_at_once(store: Store, now: datetime) -> None:
    first = registry.current_key(store, now=now)
    assert registry.current_key(store, now=now) == first
    rotated = registry.rotate_key(store, now=now)
    with store.read() as conn:
        statuses = dict(conn.execute(select(LtiKeyRow.kid, LtiKeyRow.status)).all())
    assert statuses == {first.kid: "previous", rotated.kid: "current"}
    assert [k["kid"] for k in registry.jwks(store, now=now)["keys"]] == [rotated.kid, first.kid]


class _Response:
    def __init__(self, status: int) -> None:
        self.status_code, self.url, self.text = status, "https://lms/x", "no"


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (LtiServiceException(_Response(404)), True),  # type: ignore[arg-type]
        (LtiServiceException(_Response(400)), True),  # type: ignore[arg-type]
        (LtiServiceException(_Response(401)), False),  # type: ignore[arg-type]
        (LtiServiceException(_Response(429)), False),  # type: ignore[arg-type]
        (LtiServiceException(_Response(503)), False),  # type: ignore[arg-type]
        (LtiException("no score scope"), True),
        (ConnectionError("refused"), False),
    ],
)
def test_which_failures_are_retried(error: Exception, permanent: bool) -> None:
    assert grades._permanent(error) is permanent


def test_a_gradebook_that_cannot_be_reached_is_retried_later(store: Store, now: datetime) -> None:
    platform = _platform(store, now)  # its token URL is a closed port
    launched = launches.accept_launch(store, platform, _claims("s1", "Learner"), COURSE, now=now)
    from course import assessment

    attempt = assessment.start_attempt(store, launched.user, COURSE, assessment.Settings(4, 75), now=now, seed=2)
    assessment.submit(store, launched.user, attempt.id, now=now, confirm_incomplete=True)
    grades.mark_submitted(store, launched.user.id, now=now)
    report = grades.send_due(store, now=now)
    assert (report.sent, report.deferred) == (0, 1)
    with store.read() as conn:
        row = conn.execute(select(LtiScoreRow.status, LtiScoreRow.next_attempt_at, LtiScoreRow.last_error)).one()
    assert row.status == "pending" and row.next_attempt_at == now + timedelta(seconds=30) and row.last_error


def test_the_same_new_person_launching_twice_at_once_gets_one_account_and_no_error(store: Store, now: datetime) -> None:
    """Two tabs (or a double click in the LMS) launch a person the course has never seen, at once:
    both launches succeed and land on one account, one cohort membership (both databases)."""
    import threading

    platform = _platform(store, now)
    launches.accept_launch(store, platform, _claims("ivy", "Instructor"), COURSE, now=now)  # the cohort exists
    barrier = threading.Barrier(6)
    results: list[Any] = []

    def go() -> None:
        barrier.wait()
        try:
            results.append(launches.accept_launch(store, platform, _claims("newcomer", "Learner"), COURSE, now=now))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(result, launches.Launched) for result in results), results
    assert len({result.user.id for result in results}) == 1
    with store.read() as conn:
        members = conn.execute(
            select(CohortMemberRow.user_id).where(CohortMemberRow.user_id == results[0].user.id)
        ).all()
    assert len(members) == 1
