"""What a learner writes inside a case (Why? notes, case reflections) comes back as evidence."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest

from course import casenotes, play, reflections
from course.accounts import Role, User
from course.evidence import evidence_pack
from course.reflections import ReflectionNotFound, save_reflection
from course.store.db import Store
from course.vignette import CONTINUE, UNDO
from tests.cpd.helpers import COURSE, REASON, cohort, person

CASE = COURSE.vignettes["case"]
ANSWER = "He wants me to feel as stuck as he does."


def _play_with_notes(store: Store, user: User, now: datetime) -> None:
    state = play.begin(store, user, CASE, COURSE.version, now=now)
    state = play.act(store, user, CASE, state, CONTINUE, now=now + timedelta(minutes=1))
    state = play.act(store, user, CASE, state, "switch", now=now + timedelta(minutes=2), reason="first thought")
    state = play.act(store, user, CASE, state, UNDO, now=now + timedelta(minutes=3))
    state = play.act(store, user, CASE, state, "talk", now=now + timedelta(minutes=4), reason=REASON)
    save_reflection(
        store, user, object_type="vignette", object_id="case", node_id="reflect",
        prompts=list(CASE.nodes[3].prompts), answers=[ANSWER], content_version=COURSE.version,
        now=now + timedelta(minutes=5),
    )  # fmt: skip
    play.act(store, user, CASE, state, CONTINUE, now=now + timedelta(minutes=5))


def test_a_run_gathers_each_decision_with_its_note_and_the_reflections_written_in_it(
    store: Store, now: datetime
) -> None:
    lee = person(store, now, "lee@example.org")
    _play_with_notes(store, lee, now)
    [run] = casenotes.case_runs(store, lee, COURSE)
    assert (run.title, run.outcome, run.ended_at) == ("A fixture case", "helpful", now + timedelta(minutes=5))
    assert [(d.choice_label, d.reason, d.taken_back) for d in run.decisions] == [
        ("Switch again", "first thought", True),  # taken back, but still what she thought then
        ("Talk about the relationship", REASON, False),
    ]
    [reflection] = run.reflections
    assert reflection.entries == [{"prompt": "What is my patient trying to communicate?", "answer": ANSWER}]
    text = casenotes.run_markdown(run)
    assert REASON in text and ANSWER in text and "later taken back" in text


def test_a_restart_opens_a_new_run_and_writing_stays_with_the_run_it_was_written_in(
    store: Store, now: datetime
) -> None:
    lee = person(store, now, "lee@example.org")
    _play_with_notes(store, lee, now)
    later = now + timedelta(days=1)
    state = play.begin(store, lee, CASE, COURSE.version, now=later)
    state = play.act(store, lee, CASE, state, CONTINUE, now=later + timedelta(minutes=1))
    play.act(store, lee, CASE, state, "switch", now=later + timedelta(minutes=2), reason="second go")
    newest, first = casenotes.case_runs(store, lee, COURSE)
    assert [d.reason for d in newest.notes] == ["second go"] and not newest.reflections
    assert newest.outcome is None and casenotes.ending_label(newest) == "not finished"
    assert len(first.reflections) == 1 and first.outcome == "helpful"


def test_only_the_learners_own_writing_is_gathered(store: Store, now: datetime) -> None:
    lee, otto = person(store, now, "lee@example.org"), person(store, now, "otto@example.org")
    _play_with_notes(store, otto, now)
    assert casenotes.case_runs(store, lee, COURSE) == []


def test_the_evidence_pack_holds_the_picked_case_runs_and_refuses_anyone_elses(store: Store, now: datetime) -> None:
    lee, otto = person(store, now, "lee@example.org"), person(store, now, "otto@example.org")
    _play_with_notes(store, lee, now)
    _play_with_notes(store, otto, now)
    [run] = casenotes.case_runs(store, lee, COURSE)
    pack = evidence_pack(
        store, lee, COURSE, reflection_ids=[], case_run_ids=[run.run_id], verify_url=str, now=now + timedelta(hours=1)
    )
    archive = zipfile.ZipFile(io.BytesIO(pack))
    assert {"cases/cases.json", "cases/01-a-fixture-case.md"} <= set(archive.namelist())
    markdown = archive.read("cases/01-a-fixture-case.md").decode()
    assert REASON in markdown and ANSWER in markdown
    [saved] = json.loads(archive.read("cases/cases.json"))
    assert [d["why"] for d in saved["decisions"]] == ["first thought", REASON]
    assert saved["reflections"][0]["entries"][0]["answer"] == ANSWER
    [others] = casenotes.case_runs(store, otto, COURSE)
    with pytest.raises(ReflectionNotFound):
        evidence_pack(store, lee, COURSE, reflection_ids=[], case_run_ids=[others.run_id], verify_url=str, now=now)
    with pytest.raises(ReflectionNotFound):
        evidence_pack(store, lee, COURSE, reflection_ids=[others.reflections[0].id], verify_url=str, now=now)


def test_a_case_reflection_can_be_picked_for_the_pack_and_shared_like_any_other(store: Store, now: datetime) -> None:
    lee = person(store, now, "lee@example.org")
    educator = person(store, now, "ed2@example.org", role=Role.EDUCATOR, name="Ed")
    group = cohort(store, educator, [lee], now)
    _play_with_notes(store, lee, now)
    [reflection] = reflections.my_reflections(store, lee, kind=reflections.KIND_VIGNETTE_STEP)
    pack = evidence_pack(store, lee, COURSE, reflection_ids=[reflection.id], verify_url=str, now=now)
    names = zipfile.ZipFile(io.BytesIO(pack)).namelist()
    assert "reflections/01-reflection-written-in-a-fixture-case.md" in names
    reflections.share(store, lee, reflection.id, group, now=now)
    [shared] = reflections.shared_with_cohort(store, educator, group)
    assert shared.reflection.entries[0]["answer"] == ANSWER
