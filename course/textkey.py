"""How a name or email is folded for searching, the same on SQLite and PostgreSQL.

SQLite's ``lower()`` and ``LIKE`` fold ASCII letters only, so "élodie" never finds "Élodie" and
"дмитрий" never finds "Дмитрий", while PostgreSQL's ``lower()`` folds them: the same search gave
different answers on the two databases. Instead, the store keeps a *search key* beside each
account (``users.search_key``), folded in Python by :func:`fold`, and a search folds the typed
text the same way and matches it as a substring of the key. Both databases then compare plain
strings with no collation or case rules of their own.

The fold (Unicode Standard Annex #15 normalisation, then full case folding, Unicode chapter 3.13):

1. NFKD: compatibility decomposition, so "é" becomes "e" + a combining acute, the ligature "ﬁ"
   becomes "fi" and full-width "Ａ" becomes "A";
2. combining marks (general category M) are dropped, so accents no longer matter ("Élodie",
   "Elodie" and "ÉLODIE" fold alike; "Zoë Ó Briain" to "zoe o briain");
3. ``str.casefold()``: full case folding in every script ("ß" to "ss", "Дмитрий" to "дмитрий",
   Greek final sigma to sigma);
4. Latin letters that are distinct letters with no decomposition but that a person without them on
   the keyboard writes as plain letters (Danish "ø", Polish "ł", French "œ", Croatian "đ", Turkish
   dotless "ı") become those letters, so "Søren" is found by "soren" (what Unicode's UCA default
   collation treats as a secondary difference, UTS #10);
5. white space runs become one space, ends trimmed.

Scripts without case or accents (Chinese, Japanese kana, Arabic, Hebrew, Devanagari consonants)
pass through, so "王芳" finds "王芳".

The keys are stored, so a change to :func:`fold` needs a migration that recomputes them (as
revision 0011 computed the first ones). Devanagari vowel signs are combining marks too, so they are
dropped alike from the key and from the query: a search is at worst a little broader, never narrower.
"""

from __future__ import annotations

import unicodedata

_BASE_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "œ": "oe", "æ": "ae", "þ": "th"})
KEY_SEPARATOR = "\n"  # between the folded parts of one key: no query can contain it (queries are one line)


def fold(text: str) -> str:
    """``text`` folded for comparison (see the module docstring): ``fold("Élodie") == "elodie"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return " ".join(stripped.casefold().translate(_BASE_LETTERS).split())


def search_key(*parts: str) -> str:
    """The stored key for a record searched by these texts, e.g. ``search_key(display_name, email)``."""
    return KEY_SEPARATOR.join(fold(part) for part in parts)


def like_pattern(query: str) -> str | None:
    """A SQL ``LIKE`` pattern (escape character ``\\``) matching keys that contain the folded query.

    None when the folded query is empty. ``%`` and ``_`` typed by the person match only themselves.
    """
    needle = fold(query)
    if not needle:
        return None
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


__all__ = ["KEY_SEPARATOR", "fold", "like_pattern", "search_key"]
