"""The words behind the case safety rule: what reads as prescribing, and what a safety note must say.

Issue 13: a case must never model a prescribing action without the safety considerations a
competent prescriber weighs at that point. The schema lets an author declare the action
(`prescribing:`) and attach a `safety:` note; `course.content` makes the declaration and the note
compulsory. These pure functions catch the ways an author could slip past that by accident:

- a choice whose label starts, raises, adds, switches, lowers or stops a medicine but declares no
  `prescribing` (`prescribing_phrase`);
- a variable that counts medicines but is not declared `tracks: medication-changes`
  (`looks_like_medication_count`);
- a safety note with nothing in it but a citation, or one for a reduction, stop or switch that
  says nothing about how the drug comes down (`safety_note_gaps`).

They are heuristics over English text, tuned so that every label in the course reads correctly;
a false alarm is fixed by rewording the label, never by dropping the rule.
"""

from __future__ import annotations

import re

from course.schema import PrescribingAction, Variable

# A variable's name or label that reads like a count of medicines or medication changes. Only the
# name and label are read: descriptions of risk often mention medication without counting it.
_MEDICATION_COUNT = re.compile(
    r"medication|medicine|\bmeds?\b|^med_|\bdoses?\b|dosage|drug|switch|tablet|\bpills?\b|regimen|"
    r"polypharmacy|antidepressant|antipsychotic|augment|combination",
    re.IGNORECASE,
)


def looks_like_medication_count(name: str, variable: Variable) -> bool:
    """True when `name` or the variable's label reads like a count of medicines or their changes."""
    return bool(_MEDICATION_COUNT.search(name) or _MEDICATION_COUNT.search(variable.label))


# Verbs of prescribing (start, raise, add, switch, lower, stop) and the medicines they act on.
_VERB = (
    r"start\w*|begin\w*|prescrib\w*|add|adds|adding|added|offer\w*|give|giving|tr(?:y|ies)|"
    r"increas\w*|rais\w*|doubl\w*|titrat\w*|up the dose|"
    r"combin\w*|augment\w*|switch\w*|chang\w*|replac\w*|swap\w*|"
    r"reduc\w*|lower\w*|decreas\w*|cut|cuts|cutting|halv\w*|taper\w*|wean\w*|bring\w* (?:\w+ ){0,3}down|"
    r"stop\w*|withdraw\w*|discontinu\w*|come off|coming off|take (?:him|her|them) off"
)
_DRUG_NAMES = [
    "agomelatine",
    "amisulpride",
    "amitriptyline",
    "aripiprazole",
    "bupropion",
    "buspirone",
    "carbamazepine",
    "citalopram",
    "clomipramine",
    "clonazepam",
    "clozapine",
    "diazepam",
    "duloxetine",
    "escitalopram",
    "esketamine",
    "fluoxetine",
    "fluvoxamine",
    "gabapentin",
    "haloperidol",
    "imipramine",
    "ketamine",
    "lamotrigine",
    "lithium",
    "lofepramine",
    "lorazepam",
    "lurasidone",
    "methylphenidate",
    "mirtazapine",
    "moclobemide",
    "nortriptyline",
    "olanzapine",
    "paroxetine",
    "phenelzine",
    "pregabalin",
    "promethazine",
    "quetiapine",
    "risperidone",
    "sertraline",
    "tranylcypromine",
    "trazodone",
    "valproate",
    "venlafaxine",
    "vortioxetine",
    "zopiclone",
]
_MEDICINE = (
    r"medic\w*|meds|drugs?|tablets?|pills?|doses?|dosage|prescriptions?|regimens?|"
    r"antidepressants?|antipsychotics?|mood stabilis\w*|mood stabiliz\w*|ssris?|snris?|tricyclics?|"
    r"sedatives?|hypnotics?|benzodiazepines?|augment\w*|" + "|".join(_DRUG_NAMES)
)
_VERB_RE = re.compile(rf"\b(?:{_VERB})\b", re.IGNORECASE)
_MEDICINE_RE = re.compile(rf"\b(?:{_MEDICINE})\b", re.IGNORECASE)
# A verb is not an action when the words just before it deny it ("no more switches", "rather not
# rush to another drug"); "before starting sertraline, ask..." still starts it.
# The scope of a negation ends at punctuation ("Do not wait; start sertraline" is still an action).
_NEGATED = re.compile(
    r"(?:\b(?:not|no|never|without|nothing|rather than|instead of)|n't)\b(?:[ ]+[\w'-]+){0,3}[ ]*$", re.IGNORECASE
)
# How far after its verb a medicine may be named, in words, within the same clause; and how many
# characters either side of a verb are read for that and for a negation.
_OBJECT_WINDOW = 7
_CONTEXT_CHARS = 160
_NEGATION_REACH = 6  # a negation of up to two words, then up to three words, then the verb


def prescribing_phrase(label: str) -> str | None:
    """The words in a choice label that say it changes a medicine ("Start sertraline"), or None.

    A label reads as prescribing when a verb of prescribing that is not negated or deferred is
    followed, within a few words of the same clause, by a medicine (a drug, a dose, a tablet, an
    antidepressant...): "Start sertraline", "increase the dose", but not "Offer a referral for
    psychotherapy, and keep seeing her for her medication" nor "no more switches".
    """
    text = " ".join(label.split())
    for verb in _VERB_RE.finditer(text):
        # Only the few words either side of the verb are read, so the work stays linear in the
        # length of the label however many verbs a (malformed) label holds.
        before = text[max(0, verb.start() - _CONTEXT_CHARS) : verb.start()]
        if _NEGATED.search(" ".join(before.split(" ")[-_NEGATION_REACH:])):
            continue
        # The medicine follows the verb's first word ("bring the risperidone back down" holds it
        # inside the verb phrase; "the augmenting agent" is a noun, not an act of augmenting).
        rest = verb.group(0).split(maxsplit=1)[1:]
        clause = re.split(r"[,;:.!?]", text[verb.end() : verb.end() + _CONTEXT_CHARS], maxsplit=1)[0]
        window = " ".join([*rest, *clause.split()[:_OBJECT_WINDOW]])
        medicine = _MEDICINE_RE.search(window)
        if medicine is not None:
            return f"'{verb.group(0)}' ... '{medicine.group(0)}'"
    return None


# What a safety note must name: at least one concrete thing to check or do. Citations (source names,
# guideline numbers, "see") do not count towards its length.
_SAFETY_WORDS = re.compile(
    r"overdose|toxic|interact|monitor|suppl|dispens|quantit|licen[cs]|review|contact|side-effect|"
    r"adverse|withdraw|taper|discontinu|gradual|serotonin|suicid|self-harm|\brisk|blood|level|\becg\b|"
    r"\bqt|weight|glucose|lipid|prolactin|renal|kidney|liver|hepatic|pregnan|contracept|allerg|rash|"
    r"washout|\bdoses?\b|target|follow-up|warn|relapse|rebound",
    re.IGNORECASE,
)
_CITATION_WORDS = re.compile(
    r"^(?:see|per|bnf|nice|gmc|mhra|cg\d+|ng\d+|guidance|guideline|guidelines|section|chapter|et|al|"
    r"[\d.;,:()-]+)$",
    re.IGNORECASE,
)
MIN_SAFETY_WORDS = 8
# A reduction, stop or switch takes a drug away: the note must say how (issue 13's red team: "a stop
# without a taper plan is also a safety issue").
_COMES_DOWN = re.compile(
    r"taper|gradual|step|withdraw|discontinu|rebound|relapse|abrupt|washout|cross-taper|a gap\b|"
    r"stopping one|stops and what starts",
    re.IGNORECASE,
)
_TAKES_AWAY_VERB = {
    PrescribingAction.REDUCE: "reduces",
    PrescribingAction.STOP: "stops",
    PrescribingAction.SWITCH: "switches",
}
TAKES_A_DRUG_AWAY = frozenset(_TAKES_AWAY_VERB)


def safety_note_gaps(text: str, action: PrescribingAction | None) -> list[tuple[str, str]]:
    """What a safety note fails to say, as (message, hint) pairs; empty when it says enough.

    The note must have at least `MIN_SAFETY_WORDS` words besides its citations and name something
    concrete to check or do (toxicity, interactions, monitoring, supply, review...); for a choice
    that reduces, stops or switches a medicine it must also say how the drug comes down (a taper,
    a gradual reduction, a cross-taper or gap, the withdrawal or rebound to watch for).
    """
    gaps: list[tuple[str, str]] = []
    plain = re.sub(r"\([^)]*\)", " ", text)
    words = [w for w in re.findall(r"[\w'-]+", plain) if not _CITATION_WORDS.match(w)]
    if len(words) < MIN_SAFETY_WORDS or not _SAFETY_WORDS.search(plain):
        gaps.append(
            (
                f"the safety note does not say what to check: it needs at least {MIN_SAFETY_WORDS} words "
                "besides its citations, naming a concrete check",
                "say what a competent prescriber checks or does at this point (toxicity in overdose, "
                "interactions, monitoring, supply, review), then cite where it comes from",
            )
        )
    if action in TAKES_A_DRUG_AWAY and not _COMES_DOWN.search(text):
        gaps.append(
            (
                f"a choice that {_TAKES_AWAY_VERB[action]} a medicine needs a plan for how the drug comes "
                "down, and its safety note gives none",
                "say how: a gradual taper, a cross-taper or a gap, and what withdrawal, rebound or relapse "
                "to watch for",
            )
        )
    return gaps
