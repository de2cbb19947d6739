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
