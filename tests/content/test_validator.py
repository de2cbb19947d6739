from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.__main__ import main
from course.content import load_course, parse
from course.problems import ContentError
from course.schema import QuizBank, Vignette
from course.yamlio import MAX_FILE_BYTES
from tests.content.fixtures import GOOD, bad_cases, build_case, expected

REPO = Path(__file__).resolve().parents[2]


def test_good_fixture_has_no_problems_at_all() -> None:
    report = load_course(GOOD)
    assert [str(p) for p in report.problems] == []
    assert set(report.course.modules) == {"first", "second"}
    assert list(report.course.modules) == ["first", "second"]  # ordered by `order`
    assert len(report.course.checks_for("first")) == 2


def test_there_is_a_bad_case_per_rule() -> None:
    assert len(bad_cases()) >= 15


@pytest.mark.parametrize("case", bad_cases())
def test_bad_case_produces_exactly_its_expected_problems(case: str, tmp_path: Path) -> None:
    report = load_course(build_case(case, tmp_path))
    assert [str(p) for p in report.problems] == expected(case)
    assert not report.ok(strict=True)


def test_warnings_fail_only_in_strict_mode(tmp_path: Path) -> None:
    report = load_course(build_case("unused-term", tmp_path))
    assert report.errors == [] and len(report.warnings) == 1
    assert report.ok() and not report.ok(strict=True)


def test_huge_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    root = build_case("unused-term", tmp_path)
    (root / "glossary" / "extra.yaml").write_text("# " + "x" * MAX_FILE_BYTES + "\n", encoding="utf-8")
    messages = [str(p) for p in load_course(root).errors]
    assert messages == [
        f"glossary/extra.yaml:1: file is {MAX_FILE_BYTES + 3:,} bytes; the limit is {MAX_FILE_BYTES:,} "
        "(hint: split it into several files)"
    ]


def test_explicit_path_outside_the_content_folders_is_an_error(tmp_path: Path) -> None:
    stray = tmp_path / "stray.yaml"
    stray.write_text("terms: []\n", encoding="utf-8")
    report = load_course(GOOD, only=[stray])
    assert len(report.errors) == 1
    assert "path is outside the content folders" in str(report.errors[0])


def test_only_reports_the_named_files(tmp_path: Path) -> None:
    root = build_case("unknown-concept", tmp_path)
    assert load_course(root, only=[root / "modules" / "01-first.md"]).problems == []
    assert len(load_course(root, only=[root / "modules" / "02-second.md"]).problems) == 1


def test_parse_validates_plain_data_without_files() -> None:
    with pytest.raises(ContentError) as caught:
        parse(QuizBank, {"id": "x", "title": "t", "items": [{"id": "i"}]})
    text = str(caught.value)
    assert "items[0].stem: Field required" in text
    assert "items[0].answer: Field required" in text


def test_vignette_node_kind_is_checked() -> None:
    data = {
        "id": "v",
        "title": "t",
        "summary": "s",
        "minutes": 1,
        "source": {"ref": "r"},
        "start": "a",
        "nodes": [{"id": "a", "kind": "cliffhanger", "text": "x"}, {"id": "b", "kind": "ending", "text": "y"}],
    }
    with pytest.raises(ContentError) as caught:
        parse(Vignette, data)
    assert "nodes[0]" in str(caught.value) and "kind must be one of narrative" in str(caught.value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_any_bytes_give_problems_never_a_traceback(tmp_path: Path, raw: bytes) -> None:
    root = tmp_path / "fuzz"
    (root / "glossary").mkdir(parents=True, exist_ok=True)
    (root / "modules").mkdir(exist_ok=True)
    (root / "glossary" / "x.yaml").write_bytes(raw)
    (root / "modules" / "m.md").write_bytes(raw)
    report = load_course(root)
    for problem in report.problems:
        assert problem.file and problem.line >= 1 and problem.message


def test_cli_validate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--root", str(GOOD)]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out
    root = build_case("unused-term", tmp_path)
    assert main(["validate", "--root", str(root)]) == 0
    assert main(["validate", "--strict", "--root", str(root)]) == 1
    assert main(["validate", "--root", str(build_case("missing-target", tmp_path / "b"))]) == 1
    out = capsys.readouterr().out
    assert "error: vignettes/case.yaml:32 nodes[1].choices[1].target: target 'reflection' does not exist" in out


def test_cli_schema_exports_one_schema_per_kind(tmp_path: Path) -> None:
    assert main(["schema", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "bibliography.schema.json",
        "glossary.schema.json",
        "module-front-matter.schema.json",
        "quiz-bank.schema.json",
        "vignette.schema.json",
    ]
    quiz = json.loads((tmp_path / "quiz-bank.schema.json").read_text())
    assert quiz["additionalProperties"] is False
    assert "rationale" in quiz["$defs"]["Option"]["required"]


def test_repository_content_validates_strictly() -> None:
    report = load_course(REPO)
    assert [str(p) for p in report.problems] == []
    assert report.course.modules, "the repository ships at least one module"


def test_nesting_deep_enough_to_overflow_libyaml_is_refused_before_it_is_composed() -> None:
    """100,000 `[` used to crash the process inside libyaml's recursive composer (found by fuzzing)."""
    from course.problems import ContentError
    from course.yamlio import parse_yaml

    with pytest.raises(ContentError) as raised:
        parse_yaml("title: " + "[" * 100_000, "deep.yaml")
    assert [str(p) for p in raised.value.problems] == ["deep.yaml:1: nested deeper than 32 levels (hint: flatten it)"]
