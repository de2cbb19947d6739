from __future__ import annotations

from course.markdown import escape_markdown, headings, render, render_content, render_inline, slugify


def test_raw_html_is_escaped_not_rendered() -> None:
    html = render("Hi <script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_dangerous_link_schemes_are_not_links() -> None:
    for scheme in ("javascript:alert(1)", "vbscript:msgbox(1)", "file:///etc/passwd", "data:text/html,x"):
        assert "href" not in render(f"[click]({scheme})")
    assert '<a href="https://example.org">ok</a>' in render("[ok](https://example.org)")


def test_headings_get_unique_stable_anchors() -> None:
    text = "## Key points\n\ntext\n\n## Key points\n\n### Projective identification"
    assert [h.anchor for h in headings(text)] == ["key-points", "key-points-2", "projective-identification"]
    assert '<h2 id="key-points">' in render(text)


def test_slugify_and_inline_and_escape() -> None:
    assert slugify("Containment – in a team?") == "containment-in-a-team"
    assert render_inline("**bold**") == "<strong>bold</strong>"
    assert escape_markdown("[x](javascript:1) *a*") == "\\[x\\]\\(javascript\u2060:1\\) \\*a\\*"
    # Issue 16: autolinks are found after escapes are decoded, so a word joiner breaks them.
    assert escape_markdown("www.x.net https://a.b a@b.co") == (
        "www\u2060.x\u2060.net https\u2060://a\u2060.b a\u2060@b\u2060.co"
    )


def test_render_content_is_render_remembered_per_text() -> None:
    first, second = "# Intro\n\nThe patient asks <b>again</b>.", "# Intro\n\nA different node."
    assert render_content(first) == render(first)
    assert render_content(second) == render(second) != render_content(first)
    assert render_content(first) is render_content(first)  # the same HTML, not rendered again
