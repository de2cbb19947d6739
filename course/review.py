"""An assessment review that teaches: results by learning objective, each missed question pointing at
the module section that teaches it.

It reveals no more than which questions were missed and where to read: never an answer key, an
option or a rationale, so it can be shown after any submitted attempt whatever the assessment's
review rules allow for the questions themselves.

Where a question is taught: its objectives belong to modules (module front matter); within those
modules the section is the one whose heading and text best match the question — its concepts'
glossary names and aliases (3 points in the heading, 1 in the text), and a "Box N" or similar
locator from its source named in the text (2 points). Summary sections ("Key points") and worked
examples are chosen only when no teaching section matches. Failing all that, the teaching section
sharing most of the question's longer words; with no match at all, the link is to the module itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from course.content import Course, Module
from course.markdown import headings
from course.schema import QuizItem

_SUMMARY_SECTIONS = ("key-points", "worked-example")
_LOCATOR = re.compile(r"\b(Box|Table|Figure|Case vignette)\s+\d+", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    module_id: str
    module_title: str
    anchor: str | None  # None: the module as a whole
    heading: str | None

    @property
    def url(self) -> str:
        return f"/modules?id={self.module_id}" + (f"#{self.anchor}" if self.anchor else "")

    @property
    def label(self) -> str:
        return f"{self.module_title}: {self.heading}" if self.heading else self.module_title


@dataclass(frozen=True)
class Missed:
    number: int  # the question's position on the paper, from 1
    section: Section | None


@dataclass(frozen=True)
class ObjectiveResult:
    objective_id: str
    text: str
    module_title: str
    correct: int
    total: int
    missed: tuple[Missed, ...]


def _module_of_objective(course: Course) -> dict[str, tuple[Module, str]]:
    return {o.id: (m, o.text) for m in course.modules.values() for o in m.meta.objectives}


def _sections(module: Module) -> list[tuple[str, str, str]]:
    """(anchor, heading, text) of each level-2 section, in order."""
    found = [h for h in headings(module.body) if h.level == 2]
    parts = re.split(r"(?m)^## .*$", module.body)[1:]
    return [(h.anchor, h.title, text) for h, text in zip(found, parts, strict=False)]


def _score(course: Course, item: QuizItem, heading: str, text: str) -> int:
    names: list[str] = []
    for concept in item.concepts:
        term = course.glossary.get(concept)
        if term is not None:
            names += [term.term, *term.aliases]
    score = 0
    for name in names:
        pattern = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
        if pattern.search(heading):
            score += 3
        elif pattern.search(text):
            score += 1
    locators = {m.group(0).lower() for m in _LOCATOR.finditer(item.source.locator or "")}
    score += 2 * sum(1 for locator in locators if locator in f"{heading}\n{text}".lower())
    return score


# Content never changes at run time: a section found once per content version and item is kept.
_found: dict[tuple[str, str], Section | None] = {}


def teaching_section(course: Course, item: QuizItem) -> Section | None:
    """The module section that teaches this question (see the module notes), or None."""
    key = (course.version, item.id)
    if key not in _found:
        _found[key] = _find_section(course, item)
    return _found[key]


def _find_section(course: Course, item: QuizItem) -> Section | None:
    owners = _module_of_objective(course)
    modules = list(dict.fromkeys(owners[o][0].id for o in item.objectives if o in owners))
    if item.module and item.module in course.modules and item.module not in modules:
        modules.insert(0, item.module)
    if not modules:
        return None
    best: tuple[int, int, int, int, Section] | None = None
    for rank, module_id in enumerate(modules):
        module = course.modules[module_id]
        for position, (anchor, heading, text) in enumerate(_sections(module)):
            points = _score(course, item, heading, text)
            if points == 0:
                continue
            teaching = 0 if anchor.startswith(_SUMMARY_SECTIONS) else 1
            key = (teaching, points, -rank, -position)
            if best is None or key > best[:4]:
                best = (*key, Section(module_id, module.meta.title, anchor, heading))
    if best is not None:
        return best[4]
    by_words = _by_stem_words(course, item, modules)
    if by_words is not None:
        return by_words
    first = course.modules[modules[0]]
    return Section(first.id, first.meta.title, None, None)


def _by_stem_words(course: Course, item: QuizItem, modules: list[str]) -> Section | None:
    """The fallback: the teaching section sharing most of the stem's longer words (7+ letters)."""
    words = {w.lower() for w in re.findall(r"[A-Za-z]{7,}", item.stem)}
    best: tuple[int, int, int, Section] | None = None
    for rank, module_id in enumerate(modules):
        module = course.modules[module_id]
        for position, (anchor, heading, text) in enumerate(_sections(module)):
            if anchor.startswith(_SUMMARY_SECTIONS):
                continue
            found = set(re.findall(r"[a-z]{7,}", f"{heading}\n{text}".lower()))
            key = (len(words & found), -rank, -position)
            if key[0] and (best is None or key > best[:3]):
                best = (*key, Section(module_id, module.meta.title, anchor, heading))
    return best[3] if best is not None else None


def by_objective(course: Course, paper: list[str], answers_correct: Mapping[str, bool]) -> list[ObjectiveResult]:
    """Per objective: how many of its questions were right, and where to read about those missed.

    ``paper`` is the attempt's item ids in the order shown; ``answers_correct`` says, per item id,
    whether the learner's saved answer was right (an item absent from it was not answered: missed).
    A question that tests two objectives counts under both. Objectives are listed in course order.
    """
    owners = _module_of_objective(course)
    items = course.items()
    tally: dict[str, tuple[int, int, list[Missed]]] = {}
    for number, item_id in enumerate(paper, start=1):
        item = items.get(item_id)
        if item is None:
            continue
        right = answers_correct.get(item_id, False)
        for objective in item.objectives:
            correct, total, missed = tally.get(objective, (0, 0, []))
            if not right:
                missed = [*missed, Missed(number, teaching_section(course, item))]
            tally[objective] = (correct + int(right), total + 1, missed)
    order = {o: i for i, o in enumerate(owners)}
    results = []
    for objective, (correct, total, missed) in sorted(tally.items(), key=lambda kv: order.get(kv[0], len(order))):
        module, text = owners.get(objective, (None, objective))
        results.append(
            ObjectiveResult(objective, text, module.meta.title if module else "", correct, total, tuple(missed))
        )
    return results


__all__ = ["Missed", "ObjectiveResult", "Section", "by_objective", "teaching_section"]
