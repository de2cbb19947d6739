"""Item audit: the surface cues a test-wise candidate can use to answer without knowing the subject.

Single-best-answer items are checked against the item-writing flaws that reward *testwiseness*
rather than knowledge, as catalogued by the NBME item-writing manual (Paniagua MA, Swygert KA,
eds. *Constructing Written Test Questions for the Basic and Clinical Sciences*, 4th ed.,
National Board of Medical Examiners, 2016: "Technical item flaws" — long correct answer, absolute
terms, word repeats, logical cues; "irrelevant difficulty" — none of the above, negatively phrased
lead-ins) and by Haladyna TM, Downing SM, Rodriguez MC (2002) "A review of multiple-choice
item-writing guidelines for classroom assessment", *Applied Measurement in Education* 15:309-333
(options homogeneous in length and content; plausible distractors; no clues to the key).

What is measured, per item (all on option *texts*, case-folded):

* **key longest**: the key has at least as many characters as every distractor (ties count).
* **key-length ratio**: the key's characters over the mean characters of the distractors.
* **hedge/absolute asymmetry**: the key alone is hedged ("may", "often", ...), or some distractor
  uses an absolute term ("always", "never", "only", ...) while the key uses none.
* **stem echo**: a content word of the stem (four letters or more, compared on its first six
  letters) appears in the key and in no distractor (NBME's "word repeats" clue).
* **straw man**: a distractor no real prescriber would defend, recognised by the markers in
  :data:`STRAW_MAN_MARKERS` (dismissing, blaming, punishing or abandoning the patient; declaring a
  topic irrelevant or without any evidence). Such a distractor is removed by common sense.
* **reflective-vocabulary cue**: the key has more words of relational virtue ("reflect",
  "explore", "supervision", "curious", ...) than any distractor — in this course the cue that
  says "pick the thoughtful-sounding one".
* **vignette**: a stem of 30 words or more that describes a person in a clinical situation and
  does not ask what a source says (the NBME's clinical-vignette item that asks the candidate to
  apply a concept, rather than recall a text).
* **lead-in**: the stem ends with a question (NBME's "cover the options" rule: a closed lead-in)
  and is not negatively phrased ("NOT", "EXCEPT", "least").
* **rationale leak** (summative items): a distractor's rationale names the key's text, so a
  learner shown only the rationale of their own wrong choice would learn the key.

A **cue-only strategy** (:func:`cue_pick`) answers every item from these cues alone; its expected
score (ties split evenly) is the bank's exposure to testwiseness. Chance is ``1 / options``.

:data:`THRESHOLDS` are the limits ``python -m course validate --strict`` enforces for the
summative bank and for the formative checks; each is documented where it is defined.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from course.schema import QuizItem, QuizMode

# --- lexicons (whole words, case-folded) -------------------------------------------------------------

HEDGES = frozenset(
    [
        "may",
        "might",
        "could",
        "can",
        "perhaps",
        "possibly",
        "possible",
        "often",
        "usually",
        "sometimes",
        "tend",
        "tends",
        "likely",
        "probably",
        "partly",
        "partially",
        "seem",
        "seems",
        "some",
    ]
)
ABSOLUTES = frozenset(
    [
        "always",
        "never",
        "only",
        "must",
        "cannot",
        "can't",
        "invariably",
        "completely",
        "entirely",
        "certainly",
        "guarantee",
        "guarantees",
        "guaranteed",
        "impossible",
        "all",
        "every",
        "none",
        "nothing",
        "nobody",
        "solely",
        "purely",
        "exclusively",
        "wholly",
        "no",
    ]
)
# Prefixes of words that sound reflective and relational: the course's own "virtue" vocabulary.
REFLECTIVE_PREFIXES = (
    "reflect",
    "explor",
    "curio",
    "supervis",
    "wonder",
    "understand",
    "meaning",
    "relationship",
    "relational",
    "feeling",
    "acknowledg",
    "empath",
    "listen",
    "formulat",
    "collaborat",
    "alliance",
)
# A distractor carrying one of these is a caricature a candidate rejects on common sense alone.
STRAW_MAN_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        ("ignores the patient", r"\bignor(e|es|ed|ing)\b"),
        ("dismisses", r"\bdismiss"),
        ("sets the feeling aside", r"\bset\b[^.]{0,30}\baside\b"),
        ("refuses to engage", r"\brefus\w* to (see|discuss|talk|listen|engage|consider)"),
        ("stops contact", r"\bstop\w* (taking|returning|answering) (her|his|their|the patient's) calls"),
        ("discharges the patient", r"\bdischarg"),
        ("blames the patient", r"\bblam(e|es|ed|ing)\b"),
        ("punishes", r"\bpunish"),
        ("lectures", r"\blectur"),
        ("threatens", r"\bthreaten"),
        ("tells them to pull together", r"\bpull (herself|himself|themselves|yourself) together\b"),
        ("declares no evidence", r"\bno evidence\b"),
        ("declares it irrelevant", r"\b(irrelevant|nothing to do with|pointless|waste of time)\b"),
        ("promises a guarantee", r"\bguarantee"),
    )
)
_STOPWORDS = frozenset(
    [
        "that",
        "this",
        "with",
        "what",
        "which",
        "when",
        "where",
        "while",
        "from",
        "into",
        "onto",
        "than",
        "then",
        "them",
        "they",
        "their",
        "there",
        "these",
        "those",
        "have",
        "has",
        "had",
        "been",
        "being",
        "were",
        "will",
        "would",
        "should",
        "shall",
        "about",
        "after",
        "before",
        "because",
        "between",
        "does",
        "doing",
        "done",
        "each",
        "most",
        "more",
        "much",
        "such",
        "very",
        "also",
        "only",
        "just",
        "over",
        "under",
        "your",
        "yours",
        "youre",
        "here",
        "some",
        "other",
        "another",
        "both",
        "either",
        "neither",
        "itself",
        "himself",
        "herself",
        "themselves",
        "said",
        "says",
        "tell",
        "tells",
        "told",
        "asks",
        "asked",
        "following",
        "best",
        "likely",
        "next",
        "first",
    ]
)
_WORD = re.compile(r"[a-z][a-z'’-]*")
_PERSON = re.compile(
    r"\b\d{1,3}-year-old\b|\b(mr|ms|mrs|miss|dr)\b|\byou\b|\b(patient|man|woman|trainee|registrar|"
    r"pharmacist|gp|nurse|prescriber|consultant|psychiatrist|student|mother|father|son|daughter)s?\b|\b(he|she|his|her)\b"
)
_SOURCE_RECALL = re.compile(
    r"\baccording to\b|\b(article|authors?|paper|konstantinidou|kinghorn|main|balint|mintz|maltsberger)\b"
    r"[^?]{0,80}\b(say|says|said|report|reports|reported|describe|describes|described|argue|argues|argued|"
    r"state|states|stated|claim|claims|list|lists|listed|name|names|named|conclude|concludes|concluded|"
    r"warn|warns|warned|cite|cites|cited|call|calls|called|define|defines|defined)\b"
)
# A lead-in that asks for the exception: "EXCEPT", "least", or "which ... not" (a conditional such as
# "if he does not notice ..., what ...?" is not negative phrasing).
_NEGATIVE_LEAD_IN = re.compile(r"\bexcept\b|\bleast\b|\bwhich\b[^?]*\b(not|never)\b")
VIGNETTE_MIN_WORDS = 30
STEM_PREFIX = 6  # compare content words on their first six letters: prescriber ~ prescribing


def words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD.findall(text.casefold())]


def _root(word: str) -> str:
    """A crude stem: drop a plural or possessive ending, then keep the first six letters."""
    for ending in ("'s", "’s", "s"):
        if word.endswith(ending) and len(word) > len(ending) + 3:
            word = word[: -len(ending)]
            break
    return word[:STEM_PREFIX]


def content_roots(text: str) -> set[str]:
    """Roots of the content words of a text: four letters or more, not a stop word."""
    return {_root(w) for w in words(text) if len(w) >= 4 and w not in _STOPWORDS}


@dataclass(frozen=True)
class Flaw:
    message: str
    hint: str

    def __str__(self) -> str:
        return self.message


# --- per option and per item -------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCues:
    key: str
    chars: int
    hedged: bool
    absolute: bool
    reflective: int  # how many reflective-vocabulary words
    echo: frozenset[str]  # stem content roots it repeats
    echo_words: tuple[tuple[str, str], ...]  # (root, the word as written) for each repeated root
    straw_man: str | None  # the marker's label, when it is one


def option_cues(key: str, text: str, stem_roots: set[str]) -> OptionCues:
    found = words(text)
    return OptionCues(
        key=key,
        chars=len(" ".join(text.split())),
        hedged=any(w in HEDGES for w in found),
        absolute=any(w in ABSOLUTES for w in found),
        reflective=sum(1 for w in found if w.startswith(REFLECTIVE_PREFIXES)),
        echo=frozenset(content_roots(text) & stem_roots),
        echo_words=tuple(
            dict(
                (_root(w), w) for w in reversed(found) if len(w) >= 4 and w not in _STOPWORDS and _root(w) in stem_roots
            ).items()
        ),
        straw_man=next((label for label, rx in STRAW_MAN_MARKERS if rx.search(text.casefold())), None),
    )


def _share_of_best(scores: dict[str, float], answer: str) -> float:
    """The chance of picking the key when choosing uniformly among the top-scoring options."""
    top = max(scores.values())
    best = [k for k, s in scores.items() if s == top]
    return 1.0 / len(best) if answer in best else 0.0


@dataclass(frozen=True)
class ItemAudit:
    item_id: str
    mode: str  # "summative" or "formative"
    answer: str
    options: tuple[OptionCues, ...]
    stem_words: int
    vignette: bool
    source_recall: bool
    closed_lead_in: bool
    negative_lead_in: bool
    rationale_leaks: tuple[str, ...]  # distractor keys whose rationale names the key's text

    @property
    def key(self) -> OptionCues:
        return next(o for o in self.options if o.key == self.answer)

    @property
    def distractors(self) -> tuple[OptionCues, ...]:
        return tuple(o for o in self.options if o.key != self.answer)

    @property
    def chance(self) -> float:
        return 1.0 / len(self.options)

    @property
    def key_longest(self) -> bool:
        return self.key.chars >= max(d.chars for d in self.distractors)

    @property
    def key_shortest(self) -> bool:
        return self.key.chars <= min(d.chars for d in self.distractors)

    @property
    def key_length_ratio(self) -> float:
        mean = sum(d.chars for d in self.distractors) / len(self.distractors)
        return self.key.chars / mean if mean else 1.0

    @property
    def hedge_cue(self) -> str | None:
        """Why the key stands out by hedging or by the absence of absolutes, or None."""
        if self.key.hedged and not any(d.hedged for d in self.distractors):
            return "only the key is hedged"
        absolute = [d.key for d in self.distractors if d.absolute]
        if absolute and not self.key.absolute:
            return f"absolute wording in distractor {', '.join(absolute)} but not in the key"
        return None

    @property
    def stem_echo(self) -> tuple[str, ...]:
        """Stem words repeated in the key and in no distractor (as the key spells them)."""
        others: set[str] = set().union(*(d.echo for d in self.distractors))
        return tuple(sorted(word for root, word in self.key.echo_words if root not in others))

    @property
    def straw_men(self) -> tuple[str, ...]:
        return tuple(f"{d.key} ({d.straw_man})" for d in self.distractors if d.straw_man)

    @property
    def reflective_cue(self) -> bool:
        return self.key.reflective > max(d.reflective for d in self.distractors)

    def flaws(self) -> list[Flaw]:
        """Item-level flaws, each one a reason to rewrite the item (empty when it is clean)."""
        found = []
        if self.hedge_cue:
            found.append(
                Flaw(
                    f"hedge/absolute cue: {self.hedge_cue}",
                    "word every option with the same degree of certainty; drop 'always', 'never', 'only'",
                )
            )
        if self.stem_echo:
            found.append(
                Flaw(
                    f"the key repeats stem words no distractor uses: {', '.join(self.stem_echo)}",
                    "reword the key, or let distractors share the word",
                )
            )
        if self.straw_men:
            found.append(
                Flaw(
                    f"straw-man distractor: {'; '.join(self.straw_men)}",
                    "replace it with an action or reading a real prescriber might defend",
                )
            )
        if not self.closed_lead_in:
            found.append(
                Flaw(
                    "the lead-in is not a question (cover-the-options rule)",
                    "end the stem with a question that can be answered before reading the options",
                )
            )
        if self.negative_lead_in:
            found.append(
                Flaw("the lead-in is negatively phrased (NOT/EXCEPT/least)", "ask for the single best option instead")
            )
        if self.rationale_leaks:
            found.append(
                Flaw(
                    f"the rationale of option {', '.join(self.rationale_leaks)} names the key",
                    "a learner shown only this rationale after a failed attempt would learn the key: explain the "
                    "option's own flaw",
                )
            )
        return found

    @cached_property
    def strategy_scores(self) -> dict[str, float]:
        """Expected score (0..1) of each cue-only strategy on this item."""
        opts = self.options
        longest = {o.key: float(o.chars) for o in opts}
        hedge = {o.key: (1.0 if o.hedged else 0.0) - (1.0 if o.absolute else 0.0) for o in opts}
        reflective = {o.key: float(o.reflective) for o in opts}
        echo = {o.key: float(len(o.echo)) for o in opts}
        scores = {"test-wise": _share_of_best(cue_pick_scores(self), self.answer)}
        for name, values in (("longest", longest), ("hedged", hedge), ("reflective", reflective), ("stem echo", echo)):
            scores[name] = _share_of_best(values, self.answer)
            scores[REVERSED[name]] = _share_of_best({k: -v for k, v in values.items()}, self.answer)
        return scores

    def ordered_score(self, order: Sequence[str], signs: Sequence[int] = (1, 1, 1, 1)) -> float:
        return _share_of_best(cue_pick_scores(self, order, signs), self.answer)


CUES = ("hedged", "reflective", "longest", "stem echo")
TEST_WISE_ORDER = CUES  # the order the test-wise strategy applies them, after striking options out


def cue_pick_scores(
    item: ItemAudit, order: Sequence[str] = TEST_WISE_ORDER, signs: Sequence[int] = (1, 1, 1, 1)
) -> dict[str, float]:
    """The combined cue-only strategy: what a test-wise candidate with no subject knowledge does.

    Strike out straw men and options with absolute terms (unless every option has one); among the
    rest prefer a hedged option, then the one with most reflective vocabulary, then the longest,
    then the one repeating most stem words (the default ``order``). Encoded as a lexicographic
    score so that ties are explicit. On the old 72-item bank this order scored best of the 24.
    ``signs`` turn a cue round (-1: prefer the *shortest*, the unhedged, ...), for a candidate who
    has learnt that a bank avoids the usual cues.
    """
    all_absolute = all(o.absolute for o in item.options)
    lengths = sorted({p.chars for p in item.options})
    scores = {}
    for o in item.options:
        struck = o.straw_man is not None or (o.absolute and not all_absolute)
        features = {
            "hedged": 1 if o.hedged else 0,
            "reflective": min(o.reflective, 99),
            "longest": lengths.index(o.chars),
            "stem echo": min(len(o.echo), 99),
        }
        value = 0 if struck else 1
        for cue, sign in zip(order, signs, strict=True):
            value = value * 100 + (features[cue] if sign > 0 else 99 - features[cue])
        scores[o.key] = float(value)
    return scores


def audit_item(item: QuizItem) -> ItemAudit:
    stem = " ".join(item.stem.split())
    roots = content_roots(stem)
    options = tuple(option_cues(o.key, o.text, roots) for o in item.options)
    lead_in = re.split(r"(?<=[.!])\s+", stem)[-1].casefold()
    key_text = next(o.text for o in item.options if o.key == item.answer).casefold().strip(" .")
    leaks: tuple[str, ...] = ()
    if QuizMode.SUMMATIVE in item.modes and len(key_text.split()) <= 4:
        leaks = tuple(o.key for o in item.options if o.key != item.answer and key_text in o.rationale.casefold())
    recall = bool(_SOURCE_RECALL.search(stem.casefold()))
    count = len(stem.split())
    return ItemAudit(
        item_id=item.id,
        mode=QuizMode.SUMMATIVE.value if QuizMode.SUMMATIVE in item.modes else QuizMode.FORMATIVE.value,
        answer=item.answer,
        options=options,
        stem_words=count,
        vignette=count >= VIGNETTE_MIN_WORDS and bool(_PERSON.search(stem.casefold())) and not recall,
        source_recall=recall,
        closed_lead_in=stem.rstrip().endswith("?"),
        negative_lead_in=bool(_NEGATIVE_LEAD_IN.search(lead_in)),
        rationale_leaks=leaks,
    )


# --- the bank ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    name: str
    limit: float
    kind: str  # "max" or "min"
    why: str

    def breached(self, value: float) -> bool:
        return value > self.limit if self.kind == "max" else value < self.limit


# The limits `validate --strict` enforces on a bank (summative items; formative checks separately).
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "key longest share",
        0.25,
        "max",
        "with five equally long options the key is longest in 1 item in 5 by chance; 0.25 allows a "
        "little noise (the old bank: 34 of 72)",
    ),
    Threshold(
        "key shortest share",
        0.25,
        "max",
        "the same limit the other way round: a bank that avoids long keys teaches 'pick the shortest'",
    ),
    Threshold(
        "mean key-length ratio",
        1.10,
        "max",
        "the key is on average no more than 10% longer than the mean distractor (Haladyna et al. 2002: "
        "keep options similar in length)",
    ),
    Threshold(
        "reflective cue share",
        0.25,
        "max",
        "the key out-scores every distractor on reflective vocabulary no more often than length would by chance",
    ),
    Threshold(
        "best single cue above chance",
        0.10,
        "max",
        "no one cue, used either way round (longest or shortest, hedged or not, most or least reflective "
        "or stem-echoing), scores more than 10 percentage points above chance",
    ),
    Threshold(
        "cue-only score above chance",
        0.10,
        "max",
        "the test-wise strategy scores at most 10 percentage points above chance (the old bank: about 53% "
        "against a chance of 20%)",
    ),
)


@dataclass(frozen=True)
class BankAudit:
    name: str
    items: tuple[ItemAudit, ...] = field(default=())

    def _share(self, flags: Iterable[bool]) -> float:
        values = list(flags)
        return sum(values) / len(values) if values else 0.0

    @property
    def size(self) -> int:
        return len(self.items)

    @property
    def key_longest(self) -> int:
        return sum(i.key_longest for i in self.items)

    @property
    def key_longest_share(self) -> float:
        return self._share(i.key_longest for i in self.items)

    @property
    def key_shortest(self) -> int:
        return sum(i.key_shortest for i in self.items)

    @property
    def key_shortest_share(self) -> float:
        return self._share(i.key_shortest for i in self.items)

    @property
    def mean_key_length_ratio(self) -> float:
        return sum(i.key_length_ratio for i in self.items) / self.size if self.items else 1.0

    @property
    def hedge_cues(self) -> int:
        return sum(1 for i in self.items if i.hedge_cue)

    @property
    def stem_echoes(self) -> int:
        return sum(1 for i in self.items if i.stem_echo)

    @property
    def straw_man_items(self) -> int:
        return sum(1 for i in self.items if i.straw_men)

    @property
    def reflective_cue_share(self) -> float:
        return self._share(i.reflective_cue for i in self.items)

    @property
    def vignette_share(self) -> float:
        return self._share(i.vignette for i in self.items)

    @property
    def source_recall(self) -> int:
        return sum(1 for i in self.items if i.source_recall)

    @property
    def chance(self) -> float:
        return sum(i.chance for i in self.items) / self.size if self.items else 0.0

    def strategy_score(self, strategy: str) -> float:
        """Expected proportion correct of one cue-only strategy over the bank (0..1)."""
        return sum(i.strategy_scores[strategy] for i in self.items) / self.size if self.items else 0.0

    @property
    def cue_only_score(self) -> float:
        return self.strategy_score("test-wise")

    def tuned_cue_score(self) -> tuple[float, tuple[str, ...]]:
        """The best any ordering and direction of the cues scores here: a candidate who knew the bank's habits.

        Returns the score and the cues in the order applied, each prefixed "not " where it is
        turned round (e.g. "not longest": prefer the shortest).
        """
        if not self.items:
            return 0.0, TEST_WISE_ORDER
        best: tuple[float, tuple[str, ...]] = (-1.0, TEST_WISE_ORDER)
        for order in itertools.permutations(CUES):
            for signs in itertools.product((1, -1), repeat=len(CUES)):
                value = sum(i.ordered_score(order, signs) for i in self.items) / self.size
                if value > best[0]:
                    named = tuple(c if sign > 0 else f"not {c}" for c, sign in zip(order, signs, strict=True))
                    best = (value, named)
        return best

    def best_single_cue(self) -> tuple[str, float]:
        """The single cue, in either direction, that scores best on this bank."""
        return max(((name, self.strategy_score(name)) for name in SINGLE_CUES), key=lambda pair: pair[1])

    def statistics(self) -> dict[str, float]:
        return {
            "key longest share": self.key_longest_share,
            "key shortest share": self.key_shortest_share,
            "mean key-length ratio": self.mean_key_length_ratio,
            "reflective cue share": self.reflective_cue_share,
            "cue-only score above chance": self.cue_only_score - self.chance,
            "best single cue above chance": self.best_single_cue()[1] - self.chance,
        }

    def breaches(self) -> list[tuple[Threshold, float]]:
        """Each threshold the bank exceeds, with the bank's value (empty for an empty bank)."""
        if not self.items:
            return []
        stats = self.statistics()
        return [(t, stats[t.name]) for t in THRESHOLDS if t.breached(stats[t.name])]


# Each single cue, used both ways round: a bank that avoids a cue in its keys teaches the opposite cue.
REVERSED = {"longest": "shortest", "hedged": "unhedged", "reflective": "least reflective", "stem echo": "least echo"}
SINGLE_CUES = tuple(name for pair in REVERSED.items() for name in pair)
STRATEGIES = (*SINGLE_CUES, "test-wise")


def audit_bank(name: str, items: Sequence[QuizItem]) -> BankAudit:
    return BankAudit(name, tuple(audit_item(item) for item in items))


def audit_course_items(items: Iterable[QuizItem]) -> tuple[BankAudit, BankAudit]:
    """The summative bank and the formative checks, audited separately (they are used separately)."""
    listed = list(items)
    summative = [i for i in listed if QuizMode.SUMMATIVE in i.modes]
    formative = [i for i in listed if QuizMode.SUMMATIVE not in i.modes]
    return audit_bank("summative bank", summative), audit_bank("formative checks", formative)


def report_lines(bank: BankAudit, *, per_item: bool = True) -> list[str]:
    """The audit as text: one line per item, then the bank's statistics against the thresholds."""
    lines: list[str] = []
    if per_item:
        lines.append(
            f"{'item':<28} {'opts':>4} {'longest':>7} {'ratio':>5} {'hedge':>5} {'echo':>4} "
            f"{'straw':>5} {'refl':>4} {'vign':>4} {'cue':>5}  flaws"
        )
        for i in bank.items:
            yes = {True: "yes", False: "-"}
            lines.append(
                f"{i.item_id:<28} {len(i.options):>4} {yes[i.key_longest]:>7} {i.key_length_ratio:>5.2f} "
                f"{yes[bool(i.hedge_cue)]:>5} {yes[bool(i.stem_echo)]:>4} {yes[bool(i.straw_men)]:>5} "
                f"{yes[i.reflective_cue]:>4} {yes[i.vignette]:>4} {i.strategy_scores['test-wise']:>5.2f}  "
                + "; ".join(str(f) for f in i.flaws())
            )
        lines.append("")
    n = bank.size
    lines.append(f"{bank.name}: {n} items")
    if not n:
        return lines
    lines += [
        f"  key is the longest option:       {bank.key_longest} of {n} ({bank.key_longest_share:.0%})",
        f"  key is the shortest option:      {bank.key_shortest} of {n} ({bank.key_shortest_share:.0%})",
        f"  mean key-length ratio:           {bank.mean_key_length_ratio:.2f} (key chars / mean distractor chars)",
        f"  hedge/absolute asymmetry:        {bank.hedge_cues} items",
        f"  stem echo in the key:            {bank.stem_echoes} items",
        f"  items with a straw-man option:   {bank.straw_man_items}",
        f"  reflective-vocabulary cue:       {bank.reflective_cue_share:.0%} of items",
        f"  clinical vignette stems:         {bank.vignette_share:.0%} ({bank.source_recall} ask what a source says)",
        f"  chance score:                    {bank.chance:.1%}",
    ]
    for strategy in STRATEGIES:
        label = "cue-only (test-wise) score:" if strategy == "test-wise" else f"strategy '{strategy}':"
        lines.append(f"  {label:<33}{bank.strategy_score(strategy):.1%}")
    tuned, order = bank.tuned_cue_score()
    lines.append(f"  {'best ordering of the cues:':<33}{tuned:.1%} ({' > '.join(order)})")
    for threshold in THRESHOLDS:
        value = bank.statistics()[threshold.name]
        verdict = "EXCEEDS" if threshold.breached(value) else "ok"
        sign = "<=" if threshold.kind == "max" else ">="
        lines.append(f"  threshold {threshold.name}: {value:.2f} {sign} {threshold.limit:.2f} {verdict}")
    return lines
