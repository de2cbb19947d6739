"""The real course content: loads cleanly and covers what the source articles teach.

These tests read the checked-in content (modules/, quizzes/, glossary/, references/) through the
same loader the app uses, so a rule the loader already enforces is only checked here when the
tests add something the loader does not (coverage of the sources, the article's objectives,
concept names appearing in the text, our-own-words).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from course.content import LoadReport, load_course
from course.schema import QuizMode

REPO = Path(__file__).resolve().parents[1]
CONCEPTS_FILE = REPO / "tests" / "content" / "concepts_from_sources.txt"
OWN_WORDS = REPO.parent / "shared" / "tools" / "own_words.py"
OWN_WORDS_FOLDERS = ("modules", "quizzes", "vignettes", "glossary", "references")
SHORT_DEFINITION_WORDS = 30
CHECKS_PER_MODULE = range(2, 5)  # 2 to 4 formative checks
ARTICLE_OBJECTIVES = (1, 2, 3)  # Konstantinidou et al. 2022, "Learning objectives"


@cache
def report() -> LoadReport:
    return load_course(REPO)


def source_concepts() -> list[str]:
    lines = CONCEPTS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def names_of(term_id: str) -> list[str]:
    term = report().course.glossary[term_id]
    return [term.term, *term.aliases]


def all_bodies() -> str:
    return "\n".join(module.body for module in report().course.modules.values()).casefold()


# --- the loader is satisfied --------------------------------------------------------------------


def test_content_loads_without_errors() -> None:
    assert [str(p) for p in report().errors] == []


def test_content_loads_without_warnings() -> None:
    assert [str(p) for p in report().warnings] == []


def test_there_is_content_to_check() -> None:
    course = report().course
    assert len(course.modules) == 8
    assert len(course.glossary) >= 25
    assert course.quizzes and course.bibliography


# --- concepts from the sources ------------------------------------------------------------------


def test_concepts_file_lists_each_concept_once() -> None:
    concepts = source_concepts()
    assert concepts, "tests/content/concepts_from_sources.txt is empty"
    repeated = [c for c, n in Counter(concepts).items() if n > 1]
    assert repeated == []


@pytest.mark.parametrize("concept", source_concepts())
def test_source_concept_is_a_glossary_term(concept: str) -> None:
    assert concept in report().course.glossary


@pytest.mark.parametrize("concept", source_concepts())
def test_source_concept_is_taught_by_a_module(concept: str) -> None:
    teaching = [m.id for m in report().course.modules.values() if concept in m.meta.concepts]
    assert teaching, f"no module lists '{concept}' in its concepts"


@pytest.mark.parametrize("concept", source_concepts())
def test_source_concept_is_named_in_a_module_body(concept: str) -> None:
    if concept not in report().course.glossary:
        pytest.fail(f"'{concept}' is not a glossary term")
    bodies = all_bodies()
    names = names_of(concept)
    assert any(name.casefold() in bodies for name in names), f"none of {names} appears in any module body"


def test_box_3_and_box_8_concepts_are_in_the_concepts_file() -> None:
    required = {
        "acting-out",
        "containment",
        "countertransference",
        "negative-therapeutic-reaction",
        "projective-identification",
        "transference",
        "malignant-regression",
        "transitional-object",
    }
    assert required <= set(source_concepts())


# --- glossary -----------------------------------------------------------------------------------


def test_every_glossary_term_is_taught_by_some_module() -> None:
    listed = {c for m in report().course.modules.values() for c in m.meta.concepts}
    assert sorted(set(report().course.glossary) - listed) == []


def test_short_definitions_are_readable_in_a_hurry() -> None:
    too_long = {
        term.id: len(term.short.split())
        for term in report().course.glossary.values()
        if len(term.short.split()) > SHORT_DEFINITION_WORDS
    }
    assert too_long == {}


# --- objectives ---------------------------------------------------------------------------------


def test_every_objective_belongs_to_exactly_one_module() -> None:
    owners = Counter(o.id for m in report().course.modules.values() for o in m.meta.objectives)
    assert [oid for oid, n in owners.items() if n != 1] == []


@pytest.mark.parametrize("article_objective", ARTICLE_OBJECTIVES)
def test_each_article_objective_is_served(article_objective: int) -> None:
    serving = [
        o.id
        for m in report().course.modules.values()
        for o in m.meta.objectives
        if o.article_objective == article_objective
    ]
    assert serving, f"no module objective serves the article's learning objective {article_objective}"


def test_check_items_test_objectives_of_their_own_module() -> None:
    owner = {o.id: m.id for m in report().course.modules.values() for o in m.meta.objectives}
    wrong = [
        (item.id, objective)
        for bank in report().course.quizzes.values()
        for item in bank.items
        if item.module is not None
        for objective in item.objectives
        if owner.get(objective) != item.module
    ]
    assert wrong == []


# --- knowledge checks ---------------------------------------------------------------------------


def test_every_module_has_two_to_four_formative_checks() -> None:
    counts = {m: len(report().course.checks_for(m)) for m in report().course.modules}
    assert {m: n for m, n in counts.items() if n not in CHECKS_PER_MODULE} == {}


def test_formative_checks_are_marked_formative_only() -> None:
    summative = [
        item.id
        for bank in report().course.quizzes.values()
        if bank.id.startswith("checks-")
        for item in bank.items
        if QuizMode.SUMMATIVE in item.modes
    ]
    assert summative == []


def test_check_banks_are_named_after_their_module() -> None:
    misplaced = [
        (bank.id, item.id)
        for bank in report().course.quizzes.values()
        if bank.id.startswith("checks-")
        for item in bank.items
        if bank.id != f"checks-{item.module}"
    ]
    assert misplaced == []


# --- module bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("section", ["## Worked example", "## Key points"])
def test_every_module_has_the_standard_sections(section: str) -> None:
    missing = [
        m.id
        for m in report().course.modules.values()
        if not re.search(rf"^{re.escape(section)}\s*$", m.body, re.MULTILINE)
    ]
    assert missing == []


def test_worked_examples_use_one_of_the_article_cases() -> None:
    cases = ("Mr Z", "Ms H", "Sam")
    without_case = []
    for module in report().course.modules.values():
        example = module.body.split("## Worked example", 1)[1].split("\n## ", 1)[0]
        if not any(case in example for case in cases):
            without_case.append(module.id)
    assert without_case == []


def test_module_bodies_leave_references_to_front_matter() -> None:
    assert [m.id for m in report().course.modules.values() if re.search(r"^##\s+References", m.body, re.M)] == []


# --- our own words ------------------------------------------------------------------------------


def test_content_is_in_our_own_words() -> None:
    # CI always has ../shared beside the checkout; a missing tool is a failure, never a skip.
    assert OWN_WORDS.is_file(), f"{OWN_WORDS} is missing: clone the project with ../shared beside it"
    result = subprocess.run(
        [sys.executable, str(OWN_WORDS), *OWN_WORDS_FOLDERS],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    copied = [line for line in result.stdout.splitlines() if ": copied " in line]
    assert result.returncode == 0, "\n".join(copied) or result.stdout + result.stderr
