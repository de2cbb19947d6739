"""The one CSV writer: opens in a spreadsheet with accents intact and no live formulas."""

from __future__ import annotations

import csv
import io

from course.csvout import BOM, csv_bytes, neutralise


def test_a_csv_starts_with_a_byte_order_mark_and_keeps_accents() -> None:
    data = csv_bytes(["Name"], [["Zoë Ó Briain"], ["Дмитрий"], ["王芳"]])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8")
    assert text.startswith(BOM)
    assert list(csv.reader(io.StringIO(text.removeprefix(BOM)))) == [["Name"], ["Zoë Ó Briain"], ["Дмитрий"], ["王芳"]]


def test_cells_a_spreadsheet_would_evaluate_are_neutralised() -> None:
    hostile = ['=HYPERLINK("https://example.net","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    for cell in hostile:
        assert neutralise(cell) == "'" + cell
    assert neutralise("Ordinary name") == "Ordinary name"
    assert neutralise(-3) == -3  # a number stays a number
    assert neutralise(2.5) == 2.5
    assert neutralise(None) == ""
    assert neutralise(True) == "yes"
    rows = list(csv.reader(io.StringIO(csv_bytes(["=a"], [["=b", 1]]).decode("utf-8").removeprefix(BOM))))
    assert rows == [["'=a"], ["'=b", "1"]]


def test_full_width_and_indented_triggers_are_neutralised_too() -> None:
    """Issue 15: other spellings of the same formula trigger (full-width forms, after spaces, a line feed)."""
    for cell in ["＝1+1", "＋1", "－1", "＠SUM(A1)", "  =1+1", "\u3000=1", "\u00a0@A1", "\n=1"]:
        assert neutralise(cell) == "'" + cell, cell
    assert neutralise("Anne-Marie") == "Anne-Marie" and neutralise("a=b") == "a=b"


def test_no_module_writes_csv_except_through_the_one_writer() -> None:
    """DESIGN.md habit 11: every CSV the app writes goes through course/csvout.py."""
    import re
    from pathlib import Path

    writes_csv = re.compile(r"^\s*(import csv\b|from csv import)|csv\.writer|DictWriter|\.to_csv\(", re.M)
    root = Path(__file__).resolve().parents[2] / "course"
    offenders = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if path.name != "csvout.py" and writes_csv.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
