"""Question banks as Moodle GIFT, both ways: export every bank, import a GIFT file as a quiz bank.

GIFT is Moodle's plain-text question format (Moodle Docs, "GIFT format"). A course item is a
multiple-choice question with exactly one right answer and feedback on every option::

    // [id:article-mcq-1] [tag:summative] [tag:difficulty-easy] [tag:countertransference]
    // relational-prescribing: {"objectives": ["psy-o1"], ...}
    ::article-mcq-1::[markdown]Which psychodynamic concept ...? {
    =Countertransference#Correct. Box 3 defines ...
    ~Unconscious conflict#A broad psychodynamic idea ...
    }

The ``[id:]`` and ``[tag:]`` comments are read by Moodle's own importer (question ID number and
tags); the ``relational-prescribing:`` comment carries what GIFT has no place for (objectives,
concepts, difficulty, source, modes, module), so a bank survives export and import unchanged.
Special characters are escaped as GIFT requires (``~ = # { } :`` and the backslash itself get a
backslash; a line break is ``\\n``); an answer or feedback that itself begins like a format marker
(``[plain]...``) is given an explicit ``[markdown]`` so it is not read as one.

Import (:func:`parse_gift`) accepts what a course bank can hold: single-best-answer questions with
3-5 options and feedback on each. Any other kind (true/false, short answer, numerical, matching,
essay, several right answers, partial credit, embedded answers, HTML text) is refused with a
message naming the question. There is no well-kept Python GIFT parser (``pygiftparser`` 1.1 was last
released in 2017 and splits text with regular expressions), so this reader is our own, written
from the Moodle documentation and checked against the ``gift-pegjs`` parser in the tests.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from course.schema import QuizBank, QuizItem

META_PREFIX = "relational-prescribing:"
CATEGORY_ROOT = "$course$/top/Relational prescribing"
_ESCAPED = "\\~=#{}:"
_FORMAT_MARKER = re.compile(r"^\[(html|markdown|plain|moodle)\]")
_KEYS = ("a", "b", "c", "d", "e")
_PLACEHOLDER = "\x00"  # stands for an escaped character while the answer block is split
# The most a single import takes. The whole course exports to about 150 kB of GIFT, so 1 MB holds a
# large bank and still bounds the work one command can be asked to do.
MAX_GIFT_BYTES = 1_000_000
# Answers in one question: the course's items have five; more than ten is not a single-best-answer
# item (NBME: options homogeneous and few enough to weigh each), and bounds the work per question.
MAX_CHOICES = 10
# One ``[id:...]`` or ``[tag:...]`` marker in a comment: no brackets or control characters inside,
# so a search never rescans the rest of the comment from every opening bracket (linear time).
_ID_MARKER = re.compile(r"\[id:([^\[\]\x00-\x1f\x7f]+)\]")
_TAG_MARKER = re.compile(r"\[tag:([^\[\]\x00-\x1f\x7f]+)\]")


class GiftError(ValueError):
    """Problems that stop an import; ``problems`` holds one sentence each, naming the question."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- export --------------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Text as GIFT source: special characters escaped, line breaks as ``\\n``, never a raw blank line."""
    out = []
    for char in text.replace("\r\n", "\n").replace("\r", "\n"):
        if char in _ESCAPED:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        else:
            out.append(char)
    return "".join(out)


def _answer_text(text: str) -> str:
    escaped = escape(text)
    return "[markdown]" + escaped if _FORMAT_MARKER.match(text) else escaped


def metadata(item: QuizItem) -> dict[str, Any]:
    """What GIFT has no field for, as JSON-ready data."""
    return {
        "objectives": list(item.objectives),
        "concepts": list(item.concepts),
        "difficulty": item.difficulty.value,
        "source": item.source.model_dump(exclude_none=True),
        "modes": [mode.value for mode in item.modes],
        "module": item.module,
        "all_of_the_above": item.all_of_the_above,
    }


def tags(item: QuizItem) -> list[str]:
    """Moodle question tags: the modes, the difficulty and the glossary concepts."""
    return [mode.value for mode in item.modes] + [f"difficulty-{item.difficulty.value}", *item.concepts]


def export_problems(item: QuizItem) -> list[str]:
    """What GIFT cannot say for this item: it has no escape for these, so they must be reworded."""
    problems = []
    for option in item.options:
        if "->" in option.text:
            problems.append(f"{item.id} option {option.key}: '->' in an answer makes GIFT read a matching question")
        if re.match(r"%-?[\d.]+%", option.text):
            problems.append(f"{item.id} option {option.key}: a leading '%n%' is read as a weight")
    return problems


def item_to_gift(item: QuizItem) -> str:
    """One question in GIFT; :class:`GiftError` when :func:`export_problems` finds something GIFT cannot say."""
    problems = export_problems(item)
    if problems:
        raise GiftError(problems)
    comment = " ".join([f"[id:{item.id}]", *(f"[tag:{tag}]" for tag in tags(item))])
    lines = [
        f"// {comment}",
        f"// {META_PREFIX} {json.dumps(metadata(item), ensure_ascii=False, sort_keys=True)}",
        f"::{escape(item.id)}::[markdown]{escape(item.stem)} {{",
    ]
    for option in item.options:
        mark = "=" if option.key == item.answer else "~"
        lines.append(f"{mark}{_answer_text(option.text)}#{_answer_text(option.rationale)}")
    lines.append("}")
    return "\n".join(lines)


def to_gift(banks: Iterable[QuizBank]) -> str:
    """Every bank as one GIFT file: a ``$CATEGORY`` per bank (named by its id), then its questions.

    Raises :class:`GiftError` listing every item GIFT cannot express (see :func:`export_problems`).
    """
    banks = list(banks)
    problems = [problem for bank in banks for item in bank.items for problem in export_problems(item)]
    if problems:
        raise GiftError(problems)
    blocks = []
    for bank in banks:
        blocks.append(f"// {bank.title}\n$CATEGORY: {CATEGORY_ROOT}/{bank.id}")
        blocks.extend(item_to_gift(item) for item in bank.items)
    return "\n\n".join(blocks) + "\n"


# --- import --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GiftQuestion:
    """One GIFT question as read: title, stem, options as (text, feedback, right), and comment data."""

    title: str | None
    stem: str
    choices: tuple[tuple[str, str | None, bool], ...]
    general_feedback: str | None = None
    id: str | None = None
    tags: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    category: str | None = None
    line: int = 1


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPED + "n":
            out.append("\n" if text[i + 1] == "n" else text[i + 1])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _mask(text: str) -> tuple[str, list[str]]:
    """Hide escape sequences, so splitting on ``= ~ # { }`` never cuts inside one."""
    masked, hidden, i = [], [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPED + "n":
            hidden.append(text[i : i + 2])
            masked.append(_PLACEHOLDER)
            i += 2
        else:
            masked.append(text[i])
            i += 1
    return "".join(masked), hidden


def _unmask(text: str, hidden: list[str], start: int) -> tuple[str, int]:
    count = text.count(_PLACEHOLDER)
    parts = text.split(_PLACEHOLDER)
    restored = parts[0] + "".join(hidden[start + n] + part for n, part in enumerate(parts[1:]))
    return restored, start + count


def _formatted(raw: str, default: str) -> tuple[str, str]:
    """(format, text): a leading ``[format]`` marker wins; plain and moodle text has its line breaks folded."""
    raw = raw.strip()
    found = _FORMAT_MARKER.match(raw)
    kind = found.group(1) if found else default
    body = (raw[found.end() :] if found else raw).strip()
    if kind in ("plain", "moodle"):  # source line breaks are spaces; an escaped \n still breaks the line
        body = re.sub(r"\s\s+", " ", body.replace("\n", " "))
    return kind, _unescape(body).strip()


def _comment_data(comments: list[str]) -> tuple[str | None, tuple[str, ...], dict[str, Any], list[str]]:
    ident: str | None = None
    found_tags: list[str] = []
    meta: dict[str, Any] = {}
    problems: list[str] = []
    for comment in comments:
        body = comment[2:].strip()
        if body.startswith(META_PREFIX):
            try:
                loaded = json.loads(body[len(META_PREFIX) :])
            except json.JSONDecodeError as exc:
                problems.append(f"its {META_PREFIX} comment is not valid JSON ({exc.msg})")
            else:
                meta = loaded if isinstance(loaded, dict) else {}
            continue
        id_match = _ID_MARKER.search(body)
        if id_match:
            ident = id_match.group(1).strip()
        found_tags += [t.strip() for t in _TAG_MARKER.findall(body)]
    return ident, tuple(found_tags), meta, problems


def _split_block(block: str, where: str) -> tuple[str | None, str, str, str]:
    """(title, stem source, answer block, text after the block) of one question's source."""
    masked, hidden = _mask(block)
    title: str | None = None
    used = 0
    title_match = re.match(r"\s*::(.*?)::", masked, re.DOTALL)
    if title_match:
        title, used = _unmask(title_match.group(1), hidden, 0)
        title = _unescape(title).strip()
        masked = masked[title_match.end() :]
    opening = masked.find("{")
    if opening < 0:
        raise GiftError([f"{where} has no answer block {{...}}: a description, not a question"])
    closing = masked.find("}", opening)
    if closing < 0:
        raise GiftError([f"{where} opens an answer block with {{ but never closes it with }}"])
    stem, used = _unmask(masked[:opening], hidden, used)
    answers, used = _unmask(masked[opening + 1 : closing], hidden, used)
    after, _ = _unmask(masked[closing + 1 :], hidden, used)
    return title, stem, answers, after


def _choices(answers: str, where: str, default: str) -> tuple[list[tuple[str, str | None, bool]], str | None]:
    masked, hidden = _mask(answers)
    general: str | None = None
    if "####" in masked:
        masked, general_raw = masked.split("####", 1)
        restored, _ = _unmask(general_raw, hidden, masked.count(_PLACEHOLDER))
        general = _formatted(restored, default)[1] or None
    body = masked.strip()
    if not body:
        raise GiftError([f"{where} is an essay question (empty answer block); the course holds choice questions"])
    if body[0] not in "=~":
        upper = body.split("#", 1)[0].strip().upper()
        if upper in ("T", "F", "TRUE", "FALSE"):
            raise GiftError([f"{where} is a true/false question; the course holds single-best-answer questions"])
        if body.startswith("#"):
            raise GiftError([f"{where} is a numerical question; the course holds single-best-answer questions"])
        raise GiftError([f"{where}: its answers must each start with = (right) or ~ (wrong)"])
    answer_count = body.count("=") + body.count("~")
    if answer_count > MAX_CHOICES:
        raise GiftError([f"{where} has {answer_count} answers; a single-best-answer item has at most {MAX_CHOICES}"])
    pieces = re.split(r"(?=[=~])", body)
    choices: list[tuple[str, str | None, bool]] = []
    used = 0
    for piece in pieces:
        if not piece.strip():
            continue
        restored, used = _unmask(piece, hidden, used)
        right = restored[0] == "="
        rest = restored[1:]
        if re.match(r"\s*%-?[\d.]+%", rest):
            raise GiftError(
                [f"{where} gives an answer a percentage weight; the course has one right answer, no partial credit"]
            )
        masked_rest, rest_hidden = _mask(rest)
        text_part, _, feedback_part = masked_rest.partition("#")
        if "->" in text_part:
            raise GiftError([f"{where} is a matching question; the course holds single-best-answer questions"])
        text_raw, count = _unmask(text_part, rest_hidden, 0)
        feedback_raw, _ = _unmask(feedback_part, rest_hidden, count)
        text = _formatted(text_raw, default)
        feedback = _formatted(feedback_raw, default)[1] if "#" in masked_rest else None
        if text[0] == "html":
            raise GiftError([f"{where} has an HTML answer; convert it to Markdown or plain text first"])
        choices.append((text[1], feedback or None, right))
    return choices, general


def _control_characters(source: str) -> list[str]:
    """One problem per line holding a control character other than tab (they are invisible in an
    editor, and the parser uses NUL internally)."""
    problems = []
    for number, text in enumerate(source.split("\n"), start=1):
        bad = next((c for c in text if (ord(c) < 32 and c != "\t") or 127 <= ord(c) < 160), None)
        if bad is not None:
            problems.append(f"line {number} holds the invisible control character U+{ord(bad):04X}; remove it")
    return problems


def parse_gift(source: str) -> list[GiftQuestion]:
    """Every question in a GIFT file (GIFT as Moodle documents it). Raises :class:`GiftError` listing
    every question it cannot take; a file over :data:`MAX_GIFT_BYTES` or holding control characters
    is refused whole before any question is read."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_GIFT_BYTES:
        raise GiftError(
            [f"the file is {size // 1000:,} kB; one import takes at most {MAX_GIFT_BYTES // 1000:,} kB, so split it"]
        )
    source = source.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    control = _control_characters(source)
    if control:
        raise GiftError(control[:20] + ([f"and {len(control) - 20} more lines"] if len(control) > 20 else []))
    questions: list[GiftQuestion] = []
    problems: list[str] = []
    category: str | None = None
    line = 1
    for block in re.split(r"\n[ \t]*\n", source):
        start_line = line
        line += block.count("\n") + 2
        comments: list[str] = []
        body_lines: list[str] = []
        for text in block.split("\n"):
            stripped = text.strip()
            if not body_lines and stripped.startswith("//"):
                comments.append(stripped)
            elif stripped.startswith("//"):
                continue  # a comment among the answers: ignored, as Moodle does
            elif not body_lines and stripped.startswith("$CATEGORY:"):
                category = stripped[len("$CATEGORY:") :].strip()
            elif body_lines or stripped:
                body_lines.append(text)
        body = "\n".join(body_lines).strip()
        if not body:
            continue
        ident, found_tags, meta, comment_problems = _comment_data(comments)
        where = f"the question at line {start_line}"
        try:
            title, stem_raw, answers, after = _split_block(body, where)
            if title:
                where = f"question '{title}' (line {start_line})"
            if after.strip():
                raise GiftError([f"{where} has text after its answers (a missing-word question); put the answers last"])
            kind, stem = _formatted(stem_raw, "moodle")
            if kind == "html":
                raise GiftError([f"{where} is written in HTML; convert it to Markdown or plain text first"])
            choices, general = _choices(answers, where, kind)
        except GiftError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(f"{where}: {p}" for p in comment_problems)
        questions.append(
            GiftQuestion(title, stem, tuple(choices), general, ident, found_tags, meta, category, start_line)
        )
    if problems:
        raise GiftError(problems)
    return questions


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:64].strip("-")


def to_item_data(question: GiftQuestion, defaults: Mapping[str, Any], number: int, bank_id: str) -> dict[str, Any]:
    """A quiz item (plain data, for the YAML file) from one question, or :class:`GiftError` saying why not.

    ``defaults`` fills what the question's own ``relational-prescribing:`` comment does not give:
    objectives, concepts, difficulty, source, modes, module.
    """
    where = f"question '{question.title or question.id or number}' (line {question.line})"
    problems = []
    right = [n for n, (_, _, is_right) in enumerate(question.choices) if is_right]
    if len(right) != 1:
        problems.append(f"{where} has {len(right)} right answers; a single-best-answer question has exactly one")
    if not 3 <= len(question.choices) <= 5:
        problems.append(f"{where} has {len(question.choices)} options; course questions have 3 to 5")
    missing = [_KEYS[n] if n < len(_KEYS) else str(n + 1) for n, c in enumerate(question.choices) if not c[1]]
    if missing:
        problems.append(
            f"{where}: option(s) {', '.join(missing)} have no feedback (#...); the course explains every option"
        )
    if problems:
        raise GiftError(problems)
    # A copy per item: shared lists would come out of the YAML writer as anchors, which content refuses.
    meta = copy.deepcopy({**defaults, **{k: v for k, v in question.meta.items() if v is not None or k == "module"}})
    ident = slug(question.id or question.title or "") or f"{bank_id}-q{number}"
    data: dict[str, Any] = {"id": ident}
    for key in ("modes", "difficulty", "objectives", "concepts", "module", "all_of_the_above"):
        value = meta.get(key)
        if value not in (None, [], False):
            data[key] = value
    data["source"] = meta.get("source")
    data["stem"] = question.stem
    data["answer"] = _KEYS[right[0]]
    data["options"] = [
        {"key": _KEYS[n], "text": text, "rationale": feedback or ""}
        for n, (text, feedback, _) in enumerate(question.choices)
    ]
    return data


def to_bank_data(
    questions: list[GiftQuestion], *, bank_id: str, title: str, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """A quiz bank (plain data) from parsed questions; :class:`GiftError` lists every question that cannot fit."""
    items, problems = [], []
    for number, question in enumerate(questions, start=1):
        try:
            items.append(to_item_data(question, defaults, number, bank_id))
        except GiftError as exc:
            problems.extend(exc.problems)
    if not questions:
        problems.append("the file holds no questions")
    if problems:
        raise GiftError(problems)
    return {"id": bank_id, "title": title, "items": items}


__all__ = [
    "CATEGORY_ROOT",
    "MAX_CHOICES",
    "MAX_GIFT_BYTES",
    "META_PREFIX",
    "GiftError",
    "GiftQuestion",
    "escape",
    "export_problems",
    "item_to_gift",
    "metadata",
    "parse_gift",
    "slug",
    "tags",
    "to_bank_data",
    "to_gift",
    "to_item_data",
]
