"""Issue 15: every name prints on the certificate in its own script, shaped, on one page.

Before the fix a certificate for "王芳 (Wang Fang)" printed " (Wang Fang)": the one font (DejaVu
Sans) has no Han glyphs, and fpdf2 dropped them with only a log warning. The PDFs are read back
with pypdf (text through the fonts' ToUnicode maps) and fpdf2's own missing-glyph warning is
watched, so a dropped glyph fails the test either way.
"""

from __future__ import annotations

import io
import logging
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from course import certificates, pdffonts
from course.certificates import COURSE_TITLE, Certificate, NameNotPrintable
from course.store.db import Store
from tests.cpd.helpers import COURSE, complete_course, person

NAMES = {
    "Han (the issue's input)": "王芳 (Wang Fang)",
    "Arabic, right to left": "محمد عبد الله (Mohammed)",
    "Hebrew, right to left": "דוד לוי",
    "Devanagari, shaped": "अनुष्का शर्मा",
    "Cyrillic": "Дмитрий Шостакович",
    "Greek": "Ελένη Παπαδοπούλου",
    "Latin with diacritics": "Zoë Ó Briain",
    "Vietnamese, stacked marks": "Nguyễn Thị Minh Khai",
    "Hangul": "김민준",
    "Japanese kana and kanji": "山田 はなこ",
    "Thai": "สมชาย ใจดี",
    "Georgian": "ნინო ბერიძე",
    "Armenian": "Արամ Խաչատրյան",
    "Tamil": "முத்து குமார்",
    "decomposed accents (NFD)": "E\u0301lodie Bru\u0302le\u0301",
}


def _certificate(name: str) -> Certificate:
    return Certificate(1, 1, "ABCD" * 6, name, COURSE_TITLE, 95, datetime(2025, 3, 14, tzinfo=UTC), None)


def _read(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _words(name: str) -> list[str]:
    """The name's words without brackets: a right-to-left line reads back in visual order."""
    return [w.strip(string.punctuation) for w in pdffonts.printable_form(name).split()]


@pytest.fixture(autouse=True)
def _default_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pdffonts.FONT_PATH_ENV, raising=False)
    monkeypatch.delenv(pdffonts.LEGACY_FONT_ENV, raising=False)
    if not Path(pdffonts.DEFAULT_FONT_PATH[1]).is_file():
        pytest.fail("Install fonts-noto-core and fonts-noto-cjk (.ci/run does) for the certificate tests.")


@pytest.mark.parametrize("name", list(NAMES.values()), ids=list(NAMES))
def test_every_name_prints_whole_in_its_own_script_on_one_page(name: str, caplog: pytest.LogCaptureFixture) -> None:
    assert certificates.name_problem(name) is None
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pages, text = _read(certificates.certificate_pdf(_certificate(name), "https://x.example/verify/ABCD"))
    assert pages == 1
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    for word in _words(name):
        assert word in text, (word, text)


def test_the_issue_input_keeps_its_chinese_name() -> None:
    pages, text = _read(certificates.certificate_pdf(_certificate("王芳 (Wang Fang)"), "https://x/verify/1"))
    assert "王芳 (Wang Fang)" in text and pages == 1


@pytest.mark.parametrize("unit", ["W", "王", "ش", "ब्र", "Ж"])
def test_a_long_name_shrinks_and_stays_on_one_page(unit: str) -> None:
    name = (unit * 80)[:80]
    pages, text = _read(certificates.certificate_pdf(_certificate(name), "https://x/verify/1"))
    assert pages == 1
    assert text.count(unit[0]) >= name.count(unit[0])  # nothing dropped on the way


def test_a_name_no_font_can_print_is_reported_and_not_issued(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org", name="Lee \ue000 Learner")  # a private-use character
    complete_course(store, learner, now)
    problem = certificates.name_problem(learner.display_name)
    assert problem is not None and "U+E000" in str(problem)
    with pytest.raises(NameNotPrintable, match=r"U\+E000"):
        certificates.issue(store, learner, COURSE, now=now)
    assert certificates.certificate_of(store, learner, learner.id) is None


def test_the_font_path_is_configurable_and_decides_what_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    """With only a Latin/Cyrillic font on the path, a Han name is reported before issuing, not dropped."""
    monkeypatch.setenv(pdffonts.FONT_PATH_ENV, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    assert [p.name for p in pdffonts.font_path()] == ["DejaVuSans.ttf"]
    assert pdffonts.unprintable("王芳 (Wang Fang)") == ["王", "芳"]
    assert certificates.name_problem("Дмитрий") is None
    monkeypatch.setenv(pdffonts.FONT_PATH_ENV, "/nowhere/*.ttf")
    assert pdffonts.font_path() == [] and pdffonts.unprintable("Zoë “Ó” Briain") == []  # the core font
    assert pdffonts.unprintable("Zoë 王") == ["王"]
