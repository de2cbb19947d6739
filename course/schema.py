"""The one content schema: modules, quiz banks, vignettes, glossary and the bibliography.

Every consumer (loader, `python -m course validate`, tests, the JSON Schema export) uses these
models; there is no second copy. Unknown keys are rejected everywhere (`extra="forbid"`) so a
typo in a YAML key is an error, not silently ignored content.

Cross-file rules (a concept id must exist in the glossary, a vignette graph must be connected, ...)
live in `course.content`, because a single file cannot know about the others.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=64),
    Field(description="lower-case words joined by hyphens, e.g. projective-identification"),
]
VariableName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40),
    Field(description="a state variable name, e.g. alliance or med_changes"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- bibliography -------------------------------------------------------------------------------


class SourceKind(StrEnum):
    SOURCE_ARTICLE = "source-article"  # one of the two articles in shared/sources
    PRIMARY_WORK = "primary-work"  # a work the source articles cite, relied on only as they report it
    # A primary source the course consults and cites itself, for a statement beyond the two
    # articles: a guideline (NICE), the formulary (BNF), professional guidance (GMC), or the work
    # that introduced a concept. It may also be cited in a source article (then say so in cited_in).
    PRIMARY_SOURCE = "primary-source"


class BibEntry(Strict):
    id: Slug
    citation: Text = Field(description="full reference in Vancouver/Harvard style")
    kind: SourceKind
    cited_in: Slug | None = Field(
        default=None,
        description="the source article that cites it: required for a primary work, optional for a primary source",
    )
    safety_reference: bool = Field(
        default=False,
        description=(
            "true for prescribing guidance a case's safety note may rest on: a clinical guideline (NICE), "
            "the formulary (BNF) or professional guidance (GMC); only a primary source can be one"
        ),
    )

    @model_validator(mode="after")
    def _primary_work_names_its_source(self) -> BibEntry:
        if self.kind is SourceKind.PRIMARY_WORK and self.cited_in is None:
            raise ValueError("a primary work must say which source article cites it (cited_in)")
        if self.safety_reference and self.kind is not SourceKind.PRIMARY_SOURCE:
            raise ValueError("only a `kind: primary-source` entry can be a safety reference")
        return self


class Bibliography(Strict):
    references: list[BibEntry] = Field(min_length=1)


class SourceRef(Strict):
    """Where a claim comes from: a bibliography id plus a locator such as 'Box 3'."""

    ref: Slug
    locator: ShortText | None = Field(default=None, description="e.g. 'Box 3', 'Case vignette 2', 'MCQ 1'")


# --- theory modules -----------------------------------------------------------------------------


class Objective(Strict):
    id: Slug = Field(description="unique across the whole course; quiz items point at it")
    text: Text
    article_objective: Literal[1, 2, 3] | None = Field(
        default=None, description="which of the source article's three learning objectives it serves"
    )


class ModuleMeta(Strict):
    """YAML front matter of a theory module (the Markdown body follows it)."""

    id: Slug
    title: ShortText
    summary: Text
    order: int = Field(ge=1, description="position in the course menu")
    minutes: int = Field(ge=1, le=240, description="estimated study time")
    objectives: list[Objective] = Field(min_length=1)
    concepts: list[Slug] = Field(default_factory=list, description="glossary term ids taught here")
    prerequisites: list[Slug] = Field(default_factory=list, description="module ids to read first")
    references: list[SourceRef] = Field(min_length=1)

    @field_validator("concepts", "prerequisites")
    @classmethod
    def _no_repeats(cls, ids: list[str]) -> list[str]:
        _reject_duplicates(ids)
        return ids


# --- quiz banks ---------------------------------------------------------------------------------


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class QuizMode(StrEnum):
    FORMATIVE = "formative"  # a module's knowledge check: instant feedback, no grade
    SUMMATIVE = "summative"  # drawn into the graded assessment


class Option(Strict):
    key: Literal["a", "b", "c", "d", "e"]
    text: Text
    rationale: Text = Field(description="why this option is right, or why it tempts and is wrong")


class QuizItem(Strict):
    id: Slug
    stem: Text
    options: list[Option] = Field(min_length=3, max_length=5)
    answer: Literal["a", "b", "c", "d", "e"] = Field(description="the key of the single best option")
    objectives: list[Slug] = Field(min_length=1)
    concepts: list[Slug] = Field(default_factory=list)
    difficulty: Difficulty
    source: SourceRef
    modes: list[QuizMode] = Field(default_factory=lambda: [QuizMode.FORMATIVE, QuizMode.SUMMATIVE])
    module: Slug | None = Field(default=None, description="the module whose knowledge check shows it")
    all_of_the_above: bool = Field(
        default=False, description="true only where the source's own item needs an 'all of the above' option"
    )

    @model_validator(mode="after")
    def _options_are_well_formed(self) -> QuizItem:
        keys = [o.key for o in self.options]
        expected = ["a", "b", "c", "d", "e"][: len(keys)]
        if keys != expected:
            raise ValueError(f"option keys must run {', '.join(expected)} in order; got {', '.join(keys)}")
        if self.answer not in keys:
            raise ValueError(f"answer '{self.answer}' is not one of the option keys {', '.join(keys)}")
        if len({o.text.casefold() for o in self.options}) != len(keys):
            raise ValueError("two options have the same text")
        return self


class QuizBank(Strict):
    id: Slug
    title: ShortText
    items: list[QuizItem] = Field(min_length=1)


# --- vignettes ----------------------------------------------------------------------------------


class Variable(Strict):
    label: ShortText
    min: int
    max: int
    initial: int
    description: Text | None = None
    better: Literal["higher", "lower"] | None = Field(
        default=None, description="which way is good for the patient; mastery reads choices' effects by it"
    )
    tracks: Literal["medication-changes"] | None = Field(
        default=None,
        description=(
            "what the variable counts; a choice that adds to a 'medication-changes' variable must declare "
            "`prescribing` and carry a `safety` note"
        ),
    )

    @model_validator(mode="after")
    def _initial_in_range(self) -> Variable:
        if not self.min <= self.initial <= self.max:
            raise ValueError(f"initial {self.initial} is outside min..max ({self.min}..{self.max})")
        return self


class Comparison(StrEnum):
    LT = "<"
    LE = "<="
    EQ = "=="
    NE = "!="
    GE = ">="
    GT = ">"


class Condition(Strict):
    """A structured test on one state variable (no expression strings to parse or inject)."""

    var: VariableName
    op: Comparison
    value: int


class SectionRef(Strict):
    """A section of a theory module: the module id and the anchor of one of its headings."""

    module: Slug
    section: Slug = Field(
        description="heading anchor, e.g. projective-identification for '## Projective identification'"
    )


class PrescribingAction(StrEnum):
    """What a choice does to the patient's medicines; each needs a safety note (content rule).

    Lowering or stopping a medicine is prescribing too: it carries its own risks (discontinuation
    symptoms, rebound, relapse), so a reduction, a stop or a switch needs a plan for how the drug
    comes down, and the safety note must say so.
    """

    START = "start"  # starts a medicine
    RAISE = "raise"  # raises the dose of one already taken
    COMBINE = "combine"  # adds a medicine to another (augmentation, a combination)
    SWITCH = "switch"  # replaces one medicine, or one combination, with another
    REDUCE = "reduce"  # lowers the dose of a medicine, or tapers it
    STOP = "stop"  # stops a medicine


class CareTransition(StrEnum):
    """A choice that moves the patient's care: handed over, referred on, or discharged."""

    HANDOVER = "handover"
    REFERRAL = "referral"
    DISCHARGE = "discharge"


class SafetyNote(Strict):
    """The safety considerations of a prescribing choice, shown with its feedback.

    The text names what a competent prescriber checks at that point (toxicity in overdose,
    interactions, licensing, monitoring, supply, and for a reduction, stop or switch how the drug
    comes down); `sources` must include prescribing guidance (a bibliography entry with
    `safety_reference: true`, such as a NICE guideline or the BNF), not only the two articles the
    course is taught from or the works they cite.
    """

    text: Text
    sources: list[SourceRef] = Field(min_length=1, description="where the safety advice comes from")


class Choice(Strict):
    id: Slug
    label: Text = Field(description="what the learner does, in words that say what the choice does")
    target: Slug
    effects: dict[VariableName, int] = Field(default_factory=dict, description="added to each variable")
    conditions: list[Condition] = Field(default_factory=list, description="all must hold to offer it")
    unavailable_reason: Text | None = Field(
        default=None,
        description="for a choice with conditions: why it is not open now (shown with the choice greyed out)",
    )
    feedback: Text | None = None
    concepts: list[Slug] = Field(default_factory=list, description="glossary ids the feedback names")
    learn_more: list[SectionRef] = Field(default_factory=list, description="module sections to read next")
    prescribing: PrescribingAction | None = Field(
        default=None,
        description="set when the choice starts, raises, combines, switches, reduces or stops a medicine",
    )
    safety: SafetyNote | None = Field(default=None, description="required with `prescribing`")
    transition: CareTransition | None = Field(
        default=None, description="set when the choice hands over, refers on or discharges the patient"
    )


class Route(Strict):
    conditions: list[Condition] = Field(min_length=1)
    target: Slug


class NodeBase(Strict):
    id: Slug
    title: ShortText | None = None
    text: Text


class NarrativeNode(NodeBase):
    kind: Literal["narrative"]
    next: Slug
    routes: list[Route] = Field(default_factory=list, description="first route whose conditions hold wins")


class ChoiceNode(NodeBase):
    kind: Literal["choice"]
    choices: list[Choice] = Field(min_length=2)


class ReflectionNode(NodeBase):
    kind: Literal["reflection"]
    prompts: list[Text] = Field(min_length=1, description="framework questions to answer in free text")
    next: Slug
    routes: list[Route] = Field(default_factory=list)


class Outcome(StrEnum):
    HELPFUL = "helpful"
    MIXED = "mixed"
    HARMFUL = "harmful"


class EndingNode(NodeBase):
    kind: Literal["ending"]
    outcome: Outcome
    debrief: Text


Node = Annotated[
    NarrativeNode | ChoiceNode | ReflectionNode | EndingNode,
    Field(discriminator="kind"),
]


class Vignette(Strict):
    id: Slug
    title: ShortText
    summary: Text
    minutes: int = Field(ge=1, le=240)
    source: SourceRef
    concepts: list[Slug] = Field(default_factory=list)
    variables: dict[VariableName, Variable] = Field(default_factory=dict)
    start: Slug
    nodes: list[Node] = Field(min_length=2)


# --- glossary -----------------------------------------------------------------------------------


class Term(Strict):
    id: Slug
    term: ShortText
    aliases: list[ShortText] = Field(default_factory=list)
    short: Text = Field(description="a definition a trainee can read in a hurry (at most 30 words)")
    long: Text
    example: Text = Field(description="how the concept shows up when prescribing")
    related: list[Slug] = Field(default_factory=list)
    source: SourceRef


class Glossary(Strict):
    terms: list[Term] = Field(min_length=1)


def _reject_duplicates(ids: list[str]) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise ValueError(f"'{value}' is listed twice")
        seen.add(value)


SCHEMAS: dict[str, type[BaseModel]] = {
    "module-front-matter": ModuleMeta,
    "quiz-bank": QuizBank,
    "vignette": Vignette,
    "glossary": Glossary,
    "bibliography": Bibliography,
}
