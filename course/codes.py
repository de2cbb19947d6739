"""Codes a person reads off paper or a slide and types back: generate them, and compare what was typed.

One module for every such code (certificate verification codes, cohort invitation codes, and any
later typed code), so a fix lands once (DESIGN.md habit 11).

The alphabet is Crockford's base 32 (https://www.crockford.com/base32.html): the digits and the
letters without I, L, O and U, so no two characters look alike. Reading a typed code back follows
the same specification, made a little more forgiving:

* case does not matter, and spaces, dashes, dots, underscores and slashes are ignored;
* ``O`` reads as ``0``; ``I`` and ``L`` read as ``1`` (Crockford's decoding rule);
* full-width forms (a Japanese or Chinese keyboard) read as their ASCII letters (Unicode NFKC);
* Cyrillic and Greek capitals that look exactly like Latin ones (``А``, ``В``, ``Е``, ``К``, ``О``,
  ``Р``, ``С``, ``Т``, ``Х``, ...; from Unicode's confusables list) read as those Latin letters,
  since a phone keyboard left in another language gives them.

Codes issued before this module (RFC 4648 base 32 for certificates, a 31-character alphabet for
cohorts) keep working: they are compared through :func:`code_key`, which folds both the stored
and the typed code the same way.
"""

from __future__ import annotations

import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U
GROUP = 4

# Crockford's decoding rule for look-alikes, then letters from other scripts that print the same
# as a Latin capital (Unicode confusables, https://www.unicode.org/Public/security/latest/confusables.txt).
_LOOK_ALIKES = str.maketrans(
    {
        "O": "0",
        "I": "1",
        "L": "1",
        # Cyrillic capitals
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "0",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "У": "Y",
        "З": "3",
        "І": "1",
        "Ј": "J",
        "Ѕ": "S",
        # Greek capitals
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Ι": "1",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "0",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
    }
)
_SEPARATORS = frozenset(" -‐‑‒–—―_./\\·•")


def new_code(length: int) -> str:
    """A random code of ``length`` characters from :data:`ALPHABET`, ungrouped (5 bits per character)."""
    if length < 1:
        raise ValueError("A code needs at least one character.")
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def group_code(code: str, size: int = GROUP) -> str:
    """The code as printed: groups of ``size`` joined by dashes, ``ABCD-EFGH-...``."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def code_key(text: str) -> str:
    """What a typed or stored code is compared by: folded as the module docstring says.

    ``code_key(" abcd-efgh ") == code_key("ABCDEFGH")``; ``code_key("O1L") == "011"``. Characters
    that can be in no code (punctuation other than separators, letters of other scripts with no
    Latin look-alike) are kept, folded to upper case, so a wrong code never matches a right one.
    """
    folded = unicodedata.normalize("NFKC", text).upper().translate(_LOOK_ALIKES)
    return "".join(ch for ch in folded if ch not in _SEPARATORS and not ch.isspace())


__all__ = ["ALPHABET", "GROUP", "code_key", "group_code", "new_code"]
