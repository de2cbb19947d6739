"""Builders for CPD tests: people, cohorts and a learner who has done everything the course offers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from course import accounts, assessment, flashcards, play, progress
from course.accounts import Role, User
from course.content import Course, load_course
from course.flashcards import Rating
from course.reflections import save_reflection, write_structured
from course.store.db import Store
from course.store.models import CohortMemberRow, CohortRow
from course.vignette import CONTINUE, choices_offered
from tests.content.fixtures import GOOD

COURSE: Course = load_course(GOOD).course
SETTINGS = assessment.Settings(items=5, pass_mark_percent=80, retake_limit=0, retake_cooldown_hours=0)
REASON = "because he kept pushing me and I felt cornered"
FEELINGS = "I felt helpless and wanted the appointment to end."


def person(store: Store, now: datetime, email: str, role: Role = Role.LEARNER, name: str | None = None) -> User:
    return accounts.create_user_admin(
        store,
        email=email,
        display_name=name or email.split("@")[0].capitalize(),
        password="a long password 1",
        role=role,
        now=now,
    )


def cohort(store: Store, owner: User, members: list[User], now: datetime, name: str = "Balint group") -> int:
    """A cohort row and its members, written directly as if each had joined with the code (the cohort
    engine has its own tests; a membership without the learner's act would be pending)."""
    with store.write() as conn:
        cohort_id = conn.execute(
            insert(CohortRow)
            .values(name=name, owner_id=owner.id, invite_code=f"C{owner.id}{name[:6]}", created_at=now)
            .returning(CohortRow.id)
        ).scalar_one()
        for member in members:
            conn.execute(
                insert(CohortMemberRow).values(cohort_id=cohort_id, user_id=member.id, joined_at=now, joined_via="code")
            )
    return int(cohort_id)


def answers(**given: str) -> dict[str, str]:
    return {"what_happened": "A review of a patient on three antipsychotics.", **given}


def reflect(store: Store, user: User, now: datetime, title: str = "Mr Z's review", **given: str) -> int:
    return write_structured(
        store,
        user,
        object_type="vignette",
        object_id="case",
        title=title,
        answers=answers(**{"clinician_feeling": FEELINGS, **given}),
        content_version=COURSE.version,
        now=now,
    ).id


def pass_assessment(store: Store, user: User, now: datetime) -> assessment.Attempt:
    attempt = assessment.start_attempt(store, user, COURSE, SETTINGS, now=now, seed=7)
    for minute, item in enumerate(attempt.paper, start=1):
        assessment.save_answer(
            store, user, attempt.id, item.item_id, item.answer, answered_at=now + timedelta(minutes=minute)
        )
    return assessment.submit(store, user, attempt.id, now=now + timedelta(minutes=10))


def play_to_an_ending(store: Store, user: User, course: Course, vignette_id: str, at: datetime) -> datetime:
    """Play a case from its start to an ending, a minute per step, always taking the first choice."""
    vignette = course.vignettes[vignette_id]
    state = play.begin(store, user, vignette, course.version_of("vignette", vignette.id), now=at)
    while True:
        at += timedelta(minutes=1)
        node = next(n for n in vignette.nodes if n.id == state.node)
        if node.kind == "ending":
            return at
        if node.kind == "reflection":
            save_reflection(
                store, user, object_type="vignette", object_id=vignette.id, node_id=node.id,
                prompts=list(node.prompts), answers=["A thought." for _ in node.prompts],
                content_version=course.version, now=at,
            )  # fmt: skip
        action = choices_offered(vignette, state)[0].id if node.kind == "choice" else CONTINUE
        state = play.act(store, user, vignette, state, action, now=at)


def complete_course(store: Store, user: User, now: datetime) -> datetime:
    """Everything the completion rule asks: read and complete every module (with time between clicks),
    answer its knowledge checks, play every case to an ending, then pass the assessment."""
    at = now
    for module in COURSE.modules.values():
        progress.record_module_view(store, user, module, now=at)
        at += timedelta(minutes=12)
        for position, item in enumerate(COURSE.checks_for(module.id), start=1):
            progress.answer_check(store, user, COURSE, item, item.answer, position=position, now=at)
            at += timedelta(minutes=1)
        progress.set_module_complete(store, user, module, True, now=at)
        at += timedelta(minutes=1)
    for vignette_id in COURSE.vignettes:
        at = play_to_an_ending(store, user, COURSE, vignette_id, at)
    pass_assessment(store, user, at)
    return at + timedelta(minutes=20)


def do_everything(store: Store, user: User, now: datetime) -> datetime:
    """Every kind of learner action the course records, so every personal table has a row."""
    at = complete_course(store, user, now)
    vignette = COURSE.vignettes["case"]
    state = play.begin(store, user, vignette, COURSE.version, now=at)
    state = play.act(store, user, vignette, state, CONTINUE, now=at + timedelta(minutes=1))
    state = play.act(store, user, vignette, state, "switch", now=at + timedelta(minutes=2), reason=REASON)
    save_reflection(
        store, user, object_type="vignette", object_id="case", node_id="reflect",
        prompts=["What happened?"], answers=["A vignette-step answer"], content_version=COURSE.version,
        now=at + timedelta(minutes=3),
    )  # fmt: skip
    items = COURSE.checks_for(next(iter(COURSE.modules)))
    if items:
        progress.answer_check(store, user, COURSE, items[0], items[0].answer, position=0, now=at + timedelta(minutes=4))
    term = next(iter(COURSE.glossary))
    flashcards.review_card(store, user, COURSE, term, Rating.Good, now=at + timedelta(minutes=5))
    reflect(store, user, at + timedelta(minutes=6))
    return at + timedelta(minutes=7)
