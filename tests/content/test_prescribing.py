"""The words behind the case safety rule (course/prescribing.py), tried as an author slipping past it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course import prescribing
from course.content import load_course, parse
from course.prescribing import looks_like_medication_count, prescribing_phrase, safety_note_gaps
from course.problems import ContentError
from course.schema import BibEntry, ChoiceNode, PrescribingAction, Variable, Vignette
from tests.content.fixtures import build_case

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "label",
    [
        "Start sertraline for his low mood",
        "Increase the dose, since she is tolerating it",
        "Add risperidone to treat his distress",
        "Agree to add the second antidepressant that she asked for",
        "Offer him an SSRI he has not tried",
        "Switch him to the antidepressant he read about",
        "Try one more antidepressant",
        "Stop the risperidone today",
        "Reduce the antipsychotic to the old dose",
        "Bring the risperidone back down to where it was",
        "Taper the venlafaxine over four weeks",
        "Come off the lamotrigine",
        "Do not wait; start lithium",
        "Add an augmenting agent",
        "Before starting sertraline, ask about any past overdose",
    ],
)
def test_a_label_that_changes_a_medicine_reads_as_prescribing(label: str) -> None:
    assert prescribing_phrase(label) is not None


@pytest.mark.parametrize(
    "label",
    [
        "Tell him there is nothing left worth trying, so no more switches.",
        "Say you have no better drug to offer, but your work together matters.",
        "Say you'd rather not rush to another drug, and keep his tablets dispensed in small amounts.",
        "Offer a referral for psychotherapy, and keep seeing her for her medication while it starts.",
        "Present Mr Z at your peer group before changing anything else.",
        "Hold the doses, assess the crisis with him, and agree weekly supplies.",
        "Talk about the relationship",
        "Leave the augmenting agent as it is, and see what he wants at the next appointment.",
        "Say you don't want to change his medication today.",
    ],
)
def test_a_label_that_changes_no_medicine_does_not(label: str) -> None:
    assert prescribing_phrase(label) is None


def test_every_label_in_the_course_that_reads_as_prescribing_declares_it() -> None:
    course = load_course(REPO).course
    undeclared = [
        f"{v.id}/{c.id}: {c.label}"
        for v in course.vignettes.values()
        for n in v.nodes
        if isinstance(n, ChoiceNode)
        for c in n.choices
        if prescribing_phrase(c.label) is not None and c.prescribing is None
    ]
    assert undeclared == []


@pytest.mark.parametrize(
    ("name", "label", "expected"),
    [
        ("med_changes", "Medication changes", True),
        ("tablets", "Tablets on his chart", True),
        ("regimen", "Drugs on the regimen", True),
        ("scripts", "Antidepressants tried", True),
        ("pressure", "Pressure to prescribe", False),
        ("risk", "Risk", False),
        ("alliance", "Therapeutic alliance", False),
    ],
)
def test_a_count_of_medicines_is_recognised_by_name_or_label(name: str, label: str, expected: bool) -> None:
    variable = Variable(label=label, min=0, max=5, initial=0)
    assert looks_like_medication_count(name, variable) is expected


@pytest.mark.parametrize(
    "text",
    [
        "BNF.",
        "See the BNF and NICE CG78 (section 1.3.4).",
        "Be careful and think about safety before you go ahead with this one.",
    ],
)
def test_a_safety_note_with_nothing_to_check_is_refused(text: str) -> None:
    assert safety_note_gaps(text, PrescribingAction.START)


@pytest.mark.parametrize("action", [PrescribingAction.REDUCE, PrescribingAction.STOP, PrescribingAction.SWITCH])
def test_taking_a_drug_away_needs_a_plan_for_how_it_comes_down(action: PrescribingAction) -> None:
    without = "Review the target symptoms with him and monitor weight, glucose and lipids at each review (BNF)."
    assert [m for m, _ in safety_note_gaps(without, action) if "comes down" in m]
    with_plan = without + " Bring it down gradually and watch for withdrawal symptoms and relapse."
    assert safety_note_gaps(with_plan, action) == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_safety_note_is_a_schema_error(text: str, tmp_path: Path) -> None:
    root = build_case("unused-term", tmp_path)
    case = root / "vignettes" / "case.yaml"
    source = case.read_text(encoding="utf-8")
    old = "          text: Check the interaction and the washout between the two drugs."
    assert old in source
    case.write_text(source.replace(old, f"          text: {json.dumps(text)}"), encoding="utf-8")
    errors = [str(p) for p in load_course(root).errors]
    assert any("safety.text: String should have at least 1 character" in e for e in errors), errors


def test_only_a_primary_source_can_be_a_safety_reference() -> None:
    with pytest.raises(ContentError) as caught:
        parse(
            BibEntry,
            {
                "id": "main-1957",
                "kind": "primary-work",
                "cited_in": "a",
                "citation": "Main T.",
                "safety_reference": True,
            },
        )
    assert "only a `kind: primary-source` entry can be a safety reference" in str(caught.value)


def test_the_vignette_schema_accepts_reduce_and_stop() -> None:
    assert {a.value for a in PrescribingAction} >= {"reduce", "stop"}
    assert "reduce" in str(Vignette.model_json_schema())


class _Recording:
    """Stands in for a compiled pattern and records how long each string it is asked to read is."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.lengths: list[int] = []

    def search(self, text: str) -> re.Match[str] | None:
        self.lengths.append(len(text))
        return self.pattern.search(text)


def test_the_label_reader_looks_only_near_each_verb(monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed label full of verbs must not make the validator quadratic (it was: a 60 kB label
    of "no more add" took a minute), so each verb's negation and object are read from a few words."""
    negated = _Recording(prescribing._NEGATED)
    medicine = _Recording(prescribing._MEDICINE_RE)
    monkeypatch.setattr(prescribing, "_NEGATED", negated)
    monkeypatch.setattr(prescribing, "_MEDICINE_RE", medicine)
    assert prescribing_phrase("no more add " * 5_000 + "sertraline") is None
    assert prescribing_phrase("hold the dose, " * 5_000 + "then start sertraline") is not None
    assert negated.lengths and max(negated.lengths) <= 120
    assert max(medicine.lengths) <= 200
