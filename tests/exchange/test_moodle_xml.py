"""Moodle XML export: every bank item as a single-answer multichoice question with per-option feedback."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from course import gift
from course.__main__ import main
from course.moodle_xml import to_moodle_xml
from course.schema import QuizBank
from tests.exchange.test_gift import banks, tricky_bank


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return found.text or ""


def test_every_item_becomes_a_multichoice_question_with_feedback_on_each_option() -> None:
    exported = banks()
    quiz = ET.fromstring(to_moodle_xml(exported).encode("utf-8"))
    assert quiz.tag == "quiz"
    questions = list(quiz)
    expected: list[tuple[str, object]] = []
    for bank in exported:
        expected.append(("category", bank))
        expected.extend(("multichoice", item) for item in bank.items)
    assert [q.get("type") for q in questions] == [kind for kind, _ in expected]
    for question, (kind, thing) in zip(questions, expected, strict=True):
        if kind == "category":
            assert isinstance(thing, QuizBank)
            assert _text(question, "category/text") == f"{gift.CATEGORY_ROOT}/{thing.id}"
            assert _text(question, "info/text") == thing.title
            continue
        item = thing
        assert not isinstance(item, QuizBank)
        assert _text(question, "name/text") == item.id == _text(question, "idnumber")
        assert _text(question, "questiontext/text") == item.stem
        assert question.find("questiontext").get("format") == "markdown"  # type: ignore[union-attr]
        assert _text(question, "single") == "true" and _text(question, "answernumbering") == "abc"
        answers = question.findall("answer")
        assert [(_text(a, "text"), _text(a, "feedback/text"), a.get("fraction")) for a in answers] == [
            (o.text, o.rationale, "100" if o.key == item.answer else "0") for o in item.options
        ], item.id
        assert [_text(t, "text") for t in question.findall("tags/tag")] == gift.tags(item)
        assert item.source.ref in _text(question, "generalfeedback/text")


def test_special_characters_are_escaped_and_come_back_unchanged() -> None:
    text = to_moodle_xml([tricky_bank()])
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "{total: 10 mg}" in text and "&lt;" not in tricky_bank().items[0].stem
    [_, question] = list(ET.fromstring(text.encode("utf-8")))
    item = tricky_bank().items[0]
    assert _text(question, "questiontext/text") == item.stem
    assert [_text(a, "feedback/text") for a in question.findall("answer")] == [o.rationale for o in item.options]


def test_the_command_writes_moodle_xml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bank.xml"
    assert main(["items", "export", "--format", "moodle-xml", "--out", str(out)]) == 0
    assert "questions from" in capsys.readouterr().out
    quiz = ET.parse(out).getroot()
    assert len(quiz.findall("question[@type='multichoice']")) == sum(len(b.items) for b in banks()) - 1
