"""The one writer for every CSV the app hands to a person (DESIGN.md habit 11).

* UTF-8 with a byte-order mark, so a spreadsheet opened by double-click (Excel on Windows reads
  BOM-less CSV as the local code page) shows "Zoë Ó Briain", not "ZoÃ« Ã“ Briain".
* Formula neutralising (CWE-1236, OWASP "CSV Injection"): a text cell that starts with ``=``,
  ``+``, ``-``, ``@``, a tab, a carriage return or a line feed, or with their full-width forms
  (``＝ ＋ － ＠``, which some spreadsheets in East Asian locales read as the ASCII ones), also after
  leading spaces, is prefixed with an apostrophe, so a spreadsheet shows it as text instead of
  evaluating it. Numbers (int, float) are written as numbers, so a negative figure stays a number.
* CRLF line endings (RFC 4180).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_LEADING_SPACE = " \u00a0\u3000"

Cell = str | int | float | bool | None


def neutralise(cell: Cell) -> str | int | float:
    """A cell as written: text that a spreadsheet would evaluate gets a leading apostrophe."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, int | float):
        return cell
    text = str(cell)
    return "'" + text if text.lstrip(_LEADING_SPACE).startswith(_FORMULA_TRIGGERS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The CSV as text, starting with the byte-order mark."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return out.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The CSV as UTF-8 bytes (with BOM), ready for a download button or a ZIP entry."""
    return csv_text(header, rows).encode("utf-8")
