"""Structured reflections: private by default, history kept, shared only while the learner allows it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete

from course.accounts import Role
from course.permissions import PermissionDenied
from course.reflections import (
    MAX_ANSWER_CHARS,
    SECTIONS,
    ReflectionError,
    ReflectionNotFound,
    my_reflections,
    read_reflection,
    revise_structured,
    revisions,
    share,
    share_targets,
    shared_with_cohort,
    shares,
    withdraw,
    write_structured,
)
from course.store.db import Store
from course.store.events import events_for_user
from course.store.models import CohortMemberRow
from tests.cpd.helpers import FEELINGS, answers, cohort, person, reflect


def test_a_structured_reflection_follows_the_framework_and_keeps_its_history(store: Store, now: datetime) -> None:
    alice = person(store, now, "alice@example.org")
    rid = reflect(store, alice, now)
    [mine] = my_reflections(store, alice, kind="structured")
    assert mine.id == rid and mine.title == "Mr Z's review" and mine.kind == "structured"
    assert [e["key"] for e in mine.entries] == [s.key for s in SECTIONS]
    assert mine.answer("clinician_feeling") == FEELINGS
    assert {s.heading for s in SECTIONS} >= {"The patient", "The clinician", "The relationship"}

    later = now + timedelta(days=2)
    edited = revise_structured(
        store, alice, rid, title="Mr Z, on reflection", answers=answers(learned="To slow down."), now=later
    )
    assert edited.updated_at == later and edited.answer("learned") == "To slow down."
    assert edited.answer("clinician_feeling") == ""
    [old] = revisions(store, alice, rid)
    assert old.written_at == now and old.replaced_at == later
    assert next(e for e in old.entries if e["key"] == "clinician_feeling")["answer"] == FEELINGS

    # Saving the same words again adds no empty revision.
    revise_structured(
        store,
        alice,
        rid,
        title="Mr Z, on reflection",
        answers=answers(learned="To slow down."),
        now=later + timedelta(hours=1),
    )
    assert len(revisions(store, alice, rid)) == 1
    # Writing is an event (for the time log and xAPI) that never carries the text.
    written = events_for_user(store, alice.id, verb="reflection.written")
    assert [e.payload["revision"] for e in written] == [0, 1]
    assert all(FEELINGS not in str(e.payload) for e in written)


def test_bad_input_is_refused_with_a_message_and_nothing_is_cut(store: Store, now: datetime) -> None:
    alice = person(store, now, "alice@example.org")
    too_long = "x" * (MAX_ANSWER_CHARS + 1)
    with pytest.raises(ReflectionError, match="at most 4000 characters") as refused:
        write_structured(
            store, alice, object_type="module", object_id="first", title="T", answers=answers(learned=too_long),
            content_version="v", now=now,
        )  # fmt: skip
    assert "What did I learn?" in refused.value.message
    with pytest.raises(ReflectionError, match="title"):
        write_structured(
            store, alice, object_type="module", object_id="first", title="  ", answers=answers(), content_version="v",
            now=now,
        )  # fmt: skip
    with pytest.raises(ReflectionError, match="at least one section"):
        write_structured(
            store, alice, object_type="module", object_id="first", title="T", answers={"learned": "  "},
            content_version="v", now=now,
        )  # fmt: skip
    with pytest.raises(ValueError, match="module or a vignette"):
        write_structured(
            store, alice, object_type="assessment", object_id="x", title="T", answers=answers(), content_version="v",
            now=now,
        )  # fmt: skip
    assert my_reflections(store, alice) == []


def test_only_the_author_and_the_educator_it_is_shared_with_can_read_it(store: Store, now: datetime) -> None:
    alice, bob = person(store, now, "alice@example.org"), person(store, now, "bob@example.org")
    teacher = person(store, now, "teacher@example.org", Role.EDUCATOR, "Dr Teach")
    other_teacher = person(store, now, "other@example.org", Role.EDUCATOR)
    admin = person(store, now, "admin@example.org", Role.ADMIN)
    group = cohort(store, teacher, [alice, bob], now)
    other_group = cohort(store, other_teacher, [bob], now, name="Other group")
    rid = reflect(store, alice, now)

    def readers() -> set[str]:
        found = set()
        for viewer in (alice, bob, teacher, other_teacher, admin):
            try:
                read_reflection(store, viewer, rid)
            except ReflectionNotFound:
                continue
            found.add(viewer.email)
        return found

    assert readers() == {"alice@example.org"}
    assert shared_with_cohort(store, teacher, group) == []
    assert [c.name for c in share_targets(store, alice)] == ["Balint group"]
    assert share_targets(store, alice)[0].educator_name == "Dr Teach"

    share(store, alice, rid, group, now=now)
    share(store, alice, rid, group, now=now)  # sharing twice is one share
    assert [s.cohort_name for s in shares(store, alice, rid)] == ["Balint group"]
    assert readers() == {"alice@example.org", "teacher@example.org"}
    [seen] = shared_with_cohort(store, teacher, group)
    assert seen.reflection.id == rid and seen.author_name == "Alice"
    # Another educator asking about this cohort, or their own, sees nothing.
    assert shared_with_cohort(store, other_teacher, group) == []
    assert shared_with_cohort(store, other_teacher, other_group) == []
    with pytest.raises(PermissionDenied):
        shared_with_cohort(store, bob, group)
    # Nobody else can share, edit, withdraw or see the history of it.
    with pytest.raises(ReflectionNotFound):
        share(store, bob, rid, group, now=now)
    with pytest.raises(ReflectionNotFound):
        revise_structured(store, teacher, rid, title="x", answers=answers(), now=now)
    with pytest.raises(ReflectionNotFound):
        revisions(store, teacher, rid)
    with pytest.raises(ReflectionNotFound):
        shares(store, bob, rid)
    # A cohort the learner is not in cannot be a share target.
    with pytest.raises(ReflectionError, match="belong to"):
        share(store, alice, rid, other_group, now=now)

    assert withdraw(store, alice, rid, group, now=now + timedelta(hours=1))
    assert not withdraw(store, alice, rid, group, now=now + timedelta(hours=1))
    assert readers() == {"alice@example.org"} and shared_with_cohort(store, teacher, group) == []

    # Shared again, then the learner leaves the cohort: the educator loses access at once.
    share(store, alice, rid, group, now=now + timedelta(hours=2))
    assert "teacher@example.org" in readers()
    with store.write() as conn:
        conn.execute(delete(CohortMemberRow).where(CohortMemberRow.user_id == alice.id))
    assert readers() == {"alice@example.org"} and shared_with_cohort(store, teacher, group) == []


def test_a_missing_reflection_and_someone_elses_look_the_same(store: Store, now: datetime) -> None:
    alice, bob = person(store, now, "alice@example.org"), person(store, now, "bob@example.org")
    rid = reflect(store, alice, now)
    with pytest.raises(ReflectionNotFound) as theirs:
        read_reflection(store, bob, rid)
    with pytest.raises(ReflectionNotFound) as missing:
        read_reflection(store, bob, rid + 1000)
    assert str(theirs.value) == str(missing.value)
