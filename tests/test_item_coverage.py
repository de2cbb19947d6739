"""Coverage of the item bank: every objective and source concept is assessed, and the summative bank is sound.

These tests read the checked-in content (modules/, quizzes/, glossary/) through the same loader the
app uses. Run with `-s` to see the objective -> items coverage table.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

from course.content import LoadReport, load_course
from course.item_audit import audit_bank, audit_course_items, report_lines
from course.schema import QuizItem, QuizMode

REPO = Path(__file__).resolve().parents[1]
CONCEPTS_FILE = REPO / "tests" / "content" / "concepts_from_sources.txt"

MIN_ITEMS_PER_OBJECTIVE = 4  # formative and summative together
MIN_SUMMATIVE_PER_OBJECTIVE = 4  # issue 14: every learning objective keeps at least 4 summative items
MIN_ITEMS_PER_CONCEPT = 2
MIN_SUMMATIVE_ITEMS = 90  # issue 14: a deep pool, so each attempt draws 20 from at least 90
MIN_VIGNETTE_SHARE = 0.70  # issue 14: at least 70% clinical vignettes asking to apply a concept
MAX_SHARE_OF_ONE_KEY = 0.35
ARTICLE_RUN_WORDS = 8  # the article items' options share no run of 8 words with the sources

ARTICLE_BANK = "assessment-article-mcqs"
# Konstantinidou et al. 2022, answer key at the end of the article: 1a 2b 3e 4a 5b. The items test the
# same five learning points with the same keys, in new stems and new option sets.
ARTICLE_KEYS = {
    "article-lp-1": "a",
    "article-lp-2": "b",
    "article-lp-3": "e",
    "article-lp-4": "a",
    "article-lp-5": "b",
}
SOURCES = REPO.parent / "shared" / "sources"


@cache
def report() -> LoadReport:
    return load_course(REPO)


def all_items() -> list[QuizItem]:
    return [item for bank in report().course.quizzes.values() for item in bank.items]


def summative_items() -> list[QuizItem]:
    return [item for item in all_items() if QuizMode.SUMMATIVE in item.modes]


def objective_ids() -> list[str]:
    return [o.id for m in report().course.modules.values() for o in m.meta.objectives]


def source_concepts() -> list[str]:
    lines = CONCEPTS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def items_by_objective(items: list[QuizItem]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {objective: [] for objective in objective_ids()}
    for item in items:
        for objective in item.objectives:
            table.setdefault(objective, []).append(item.id)
    return table


# --- the content loads --------------------------------------------------------------------------


def test_content_loads_without_errors() -> None:
    assert [str(p) for p in report().errors] == []


def test_there_are_objectives_and_items_to_check() -> None:
    assert len(objective_ids()) == 27
    assert all_items()


# --- objectives ---------------------------------------------------------------------------------


def test_every_objective_has_at_least_four_items() -> None:
    table = items_by_objective(all_items())
    summative = {item.id for item in summative_items()}
    width = max(len(objective) for objective in table)
    print(f"\n{'objective':<{width}}  all  summ  items (* = summative)")
    for objective, ids in table.items():
        n_summative = sum(1 for i in ids if i in summative)
        listed = ", ".join(f"{i}*" if i in summative else i for i in ids)
        print(f"{objective:<{width}}  {len(ids):>3}  {n_summative:>4}  {listed}")
    print(f"minimum items per objective: {min(len(ids) for ids in table.values())}")
    short = {objective: len(ids) for objective, ids in table.items() if len(ids) < MIN_ITEMS_PER_OBJECTIVE}
    assert short == {}, f"objectives with fewer than {MIN_ITEMS_PER_OBJECTIVE} items: {short}"


def test_every_objective_has_at_least_two_summative_items() -> None:
    table = items_by_objective(summative_items())
    short = {objective: ids for objective, ids in table.items() if len(ids) < MIN_SUMMATIVE_PER_OBJECTIVE}
    assert short == {}, f"objectives with fewer than {MIN_SUMMATIVE_PER_OBJECTIVE} summative items: {short}"


# --- concepts -----------------------------------------------------------------------------------


def test_every_source_concept_is_tested_by_at_least_two_items() -> None:
    counts = Counter(concept for item in all_items() for concept in item.concepts)
    concepts = source_concepts()
    assert concepts, f"{CONCEPTS_FILE} lists no concepts"
    short = {concept: counts[concept] for concept in concepts if counts[concept] < MIN_ITEMS_PER_CONCEPT}
    assert short == {}, f"concepts in fewer than {MIN_ITEMS_PER_CONCEPT} items: {short}"


# --- the summative bank -------------------------------------------------------------------------


def test_summative_bank_is_large_enough() -> None:
    assert len(summative_items()) >= MIN_SUMMATIVE_ITEMS


def test_no_summative_item_is_also_formative() -> None:
    both = [item.id for item in summative_items() if QuizMode.FORMATIVE in item.modes]
    assert both == []


def test_assessment_banks_hold_only_summative_items_without_a_module() -> None:
    wrong = [
        item.id
        for bank in report().course.quizzes.values()
        if bank.id.startswith("assessment-")
        for item in bank.items
        if list(item.modes) != [QuizMode.SUMMATIVE] or item.module is not None
    ]
    assert wrong == []


def test_there_is_an_assessment_bank_for_every_module() -> None:
    expected = {f"assessment-{module_id}" for module_id in report().course.modules}
    assert expected - set(report().course.quizzes) == set()


def test_no_letter_is_the_key_of_too_many_summative_items() -> None:
    items = summative_items()
    keys = Counter(item.answer for item in items)
    print(f"\nkey positions in {len(items)} summative items: {dict(sorted(keys.items()))}")
    too_many = {key: n for key, n in keys.items() if n > MAX_SHARE_OF_ONE_KEY * len(items)}
    assert too_many == {}, f"keys used for more than {MAX_SHARE_OF_ONE_KEY:.0%} of summative items: {too_many}"


# --- the source article's own MCQs --------------------------------------------------------------


def test_the_five_article_mcqs_exist_with_the_article_keys() -> None:
    bank = report().course.quizzes.get(ARTICLE_BANK)
    assert bank is not None, f"no quiz bank '{ARTICLE_BANK}'"
    keys = {item.id: item.answer for item in bank.items}
    assert keys == ARTICLE_KEYS
    for item in bank.items:
        assert len(item.options) == 5, f"{item.id} should keep the article's five options"
        assert QuizMode.SUMMATIVE in item.modes, f"{item.id} should be summative"


def test_no_item_uses_all_or_none_of_the_above() -> None:
    flagged = [item.id for item in all_items() if item.all_of_the_above]
    blanket = [
        item.id
        for item in all_items()
        for option in item.options
        if re.search(r"\b(all|none) of the above\b", option.text, re.IGNORECASE)
    ]
    assert flagged == [] and blanket == []


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower().replace("’", "'"))


def test_article_items_options_share_no_run_of_eight_words_with_the_sources() -> None:
    sources = sorted(p for p in SOURCES.iterdir() if p.is_file() and p.suffix in {".md", ".txt"})
    assert sources, f"no source articles in {SOURCES}"
    grams: set[tuple[str, ...]] = set()
    for path in sources:
        words = _words(path.read_text(encoding="utf-8", errors="replace"))
        grams.update(tuple(words[i : i + ARTICLE_RUN_WORDS]) for i in range(len(words) - ARTICLE_RUN_WORDS + 1))
    bank = report().course.quizzes[ARTICLE_BANK]
    copied = []
    for item in bank.items:
        for option in item.options:
            words = _words(option.text)
            runs = [
                " ".join(words[i : i + ARTICLE_RUN_WORDS])
                for i in range(len(words) - ARTICLE_RUN_WORDS + 1)
                if tuple(words[i : i + ARTICLE_RUN_WORDS]) in grams
            ]
            copied += [f"{item.id} {option.key}: {run}" for run in runs]
    assert copied == []


def test_the_eight_word_check_catches_a_copied_option() -> None:
    """The check above is not vacuous: an option lifted from the article's own MCQ 4 is caught."""
    text = (SOURCES / "relational-prescribing-bjpsych-advances-2022.md").read_text(encoding="utf-8")
    words = _words(text)
    lifted = "patients tend to relate to professionals in similar ways to how they relate"
    probe = _words(lifted)[:ARTICLE_RUN_WORDS]
    assert any(words[i : i + ARTICLE_RUN_WORDS] == probe for i in range(len(words)))


def test_most_summative_items_are_clinical_vignettes() -> None:
    audit = audit_bank("summative", summative_items())
    print(f"\nvignette stems: {audit.vignette_share:.0%} of {audit.size}")
    assert audit.vignette_share >= MIN_VIGNETTE_SHARE


def test_kinghorns_principle_on_the_meaning_of_symptoms_is_the_key_of_at_least_two_items() -> None:
    keyed = [
        item.id
        for item in summative_items()
        if "second core principle" in (item.source.locator or "").casefold()
        and re.search(r"\bmean\b", next(o.text for o in item.options if o.key == item.answer))
    ]
    assert len(keyed) >= 2, keyed


def test_the_repository_banks_pass_the_item_audit() -> None:
    summative, formative = audit_course_items(all_items())
    for bank in (summative, formative):
        print("\n" + "\n".join(report_lines(bank, per_item=False)))
        assert bank.breaches() == []
        assert {i.item_id: [str(f) for f in i.flaws()] for i in bank.items if i.flaws()} == {}
