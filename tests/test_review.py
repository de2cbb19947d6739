"""The review that teaches: results by objective, each missed question linked to where it is taught."""

from __future__ import annotations

from course import review
from course.content import load_course
from tests.content.fixtures import GOOD

COURSE = load_course(GOOD).course


def test_results_are_counted_per_objective_and_misses_link_to_the_teaching_section() -> None:
    paper = ["summative-1", "summative-2", "summative-4"]
    results = review.by_objective(COURSE, paper, {"summative-1": False, "summative-2": True, "summative-4": True})
    first = next(r for r in results if r.objective_id == "first-o1")
    assert (first.correct, first.total) == (1, 2)
    [missed] = first.missed
    assert missed.number == 1 and missed.section is not None
    assert missed.section.url == "/modules?id=first#containment"
    assert missed.section.label == "A first module: Containment"
    assert all(not r.missed for r in results if r.objective_id != "first-o1")


def test_an_unanswered_question_is_missed_and_nothing_reveals_an_answer() -> None:
    [result] = review.by_objective(COURSE, ["summative-1"], {})
    assert (result.correct, result.total, len(result.missed)) == (0, 1, 1)
    item = COURSE.items()["summative-1"]
    shown = repr(result)
    assert not any(option.rationale in shown for option in item.options)
    assert "answer" not in shown.lower()


def test_questions_no_longer_in_the_bank_are_left_out() -> None:
    assert review.by_objective(COURSE, ["gone"], {"gone": False}) == []


def test_every_summative_question_of_the_real_course_has_a_section_to_read() -> None:
    from pathlib import Path

    from course.assessment import summative_items

    real = load_course(Path(__file__).resolve().parents[1]).course
    for item in summative_items(real).values():
        section = review.teaching_section(real, item)
        assert section is not None and section.anchor is not None, item.id
        assert section.anchor not in ("key-points", "worked-example"), item.id
