"""GIFT both ways, checked with an independent parser (npm gift-pegjs) and against the validator.

The exporter works from the schema, so these tests export whatever the banks in quizzes/ hold now,
plus a small bank whose every field carries GIFT's special characters.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from course import gift
from course.__main__ import main
from course.content import load_course
from course.schema import QuizBank, QuizItem

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "tests" / "content" / "good"
NODE_SCRIPT = Path(__file__).with_name("gift_parse.js")
TRICKY = "Tricky characters: ~ = # { } : \\ :: // [plain] 50% -> end\nand a second line"


def tricky_bank() -> QuizBank:
    """Every text field holds GIFT's special characters, an escaped-looking backslash and a line break."""
    item = {
        "id": "tricky-1",
        "stem": "Dose = 5 mg ~ twice daily {total: 10 mg} # note \\= not an escape :: // no comment\nSecond line?",
        "answer": "b",
        "objectives": ["first-o1"],
        "difficulty": "hard",
        "source": {"ref": "konstantinidou-2022", "locator": "Box 3"},
        "options": [
            {"key": "a", "text": "[plain] looks like a format marker", "rationale": "[html] so does this # hash"},
            {"key": "b", "text": "C:\\temp {braces} = equals", "rationale": "Right: ~tilde~ and \\n literally"},
            {"key": "c", "text": "Colon: here", "rationale": TRICKY},
        ],
    }
    return QuizBank.model_validate({"id": "tricky", "title": "Tricky: characters", "items": [item]})


def banks() -> list[QuizBank]:
    report = load_course(REPO)
    assert not report.errors, report.errors
    return [*report.course.quizzes.values(), tricky_bank()]


def gift_pegjs(source: str) -> list[dict[str, Any]]:
    """What gift-pegjs makes of a GIFT text (CI installs it with `npm ci`)."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "gift-pegjs").is_dir():
        pytest.fail("needs node and the npm package gift-pegjs: run `npm ci` in the project folder")
    done = subprocess.run(
        [node, str(NODE_SCRIPT)], input=source, capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    parsed: list[dict[str, Any]] = json.loads(done.stdout)
    return parsed


def _expect(item: QuizItem) -> dict[str, Any]:
    return {
        "title": item.id,
        "id": item.id,
        "stem": item.stem,
        "choices": [(o.text, o.rationale, o.key == item.answer) for o in item.options],
    }


def _seen(question: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": question["title"],
        "id": question["id"],
        "stem": question["stem"]["text"],
        "choices": [(c["text"]["text"], c["feedback"]["text"], c["isCorrect"]) for c in question["choices"]],
    }


def test_gift_pegjs_reads_every_exported_item_back_to_the_same_stem_options_key_and_feedback() -> None:
    exported = banks()
    parsed = gift_pegjs(gift.to_gift(exported))
    categories = [q["title"] for q in parsed if q["type"] == "Category"]
    assert categories == [f"{gift.CATEGORY_ROOT}/{bank.id}" for bank in exported]
    questions = [q for q in parsed if q["type"] != "Category"]
    items = [item for bank in exported for item in bank.items]
    assert len(questions) == len(items) > 100
    for question, item in zip(questions, items, strict=True):
        assert question["type"] == "MC", item.id
        assert all(c["weight"] is None for c in question["choices"]), item.id
        assert question["tags"] == gift.tags(item), item.id
        assert _seen(question) == _expect(item), item.id


def test_every_bank_survives_export_and_import_unchanged() -> None:
    for bank in banks():
        questions = gift.parse_gift(gift.to_gift([bank]))
        data = gift.to_bank_data(questions, bank_id=bank.id, title=bank.title, defaults={})
        assert QuizBank.model_validate(data) == bank, bank.id
        assert {q.category for q in questions} == {f"{gift.CATEGORY_ROOT}/{bank.id}"}


HANDWRITTEN = """// A bank written by hand in Moodle's own style, without the course's metadata.
$CATEGORY: $course$/top/Imported

::Dose question::Mr Z agrees to try the new tablet and asks
  what he would start on. Which starting dose is usual? {
  =10 mg#Right, the usual start.
  ~5 mg#Lower than the usual start.
  ~[markdown]**20 mg**#Far *too* much.
}

[markdown]A question without a title\\: escaped colon. Which term names what the prescriber feels? {
=countertransference#a ~transference#b ~projective identification#c ####General feedback}

::Tricky \\: title::[plain]Plain   text \\{with braces\\} and \\= sign. Which option is right?{
~aaaaaaa#x
=b \\# hash#y\\nnewline
~cccccccccccc#z
}
"""


def test_our_reader_agrees_with_gift_pegjs_on_handwritten_gift() -> None:
    ours = gift.parse_gift(HANDWRITTEN)
    theirs = [q for q in gift_pegjs(HANDWRITTEN) if q["type"] != "Category"]
    assert len(ours) == len(theirs) == 3
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.title == reference["title"]
        assert mine.stem == reference["stem"]["text"]
        assert [(t, f, r) for t, f, r in mine.choices] == [
            (c["text"]["text"], c["feedback"]["text"] if c["feedback"] else None, c["isCorrect"])
            for c in reference["choices"]
        ]
        assert mine.general_feedback == (reference["globalFeedback"] or {}).get("text")
    assert ours[0].category == "$course$/top/Imported"


def test_comment_lines_among_the_answers_are_dropped_as_moodle_does() -> None:
    [question] = gift.parse_gift("::q::Which?{\n=a#right\n// an aside\n~b#no\n~c#no\n}")
    assert question.choices[0] == ("a", "right", True)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("::tf::Lithium needs level monitoring.{TRUE}", "true/false"),
        ("::short::Name the concept.{=countertransference =counter-transference}", "2 right answers"),
        ("::num::How many mg?{#5:1}", "numerical"),
        ("::match::Match them.{=a -> 1 =b -> 2 =c -> 3}", "matching"),
        ("::essay::Reflect on a case.{}", "essay"),
        ("::multi::Pick two.{~%50%a#x ~%50%b#y ~%-100%c#z}", "percentage"),
        ("::fb::Which?{=a#right ~b ~c#why not}", "no feedback"),
        ("::two::Which?{=a#x ~b#y}", "2 options"),
        ("::html::[html]<p>Which?</p>{=a#x ~b#y ~c#z}", "HTML"),
        ("::gap::The drug {=lithium#x ~valproate#y ~carbamazepine#z} needs levels.", "missing-word"),
        ("::open::Which?{=a#x ~b#y", "never closes"),
        ("Just a description, no answers.", "no answer block"),
    ],
)
def test_questions_a_bank_cannot_hold_are_refused_by_name(source: str, message: str) -> None:
    with pytest.raises(gift.GiftError) as refused:
        gift.to_bank_data(gift.parse_gift(source), bank_id="b", title="B", defaults={})
    assert any(message in problem for problem in refused.value.problems), refused.value.problems


# Inputs built to make a parser rescan: each is near the 1 MB limit, and each used to take minutes or
# more (a comment of 40,000 "[tag:" took over 5 minutes; 20 kB of it took 5 s).
HOSTILE_GIFT = {
    "tag markers never closed": "// " + "[tag:" * 190_000 + "\n::t::Which?{=a#x ~b#y ~c#z}",
    "id markers never closed": "// " + "[id:" * 240_000 + "\n::t::Which?{=a#x ~b#y ~c#z}",
    "a title never closed": "::" + "x" * 990_000 + "\nWhich?{=a#x ~b#y ~c#z}",
    "answers of nothing but =": "::t::Which?{" + "=" * 990_000 + "}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_GIFT))
def test_hostile_gift_near_the_size_limit_is_read_in_linear_time_or_refused_by_name(name: str) -> None:
    source = HOSTILE_GIFT[name]
    assert len(source.encode()) <= gift.MAX_GIFT_BYTES
    try:
        questions = gift.parse_gift(source)
    except gift.GiftError as refused:
        assert refused.problems and all(isinstance(p, str) and len(p) < 500 for p in refused.problems)
    else:
        assert len(questions) == 1 and questions[0].choices  # read whole, as one question


def test_a_file_over_the_limit_is_refused_whole_and_says_how_big_it_is(tmp_path: Path) -> None:
    too_big = "::t::Which?{=a#x ~b#y ~c#z}\n\n" * (gift.MAX_GIFT_BYTES // 20)
    with pytest.raises(gift.GiftError, match=r"one import takes at most 1,000 kB"):
        gift.parse_gift(too_big)
    path = tmp_path / "big.gift"
    path.write_text(too_big, encoding="utf-8")
    assert main(["items", "import-gift", str(path), "--root", str(_content_copy(tmp_path))]) == 1


def test_too_many_answers_and_control_characters_are_refused_by_line() -> None:
    eleven = "::many::Which?{=a " + " ".join(f"~o{n}" for n in range(10)) + "}"
    with pytest.raises(gift.GiftError, match="11 answers"):
        gift.parse_gift(eleven)
    for char in ("\x00", "\x1b", "\x85"):
        with pytest.raises(gift.GiftError, match=rf"line 2 holds the invisible control character U\+{ord(char):04X}"):
            gift.parse_gift(f"// [id:q1]\n::t::Wh{char}ich?{{=a#x ~b#y ~c#z}}")


def test_the_exporter_refuses_what_gift_cannot_say() -> None:
    bank = tricky_bank()
    item = bank.items[0]
    arrow = item.model_copy(
        update={"options": [item.options[0].model_copy(update={"text": "a -> b"}), *item.options[1:]]}
    )
    with pytest.raises(gift.GiftError, match="matching question"):
        gift.to_gift([bank.model_copy(update={"items": [arrow]})])


def _content_copy(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(GOOD, root)
    return root


def test_import_gift_writes_a_quiz_file_that_passes_the_validator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _content_copy(tmp_path)
    source = tmp_path / "from-moodle.gift"
    source.write_text(HANDWRITTEN, encoding="utf-8")
    args = ["items", "import-gift", str(source), "--root", str(root), "--title", "From Moodle"]
    # Without metadata the questions need an objective and a source: refused, nothing written.
    assert main(args) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert not (root / "quizzes" / "from-moodle.yaml").exists()

    defaults = ["--objective", "first-o1", "--source-ref", "source-a", "--source-locator", "Box 1"]
    assert main([*args, *defaults]) == 0
    written = root / "quizzes" / "from-moodle.yaml"
    assert "wrote 3 questions" in capsys.readouterr().out
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert [item["id"] for item in data["items"]] == ["dose-question", "from-moodle-q2", "tricky-title"]
    assert data["items"][0]["options"][2] == {"key": "c", "text": "**20 mg**", "rationale": "Far *too* much."}
    assert main(["validate", "--strict", "--root", str(root), str(written)]) == 0
    assert main([*args, *defaults]) == 1  # never overwrites
    assert "exists" in capsys.readouterr().err


def test_export_then_import_through_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _content_copy(tmp_path)
    exported = tmp_path / "bank.gift"
    assert (
        main(
            ["items", "export", "--format", "gift", "--root", str(root), "--bank", "summative", "--out", str(exported)]
        )
        == 0
    )
    assert main(["items", "export", "--format", "gift", "--root", str(root), "--bank", "nope"]) == 1
    original = (root / "quizzes" / "summative.yaml").read_text(encoding="utf-8")
    (root / "quizzes" / "summative.yaml").unlink()  # import it back in its place
    capsys.readouterr()
    assert main(["items", "import-gift", str(exported), "--root", str(root), "--bank-id", "summative"]) == 0
    again = load_course(root).course.quizzes["summative"]
    before = QuizBank.model_validate(yaml.safe_load(original))
    assert again.items == before.items
