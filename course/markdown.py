"""Safe Markdown rendering for content and learner text.

markdown-it-py's "js-default" preset has raw HTML, linkify and typographer off and refuses
`javascript:`, `vbscript:`, `file:` and non-image `data:` links. The HTML it produces is shown with
`st.html`, which sanitises again with DOMPurify; Streamlit's raw-HTML switch for st.markdown is
never turned on. Headings get stable ids so a section can be linked to.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-!|<>~$&])")
# Characters around which an autolink (`www.`, `https://`, `name@host`), an ordered-list marker or a
# Streamlit directive (`:red[...]`, `:material/icon:`) is recognised. Streamlit finds autolink
# literals in the text *after* escapes and character references are decoded (mdast-util-gfm-
# autolink-literal), so escaping cannot stop them; an invisible WORD JOINER (U+2060) before each
# of these characters breaks every such pattern while the text reads the same.
_LINK_STARTERS = re.compile(r"[.:@]")
WORD_JOINER = "\u2060"


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    anchor: str


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("js-default")


def slugify(text: str) -> str:
    """A URL fragment for a heading: lower-case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "section"


def _anchor_headings(tokens: list[Token]) -> list[Heading]:
    headings: list[Heading] = []
    used: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        title = tokens[i + 1].content if i + 1 < len(tokens) else ""
        anchor = slugify(title)
        used[anchor] = used.get(anchor, 0) + 1
        if used[anchor] > 1:
            anchor = f"{anchor}-{used[anchor]}"
        token.attrSet("id", anchor)
        headings.append(Heading(int(token.tag[1]), title, anchor))
    return headings


TokenRewriter = Callable[[list[Token]], object]  # any return value is ignored


def render(text: str, *, rewrite: TokenRewriter | None = None) -> str:
    """Markdown to HTML with raw HTML escaped and heading ids added.

    `rewrite` may edit the parsed token stream in place before it is rendered (the glossary uses
    it to link terms); it works on tokens, so the renderer still escapes every piece of text.
    """
    parser = _parser()
    tokens = parser.parse(text)
    _anchor_headings(tokens)
    if rewrite is not None:
        rewrite(tokens)
    return str(parser.renderer.render(tokens, parser.options, {}))


def headings(text: str) -> list[Heading]:
    return _anchor_headings(_parser().parse(text))


@lru_cache(maxsize=4096)
def render_content(text: str) -> str:
    """:func:`render` remembered per text, for course content drawn on every click (a case step's
    node text and debrief): content is the same for everyone and immutable while the process runs,
    and the same text always renders to the same HTML. Never pass learner text: it would be kept
    in memory, shared by nobody but held for everyone.
    """
    return render(text)


def render_inline(text: str) -> str:
    """One paragraph's worth of Markdown (feedback, rationales) without the wrapping <p>."""
    return str(_parser().renderInline(text))


def escape_markdown(text: str) -> str:
    """Make text a person typed (names, titles, reasons) display literally inside Streamlit Markdown.

    Every Markdown punctuation mark is backslash-escaped (CommonMark 0.31 §2.4), and a WORD JOINER
    (U+2060, invisible) goes before each ``.``, ``:`` and ``@``, so no link, image, autolink
    (``www.``, ``https://``, an email address; GFM §6.9), LaTeX (``$``), colour or icon directive
    can come out of it. Only for Markdown contexts: a plain-text place (a selectbox option, a table
    cell, ``st.text``) shows the text as it is.
    """
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return _LINK_STARTERS.sub(lambda found: WORD_JOINER + found.group(), escaped)


SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# A Markdown link or image target, an autolink, or a reference definition, each with a URL scheme.
_LINK_TARGETS = re.compile(
    r"\]\(\s*<?\s*(?P<inline>[A-Za-z][A-Za-z0-9+.\-]*)\s*:"
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.\-]*):[^\s>]*>"
    r"|^\s{0,3}\[[^\]]+\]:\s*<?\s*(?P<reference>[A-Za-z][A-Za-z0-9+.\-]*)\s*:",
    re.MULTILINE,
)


def unsafe_link_schemes(text: str) -> list[str]:
    """URL schemes other than http(s) and mailto in the text's Markdown links.

    Content is shown by `render` and also by Streamlit's own Markdown (widget labels, captions),
    which does not refuse `data:` links, so such links are refused in the content itself. Entities
    are decoded first: `&#106;avascript:` is still javascript.
    """
    decoded = html.unescape(text)
    found = []
    for match in _LINK_TARGETS.finditer(decoded):
        scheme = next(group for group in match.groups() if group).lower()
        if scheme not in SAFE_LINK_SCHEMES:
            found.append(scheme)
    return found
