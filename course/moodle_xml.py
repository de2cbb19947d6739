"""Question banks as Moodle XML (Moodle Docs, "Moodle XML format"), for import into a Moodle question bank.

One ``category`` question per bank (``$course$/top/Relational prescribing/<bank id>``, with the
bank's title as its description), then a ``multichoice`` question per item: single answer,
shuffled, numbered a-e, the key with ``fraction="100"`` and every other option ``0``, and each
option's rationale as its ``feedback``. The item id is the question's name and ID number; modes,
difficulty and concepts are its tags. Text is Markdown, as in the content files. The document is
built with ElementTree, so every character is escaped as XML requires.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree import ElementTree as ET

from course.gift import CATEGORY_ROOT, tags
from course.schema import QuizBank, QuizItem

TEXT_FORMAT = "markdown"


def _text(parent: ET.Element, tag: str, text: str, *, fmt: str | None = TEXT_FORMAT) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = text
    return element


def _value(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = value


def _question(quiz: ET.Element, item: QuizItem) -> None:
    question = ET.SubElement(quiz, "question", {"type": "multichoice"})
    _text(question, "name", item.id, fmt=None)
    _text(question, "questiontext", item.stem)
    locator = f", {item.source.locator}" if item.source.locator else ""
    _text(question, "generalfeedback", f"Source: {item.source.ref}{locator}.")
    for tag, value in (
        ("defaultgrade", "1"),
        ("penalty", "0"),
        ("hidden", "0"),
        ("idnumber", item.id),
        ("single", "true"),
        ("shuffleanswers", "true"),
        ("answernumbering", "abc"),
    ):
        _value(question, tag, value)
    for option in item.options:
        answer = ET.SubElement(
            question, "answer", {"fraction": "100" if option.key == item.answer else "0", "format": TEXT_FORMAT}
        )
        ET.SubElement(answer, "text").text = option.text
        _text(answer, "feedback", option.rationale)
    labels = ET.SubElement(question, "tags")
    for tag in tags(item):
        _text(labels, "tag", tag, fmt=None)


def to_moodle_xml(banks: Iterable[QuizBank]) -> str:
    """Every bank as one Moodle XML document (UTF-8 text with its XML declaration)."""
    quiz = ET.Element("quiz")
    for bank in banks:
        category = ET.SubElement(quiz, "question", {"type": "category"})
        _text(category, "category", f"{CATEGORY_ROOT}/{bank.id}", fmt=None)
        _text(category, "info", bank.title, fmt="markdown")
        for item in bank.items:
            _question(quiz, item)
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


__all__ = ["to_moodle_xml"]
