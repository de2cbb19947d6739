"""Every XSS corpus payload through `course.markdown`: the HTML it produces never carries a live one.

The rendered HTML is parsed (not searched as a string), so "escaped text that mentions <script>"
passes and "a real <script> element" or "an on* attribute" or "a javascript: href" fails.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from course.markdown import escape_markdown, render, render_inline

CORPUS = Path(__file__).with_name("xss_corpus.txt")
# What CommonMark without raw HTML can produce; anything else came from the payload.
ALLOWED_TAGS = {
    "p", "a", "img", "em", "strong", "code", "pre", "br", "hr", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "s",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src"}
SAFE_SCHEMES = ("http:", "https:", "mailto:", "data:image/")


def payloads() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("# ")]


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.findings.append(f"element <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"event handler {name}= on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                # Browsers ignore ASCII whitespace and control characters inside a scheme.
                squashed = "".join(ch for ch in value if ord(ch) > 0x20).lower()
                if ":" in squashed.split("/")[0] and not squashed.startswith(SAFE_SCHEMES):
                    self.findings.append(f"{name}={value!r} on <{tag}>")


def audit(html: str) -> list[str]:
    parser = _Audit()
    parser.feed(html)
    parser.close()
    return parser.findings


def test_corpus_is_substantial() -> None:
    assert len(payloads()) >= 40


@pytest.mark.parametrize("payload", payloads())
def test_rendered_payload_is_inert(payload: str) -> None:
    for rendered in (render(payload), render_inline(payload), render(f"# {payload}\n\n- {payload}\n\n> {payload}")):
        assert audit(rendered) == [], rendered


def test_the_whole_corpus_as_one_document_is_inert() -> None:
    """Payloads can combine across lines (a reference definition used by an earlier link)."""
    html = render("\n\n".join(payloads()) + "\n\n" + "\n".join(payloads()))
    assert audit(html) == []
    assert "<script" not in html.lower()


def test_the_audit_would_catch_a_live_payload() -> None:
    """The checker itself is not vacuous: raw HTML and a javascript: link are reported."""
    assert audit('<p><img src="x" onerror="alert(1)"></p>') != []
    assert audit('<a href="java\tscript:alert(1)">x</a>') != []
    assert audit("<script>alert(1)</script>") != []


@pytest.mark.parametrize("payload", payloads())
def test_escaped_learner_text_renders_as_the_same_text(payload: str) -> None:
    """`escape_markdown` (names, reasons) makes Markdown show the payload literally, as text."""
    html = render_inline(escape_markdown(payload))
    assert audit(html) == []
    assert "<a " not in html and "<img" not in html


# mdast-util-gfm-autolink-literal's patterns (v2), which Streamlit runs over decoded text nodes.
_GFM_URL = re.compile(r"(https?:\/\/|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
_GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")


@pytest.mark.parametrize(
    "payload",
    [*payloads(), "[o](https://example.net/x) ![i](https://example.net/p.png)", "www.example.net", "a@b.example"],
)
def test_escaped_text_holds_no_autolink_streamlit_would_find(payload: str) -> None:
    """Issue 16: labels, flash messages, cohort names: after `escape_markdown` and decoding, neither a
    bare address nor an email matches the autolink-literal patterns Streamlit applies to text."""
    decoded = unescape(escape_markdown(payload).replace("\\", ""))
    assert not _GFM_URL.search(decoded), decoded
    assert not _GFM_EMAIL.search(decoded), decoded
