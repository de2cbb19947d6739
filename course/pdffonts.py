"""Fonts for the PDFs the app writes: a name in any script prints in its own script, shaped.

The PDF core fonts know only Latin-1, so "王芳 (Wang Fang)" printed as " (Wang Fang)". Instead the
certificate embeds TrueType/OpenType fonts found on a configurable font path and lets fpdf2 pick,
for each character, the first font that has a glyph for it (``FPDF.set_fallback_fonts``), with
HarfBuzz shaping (``FPDF.set_text_shaping``, via uharfbuzz) so Arabic letters join, Devanagari
conjuncts and vowel signs form, and right-to-left runs (Arabic, Hebrew) run right to left (the
Unicode bidirectional algorithm, UAX #9, as fpdf2 applies it).

Font path: ``COURSE_PDF_FONTS``, entries separated by ``os.pathsep``, each a font file or a glob
pattern (``/srv/fonts/*.ttf``); earlier entries win. Unset, :data:`DEFAULT_FONT_PATH` uses Debian's
Noto fonts (``fonts-noto-core`` and ``fonts-noto-cjk``, installed by ``.ci/run``), then DejaVu and
Liberation. The older single-file ``COURSE_PDF_FONT`` is still read, first.

:func:`unprintable` says which characters of a text no font on the path can print, so the learner
is told before a certificate is issued, not after.
"""

from __future__ import annotations

import functools
import glob
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF

FONT_PATH_ENV = "COURSE_PDF_FONTS"
LEGACY_FONT_ENV = "COURSE_PDF_FONT"
DEFAULT_FONT_PATH: tuple[str, ...] = (
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",  # Latin, Greek, Cyrillic (fonts-noto-core)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Chinese, Japanese, Korean (fonts-noto-cjk)
    "/usr/share/fonts/truetype/noto/NotoSans*-Regular.ttf",  # every other script Noto covers
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
CORE_FONT_EXTRAS = "\u2013\u2014\u2018\u2019\u201c\u201d"  # printed as - ' " with no font file


def font_path(env: Mapping[str, str] | None = None) -> list[Path]:
    """The font files to draw from, in order of preference (existing files only, no duplicates)."""
    source = env if env is not None else os.environ
    configured = source.get(FONT_PATH_ENV, "").strip()
    entries = [e for e in configured.split(os.pathsep) if e.strip()] if configured else list(DEFAULT_FONT_PATH)
    legacy = source.get(LEGACY_FONT_ENV, "").strip()
    if legacy:
        entries.insert(0, legacy)
    found: list[Path] = []
    for entry in entries:
        for name in sorted(glob.glob(os.path.expanduser(entry.strip()))):
            path = Path(name)
            if path.suffix.lower() in _FONT_SUFFIXES and path.is_file() and path not in found:
                found.append(path)
    return found


@functools.lru_cache(maxsize=512)
def _coverage(path: Path) -> frozenset[int]:
    """The code points the font has glyphs for (the first font of a collection, as fpdf2 embeds)."""
    try:
        with TTFont(str(path), fontNumber=0, lazy=True) as font:
            return frozenset(font.getBestCmap() or {})
    except Exception:  # an unreadable font file is one that prints nothing
        return frozenset()


def _needs_glyph(char: str) -> bool:
    """False for white space, controls and format characters (ZWJ, bidi marks): shaping handles them."""
    return not (char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Zs", "Zl", "Zp"})


def printable_form(text: str) -> str:
    """The text as printed: NFC, so a name typed decomposed ("e" + combining acute) uses the font's "é"."""
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class FontPlan:
    """Which fonts a set of texts needs: ``fonts[0]`` is the main one, the rest are fallbacks in order."""

    fonts: tuple[Path, ...]
    missing: tuple[str, ...]  # characters no font on the path has, in first-seen order


def plan(texts: Sequence[str], path: Sequence[Path] | None = None) -> FontPlan:
    """For each character of ``texts``, the first font on the path with a glyph for it."""
    fonts = list(path) if path is not None else font_path()
    chosen: list[Path] = fonts[:1]
    missing: list[str] = []
    for char in dict.fromkeys("".join(printable_form(t) for t in texts)):
        if not _needs_glyph(char):
            continue
        if not fonts:  # the PDF core font (Helvetica) then prints Latin-1 and the quotes and dashes
            if ord(char) > 0xFF and char not in CORE_FONT_EXTRAS:
                missing.append(char)
            continue
        home = next((f for f in fonts if ord(char) in _coverage(f)), None)
        if home is None:
            missing.append(char)
        elif home not in chosen:
            chosen.append(home)
    return FontPlan(tuple(chosen), tuple(missing))


def unprintable(text: str, path: Sequence[Path] | None = None) -> list[str]:
    """The characters of ``text`` that no font on the font path can print (empty: all can)."""
    return list(plan([text], path).missing)


def describe(chars: Sequence[str]) -> str:
    """``“😀” (U+1F600 GRINNING FACE)``, for telling a person which characters are the problem."""
    return ", ".join(f"“{c}” (U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')})" for c in chars)


def prepare(pdf: FPDF, texts: Sequence[str], path: Sequence[Path] | None = None) -> str | None:
    """Add the fonts ``texts`` need to ``pdf`` with shaping on; returns the main family, or None
    when no font file is on the path (the caller then uses a core font and Latin-1 text)."""
    chosen = plan(texts, path)
    if not chosen.fonts:
        return None
    families = []
    for number, font in enumerate(chosen.fonts):
        family = f"F{number}"
        pdf.add_font(family, "", str(font))
        families.append(family)
    if len(families) > 1:
        pdf.set_fallback_fonts(families[1:], exact_match=False)
    pdf.set_text_shaping(True)
    return families[0]


__all__ = [
    "CORE_FONT_EXTRAS",
    "DEFAULT_FONT_PATH",
    "FONT_PATH_ENV",
    "LEGACY_FONT_ENV",
    "FontPlan",
    "describe",
    "font_path",
    "plan",
    "prepare",
    "printable_form",
    "unprintable",
]
