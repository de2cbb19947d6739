"""The real course content: loads cleanly and covers what the source articles teach.

These tests read the checked-in content (modules/, quizzes/, vignettes/, glossary/, references/)
through the same loader the app uses, so a rule the loader already enforces is only checked here
when the tests add something the loader does not (coverage of the sources, the article's
objectives, concept names appearing in the text, our-own-words, and the clinical read of issue 13:
safe prescribing in the cases, fair feedback, accurate attribution).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
import yaml

from course.content import LoadReport, load_course
from course.graph import outgoing
from course.schema import ChoiceNode, EndingNode, Outcome, QuizMode, SourceKind, Vignette
from course.vignette import CONTINUE, PlayState, advance, choices_offered, node_of, start

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


# --- issue 13: clinically safe cases and exact teaching -----------------------------------------
#
# Each test names a kind of fault the independent clinical read found, and checks every place the
# kind could occur in modules/, vignettes/, glossary/ and references/ (quizzes/ belong to the item
# bank and are checked by their own tests).

GOLDEN = sorted((REPO / "tests" / "vignettes" / "golden").glob("*.yaml"))
MY_FOLDERS_TEXT = ("modules", "vignettes", "glossary")


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+", " ".join(text.split()))


def content_texts() -> list[tuple[str, str]]:
    """(where, text) for every module body, glossary field and vignette text a learner reads."""
    course = report().course
    out: list[tuple[str, str]] = [(f"module {m.id}", m.body) for m in course.modules.values()]
    for term in course.glossary.values():
        out += [(f"term {term.id}", f"{term.short}\n{term.long}\n{term.example}")]
    for vignette in course.vignettes.values():
        out.append((f"{vignette.id}", vignette.summary))
        for node in vignette.nodes:
            out.append((f"{vignette.id}/{node.id}", node.text))
            if isinstance(node, EndingNode):
                out.append((f"{vignette.id}/{node.id}/debrief", node.debrief))
            if isinstance(node, ChoiceNode):
                for choice in node.choices:
                    texts = [choice.label, choice.feedback or "", choice.safety.text if choice.safety else ""]
                    out.append((f"{vignette.id}/{node.id}/{choice.id}", "\n".join(texts)))
    return out


def choice_is_not_worse(vignette: Vignette, effects: dict[str, int]) -> bool:
    """No effect moves a variable the wrong way for the patient (by its declared `better`)."""
    for name, delta in effects.items():
        better = vignette.variables[name].better
        if (better == "higher" and delta < 0) or (better == "lower" and delta > 0):
            return False
    return True


def reachable_endings(vignette: Vignette, start: str) -> set[Outcome]:
    nodes = {n.id: n for n in vignette.nodes}
    seen, todo, outcomes = {start}, [start], set()
    while todo:
        node = nodes[todo.pop()]
        if isinstance(node, EndingNode):
            outcomes.add(node.outcome)
        for target, _ in outgoing(node):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return outcomes


@pytest.mark.parametrize("vignette_id", ["mr-z", "ms-h", "sam"])
def test_each_case_has_a_well_planned_handover_or_referral_scored_neutral_or_positive(vignette_id: str) -> None:
    vignette = report().course.vignettes[vignette_id]
    good = [
        choice.id
        for node in vignette.nodes
        if isinstance(node, ChoiceNode)
        for choice in node.choices
        if choice.transition is not None
        and choice_is_not_worse(vignette, choice.effects)
        and Outcome.HARMFUL not in reachable_endings(vignette, choice.target)
        and choice.feedback
        and re.search(r"\b(handover|hand(ed|ing)? (over|back|on)|referral)\b", choice.feedback, re.I)
    ]
    assert good, (
        f"{vignette_id}: no handover or referral that is scored neutral or positive, with feedback on doing it well"
    )


@pytest.mark.parametrize("vignette_id", ["mr-z", "ms-h", "sam"])
def test_every_choice_that_moves_care_is_declared(vignette_id: str) -> None:
    """A label that hands over, refers or discharges says so in the schema (so the test above sees it)."""
    vignette = report().course.vignettes[vignette_id]
    undeclared = [
        choice.id
        for node in vignette.nodes
        if isinstance(node, ChoiceNode)
        for choice in node.choices
        if re.search(
            r"\b(discharge|hand (him|her) back|hand .* back|return (him|her) to|refer (him|her)"
            r"|referral|GP takes over)\b",
            choice.label,
            re.I,
        )
        and choice.transition is None
    ]
    assert undeclared == []


MOTIVE = re.compile(
    r"\b(acting out|acts? out|acted out|countertransference prescribing|driven by your|escape|get(ting)? rid of|"
    r"rids you|eases? the guilt|your relief|relief you feel|you felt|"
    r"your (own )?(helplessness|guilt|frustration|exhaustion|need to|wish to|sense of failure|sense of defeat))\b",
    re.I,
)
HEDGE = re.compile(
    r"\b(if|may|might|can|could|risks?|whether|worth|when|suggests?|would|likely|usually|label says|chose|not)\b", re.I
)


def test_feedback_and_debriefs_never_assert_a_motive_the_learner_did_not_choose() -> None:
    """A claim about what drove the prescriber must be conditional ("if ...", "may", "worth asking")."""
    asserted = []
    for vignette in report().course.vignettes.values():
        for node in vignette.nodes:
            texts = [(c.id, c.feedback or "") for c in node.choices] if isinstance(node, ChoiceNode) else []
            if isinstance(node, EndingNode):
                texts.append(("debrief", node.debrief))
            for where, text in texts:
                asserted += [
                    f"{vignette.id}/{node.id}/{where}: {s}"
                    for s in sentences(text)
                    if MOTIVE.search(s) and not HEDGE.search(s)
                ]
    assert asserted == []


def test_the_unhedged_motive_check_catches_the_old_augmentation_feedback() -> None:
    old = (
        "Augmentation is a recognised step in treatment resistance, but notice what is driving it today: "
        "relief from your own sense of failure."
    )
    assert [s for s in sentences(old) if MOTIVE.search(s) and not HEDGE.search(s)]


def test_main_is_reported_accurately_everywhere() -> None:
    """Polypharmacy as a desperate treatment is the article authors' gloss; in Main the refusal leads to the mania."""
    wrong = []
    for where, text in content_texts():
        for s in sentences(text):
            if (
                re.search(r"\bMain\b", s)
                and "polypharmacy" in s.casefold()
                and not re.search(r"author|article", s, re.I)
            ):
                wrong.append(f"{where}: {s}")
            if re.search(
                r"called (this |the )?refusal|term for (a |the )?clinician's refusal|Main listed polypharmacy", s
            ):
                wrong.append(f"{where}: {s}")
    assert wrong == []


def test_ms_h_childhood_is_never_called_neglectful() -> None:
    wrong = [
        f"{where}: {s}"
        for where, text in content_texts()
        for s in sentences(text)
        if "Ms H" in s and re.search(r"neglect", s, re.I) and not re.search(r"\bnot\b", s)
    ]
    assert wrong == []


def test_balint_groups_are_not_credited_with_what_the_article_credits_to_reflection_and_curiosity() -> None:
    wrong = [
        f"{where}: {s}"
        for where, text in content_texts()
        for s in sentences(text)
        if re.search(r"Balint[- ](group|like)", s, re.I)
        and re.search(r"burnout|outcome|curios|Balint-like|thoughtful", s, re.I)
        and not re.search(r"\bnot\b", s)
    ]
    assert wrong == []


def test_the_kinghorn_box_7_pairing_is_presented_as_the_course_s_own_construction() -> None:
    course = report().course
    for where, text in content_texts():
        for paragraph in text.split("\n\n"):
            if re.search(r"principles? \d( and \d)?", paragraph) and "Box 7" in paragraph and "Kinghorn" in paragraph:
                assert re.search(r"course's|this course", paragraph), f"{where}: {paragraph[:120]}"
    assert "this course's own construction" in course.modules["framework-for-reflection"].body


def test_the_second_kinghorn_principle_is_the_meaning_of_symptoms_and_is_taught() -> None:
    wrong = [
        f"{where}: {s}"
        for where, text in content_texts()
        for s in sentences(text)
        if re.search(r"Kinghorn's second principle", s) and "symptom" not in s
    ]
    assert wrong == []
    assert "## Asking what symptoms mean" in report().course.modules["the-patient-factor"].body


def test_kinghorn_s_psychotherapy_principle_is_reached_by_a_case_route_to_a_helpful_ending() -> None:
    course = report().course
    reached = set()
    for path in GOLDEN:
        golden = yaml.safe_load(path.read_text(encoding="utf-8"))
        vignette = course.vignettes[golden["vignette"]]
        ending = next(n for n in vignette.nodes if n.id == golden["ending"])
        assert isinstance(ending, EndingNode)
        chosen = {c.id: c for n in vignette.nodes if isinstance(n, ChoiceNode) for c in n.choices}
        for choice_id in golden["choices"]:
            feedback = chosen[choice_id].feedback or ""
            if "fourth principle" in feedback and "psychotherapy" in feedback and ending.outcome is Outcome.HELPFUL:
                reached.add(vignette.id)
    assert reached >= {"sam", "ms-h", "mr-z"}


def test_sam_s_endorsed_routes_after_a_crisis_model_the_risk_work() -> None:
    """After A&E and after the overdose, every choice the case scores as good names the risk work."""
    sam = report().course.vignettes["sam"]
    needed = {
        "assessment": r"assess",
        "a plan agreed with him": r"safety plan|agree a plan",
        "who to contact": r"contact|whom to ring",
        "dispensing interval": r"weekly|dispens|supplies",
        "review of what was raised": r"review",
    }
    for node_id in ("a-and-e", "step-back"):
        node = next(n for n in sam.nodes if n.id == node_id)
        assert isinstance(node, ChoiceNode)
        endorsed = [
            c
            for c in node.choices
            if choice_is_not_worse(sam, c.effects) and Outcome.HELPFUL in reachable_endings(sam, c.target)
        ]
        assert endorsed, f"no route from {node_id} to a helpful ending"
        for choice in endorsed:
            text = f"{choice.label} {choice.feedback}"
            missing = [name for name, pattern in needed.items() if not re.search(pattern, text, re.I)]
            assert missing == [], f"{node_id}/{choice.id} lacks {missing}"
            assert re.search(r"supervision|step back|reflect", text, re.I), (
                f"{node_id}/{choice.id}: relational thinking"
            )


def test_sam_offers_a_lower_toxicity_antidepressant_and_names_venlafaxine_s_overdose_risk() -> None:
    sam = report().course.vignettes["sam"]
    first = next(n for n in sam.nodes if n.id == "first-meeting")
    assert isinstance(first, ChoiceNode)
    starts = {c.id: c for c in first.choices if c.prescribing is not None}
    venlafaxine = starts["start-venlafaxine"]
    assert venlafaxine.safety is not None
    assert re.search(r"more toxic in overdose than an SSRI", venlafaxine.safety.text)
    assert "NICE CG78" in venlafaxine.safety.text and "personality disorder itself" in venlafaxine.safety.text
    assert {r.ref for r in venlafaxine.safety.sources} >= {"nice-2009", "bnf"}
    safer = [c for c in starts.values() if "SSRI" in c.label]
    assert safer and all(c.safety and "less toxic in overdose" in c.safety.text for c in safer)


def test_modules_that_discuss_sam_s_antidepressant_name_cg78_and_overdose_toxicity() -> None:
    for module in report().course.modules.values():
        if "Sam" in module.body and "venlafaxine" in module.body:
            assert "NICE CG78" in module.body, module.id
            assert "personality disorder itself" in module.body, module.id
            assert re.search(r"more (toxic|dangerous) in overdose than an SSRI", module.body), module.id


def test_ms_h_combination_choices_name_interaction_checks_and_the_unlicensed_medicine() -> None:
    ms_h = report().course.vignettes["ms-h"]
    combining = [
        c
        for n in ms_h.nodes
        if isinstance(n, ChoiceNode)
        for c in n.choices
        if c.prescribing is not None and c.prescribing.value in {"combine", "switch"}
    ]
    assert combining
    for choice in combining:
        assert choice.safety is not None, choice.id
        assert "serotonin toxicity" in choice.safety.text, choice.id
        assert "unlicensed" in choice.safety.text and "responsibility" in choice.safety.text, choice.id


def test_every_case_has_prescribing_choices_and_each_carries_a_safety_note() -> None:
    for vignette in report().course.vignettes.values():
        prescribing = [
            c for n in vignette.nodes if isinstance(n, ChoiceNode) for c in n.choices if c.prescribing is not None
        ]
        assert prescribing, vignette.id
        assert all(c.safety is not None for c in prescribing), vignette.id
        assert any(spec.tracks == "medication-changes" for spec in vignette.variables.values()), vignette.id


def test_nice_cg78_the_bnf_and_the_other_safety_sources_are_primary_sources() -> None:
    bibliography = report().course.bibliography
    for ref in ("nice-2009", "bnf", "nice-ng225", "gmc-2021"):
        assert bibliography[ref].kind is SourceKind.PRIMARY_SOURCE, ref
    assert "CG78" in bibliography["nice-2009"].citation
    assert "British National Formulary" in bibliography["bnf"].citation


def test_the_konstantinidou_citation_gives_what_is_known_and_invents_nothing() -> None:
    citation = report().course.bibliography["konstantinidou-2022"].citation
    for part in (
        "Konstantinidou H, Chartonas D, Rogalski D, Lee T",
        "BJPsych Advances",
        "17 June 2022",
        "cambridge.org",
    ):
        assert part in citation
    # The copy the course is taught from gives no volume, pages or DOI: none may be made up.
    assert not re.search(r"\b\d{2};\d|\bdoi:|10\.1192", citation)


@pytest.mark.parametrize(
    ("term_id", "originator"),
    [
        ("attachment", "Bowlby"),
        ("internal-working-model", "Bowlby"),
        ("containment", "Bion"),
        ("projective-identification", "Klein"),
        ("transference", "Freud"),
        ("countertransference", "Freud"),
        ("negative-therapeutic-reaction", "Freud"),
        ("defence-mechanism", "Freud"),
        ("transitional-object", "Winnicott"),
        ("locus-of-control", "Rotter"),
        ("malignant-regression", "Balint"),
        ("regression", "Balint"),
    ],
)
def test_glossary_names_the_originator_the_course_credits(term_id: str, originator: str) -> None:
    term = report().course.glossary[term_id]
    assert originator in term.long


ASKED_FOR_TERMS = (
    "interpretation",
    "defence-mechanism",
    "regression",
    "identification",
    "idealisation",
    "unconscious-guilt",
    "mind-body-split",
    "personality-disorder",
    "complex-trauma",
    "adherence",
    "experience-by-proxy",
    "medication-preference",
)


@pytest.mark.parametrize("term_id", ASKED_FOR_TERMS)
def test_the_glossary_gaps_are_filled_and_taught(term_id: str) -> None:
    course = report().course
    assert term_id in course.glossary
    assert [m.id for m in course.modules.values() if term_id in m.meta.concepts]
    names = [n.casefold() for n in names_of(term_id)]
    assert any(name in all_bodies() for name in names), f"none of {names} appears in any module body"


def test_regression_covers_benign_and_malignant() -> None:
    term = report().course.glossary["regression"]
    assert "benign" in term.long and "malignant" in term.long


def test_treatment_resistance_is_defined_with_adequate_trials() -> None:
    term = report().course.glossary["treatment-resistance"]
    assert re.search(r"adequate trials", term.short) and "two" in term.short
    assert re.search(r"dose, duration and adherence", term.long)


def test_no_ending_contradicts_itself_about_weight() -> None:
    for vignette in report().course.vignettes.values():
        for node in vignette.nodes:
            if isinstance(node, EndingNode):
                text = node.text.casefold()
                gained = re.search(r"heavier|put on weight|gained weight|weight gain", text)
                lost = re.search(r"weight loss|lost .{0,12}weight|lighter", text)
                assert not (gained and lost), f"{vignette.id}/{node.id}"


@pytest.mark.parametrize(
    "passage",
    [
        "## A process over time, and one that is resisted",
        "## Beyond the algorithm",
        "## Reflection and safety go together",
        "## Endings, handovers and referrals",
    ],
)
def test_thinly_taught_points_are_taught(passage: str) -> None:
    assert passage.casefold() in all_bodies()


def test_mr_z_self_punishment_from_unconscious_guilt_is_in_the_case_and_the_modules() -> None:
    course = report().course
    mr_z = course.vignettes["mr-z"]
    assert any("got what he deserved" in n.text for n in mr_z.nodes)
    assert any(isinstance(n, EndingNode) and "unconscious sense of guilt" in n.debrief for n in mr_z.nodes)
    assert "unconscious guilt" in course.modules["the-patient-factor"].body.casefold()


# --- issue 13, independent review: what the first fixes left --------------------------------------


def routes(vignette: Vignette) -> list[tuple[list[str], list[str], str]]:
    """Every route from the start to an ending, as (nodes visited, choices made, ending id).

    Variables are followed exactly (conditions and state routes), and a route that comes back to a
    choice node it has already decided at is cut there, so loops are walked once.
    """
    now = datetime(2026, 1, 5, tzinfo=UTC)
    found: list[tuple[list[str], list[str], str]] = []

    def walk(state: PlayState) -> None:
        node = node_of(vignette, state.node)
        if isinstance(node, EndingNode):
            found.append((state.path, state.choices_made, node.id))
            return
        if isinstance(node, ChoiceNode):
            if node.id in [m.node for m in state.route]:
                return
            for choice in choices_offered(vignette, state):
                walk(advance(vignette, state, choice.id, now=now)[0])
        else:
            walk(advance(vignette, state, CONTINUE, now=now)[0])

    walk(start(vignette, content_version="routes", now=now)[0])
    return found


SAM_CRISES = ("a-and-e", "overdose")  # the suicidal crisis that took him to A&E; the overdose


def test_no_route_through_sam_s_crisis_ends_in_a_debrief_that_says_no_crisis_had_come() -> None:
    """Handing Sam back after a suicidal crisis, unassessed, must never read as a quiet, mixed ending."""
    sam = report().course.vignettes["sam"]
    endings = {n.id: n for n in sam.nodes if isinstance(n, EndingNode)}
    wrong = [
        f"{' > '.join(choices)} -> {ending}"
        for path, choices, ending in routes(sam)
        if any(crisis in path for crisis in SAM_CRISES)
        and re.search(r"no crisis|risk had not (yet )?built up", endings[ending].debrief + endings[ending].text, re.I)
    ]
    assert wrong == []


def test_after_the_overdose_the_endorsed_choice_brings_the_raised_dose_down_with_a_plan() -> None:
    """The review of the raised antipsychotic ends in a decision, and bringing it down is prescribing."""
    sam = report().course.vignettes["sam"]
    step_back = next(n for n in sam.nodes if n.id == "step-back")
    assert isinstance(step_back, ChoiceNode)
    [endorsed] = [c for c in step_back.choices if Outcome.HELPFUL in reachable_endings(sam, c.target)]
    assert endorsed.prescribing is not None and endorsed.prescribing.value == "reduce"
    assert endorsed.safety is not None
    assert {r.ref for r in endorsed.safety.sources} >= {"nice-2009", "bnf"}
    assert re.search(r"gradual|taper|step", endorsed.safety.text)
    ending = next(n for n in sam.nodes if n.id == "ending-different-conversation")
    assert "stays as it is" not in ending.text


RELIEVED_FEELING = re.compile(
    r"\b(answer|reliev|eas|sooth|quiet|calm)\w* (the |your |their )?(own )?"
    r"(helplessness|guilt|frustration|despair|discomfort|anxiety|shame)\b",
    re.I,
)


def test_feedback_never_asserts_that_a_choice_relieved_the_prescriber_s_feelings() -> None:
    """Saying "each escalation answered the helplessness in the room" asserts a motive as "to escape" does."""
    asserted = []
    for vignette in report().course.vignettes.values():
        for node in vignette.nodes:
            texts = [(c.id, c.feedback or "") for c in node.choices] if isinstance(node, ChoiceNode) else []
            if isinstance(node, EndingNode):
                texts.append(("debrief", node.debrief))
            asserted += [
                f"{vignette.id}/{node.id}/{where}: {s}"
                for where, text in texts
                for s in sentences(text)
                if RELIEVED_FEELING.search(s) and not HEDGE.search(s)
            ]
    assert asserted == []


# Claims that a source says what it does not, found by the independent read; each pattern names a kind.
OVERCLAIMS = {
    # "countertransference prescribing" is Mintz's phrase as Kinghorn quotes it, not the article's.
    "countertransference prescribing credited to the article": re.compile(
        r"\b(source|article)\b[^.]{0,60}\b(suggests?|says|describes|calls)\b[^.]{0,80}countertransference prescribing",
        re.I,
    ),
    # The article says deterioration or rising risk should alert a prescriber; it prescribes no moment.
    "the article timing the step back": re.compile(r"point at which the (source|article) says", re.I),
    # Kinghorn's fourth principle is about prescribing so as to encourage psychotherapy, not a referral.
    "Kinghorn's fourth principle as a referral": re.compile(r"fourth principle[^.]{0,120}\bis itself about\b", re.I),
    # The article names Balint and Winnicott as originators; only the others are the course's addition.
    "the article said to name no originators": re.compile(r"article does not name (the|any) originators", re.I),
    # The article reports US "attempts to reintroduce" a psychodynamic approach, not its return.
    "attempts reported as a return": re.compile(r"psychodynamic (thinking|approach) has returned", re.I),
}


@pytest.mark.parametrize("kind", sorted(OVERCLAIMS))
def test_no_text_makes_a_source_say_what_it_does_not(kind: str) -> None:
    wrong = [f"{where}: {s}" for where, text in content_texts() for s in sentences(text) if OVERCLAIMS[kind].search(s)]
    assert wrong == []


def test_nice_ng225_is_cited_with_its_scope() -> None:
    """NG225 is the self-harm guideline: a text that leans on it for a suicidal crisis says so."""
    unscoped = [
        f"{where}: {paragraph[:100]}"
        for where, text in content_texts()
        for paragraph in text.split("\n\n")
        if "NG225" in paragraph and not re.search(r"self-harm", paragraph, re.I)
    ]
    assert unscoped == []


def test_an_ending_never_recalls_an_overdose_the_route_did_not_contain() -> None:
    """Sam's endings are reached with and without the overdose; their text must fit every route."""
    sam = report().course.vignettes["sam"]
    endings = {n.id: n for n in sam.nodes if isinstance(n, EndingNode)}
    again = re.compile(r"(overdose|too many tablets)[^.]*\bagain\b|\bagain\b[^.]*(overdose|too many tablets)", re.I)
    wrong = sorted(
        {
            ending
            for path, _, ending in routes(sam)
            if "overdose" not in path and again.search(endings[ending].text + " " + endings[ending].debrief)
        }
    )
    assert wrong == []


def test_no_choice_recalls_an_overdose_on_a_route_that_had_none() -> None:
    """The choices after Sam's reflection are reached with and without the overdose (after A&E alone)."""
    sam = report().course.vignettes["sam"]
    choices = {c.id: c for n in sam.nodes if isinstance(n, ChoiceNode) for c in n.choices}
    past = re.compile(r"(recent|after (the|an|his)|since (the|his)|days after an?) overdose", re.I)
    wrong = sorted(
        {
            choice_id
            for path, made, _ in routes(sam)
            if "overdose" not in path
            for choice_id in made
            if past.search(
                " ".join(
                    [
                        choices[choice_id].feedback or "",
                        choices[choice_id].safety.text if choices[choice_id].safety else "",
                    ]
                )
            )
        }
    )
    assert wrong == []


def test_mr_z_s_augmentation_that_brought_only_side_effects_is_reviewed_and_can_be_stopped_safely() -> None:
    """Every helpful route after the augmentation passes a decision about it, and stopping it is declared."""
    mr_z = report().course.vignettes["mr-z"]
    endings = {n.id: n for n in mr_z.nodes if isinstance(n, EndingNode)}
    choices = {c.id: c for n in mr_z.nodes if isinstance(n, ChoiceNode) for c in n.choices}
    stops = [c for c in choices.values() if c.prescribing is not None and c.prescribing.value in {"stop", "reduce"}]
    assert stops, "no choice lets the learner stop the augmenting agent"
    for stop in stops:
        assert stop.safety is not None and {r.ref for r in stop.safety.sources} >= {"bnf"}
    for _, made, ending in routes(mr_z):
        if "start-augmenter" in made and endings[ending].outcome is Outcome.HELPFUL:
            decided = [c for c in made if choices[c].prescribing is not None and c != "start-augmenter"]
            reviewed = [c for c in made if "augment" in choices[c].label.casefold() and c != "start-augmenter"]
            assert reviewed or decided, f"{' > '.join(made)}: the augmentation is never reviewed"
