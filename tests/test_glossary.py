"""The glossary engine: search over the real glossary, where-used, module-text links, the concept map."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from course.content import Course, load_course
from course.glossary import (
    LINK_CLASS,
    MIN_DEFINITION_WORD,
    MatchKind,
    SearchHit,
    TermLinker,
    a_to_z,
    build_index,
    build_linker,
    concept_map_dot,
    linked_terms,
    module_terms,
    neighbours,
    normalise,
    render_linked,
    search,
)
from course.schema import SourceRef, Term

REPO = Path(__file__).resolve().parents[1]
FIXTURE_COURSE = REPO / "tests" / "content" / "good"
GLOSSARY_LINK = re.compile(
    r'<button type="button" class="glossary-term" popovertarget="glossary-([a-z0-9-]+)" title="([^"]*)">(.*?)</button>'
)


@cache
def real_course() -> Course:
    report = load_course(REPO)
    assert not report.errors
    return report.course


@cache
def fixture_course() -> Course:
    return load_course(FIXTURE_COURSE).course


def make_term(term_id: str, name: str, *aliases: str, short: str = "A short definition.", long: str = "Long.") -> Term:
    return Term(
        id=term_id,
        term=name,
        aliases=list(aliases),
        short=short,
        long=long,
        example="An example.",
        source=SourceRef(ref="source-a"),
    )


def course_of(*terms: Term) -> Course:
    return Course(glossary={t.id: t for t in terms})


def ids(hits: list[SearchHit]) -> list[str]:
    return [hit.term.id for hit in hits]


# --- search -------------------------------------------------------------------------------------


def misspellings(name: str) -> Iterator[str]:
    """Deterministic typos: drop the middle inner letter; swap the middle pair of inner letters.

    Inner means neither the first nor the last character, and only letters, so each typo is the
    kind a hurried learner makes; a typo that happens to spell the same name is skipped.
    """
    inner = [i for i in range(1, len(name) - 1) if name[i].isalpha()]
    if inner:
        i = inner[len(inner) // 2]
        yield name[:i] + name[i + 1 :]
    pairs = [i for i in inner if i + 1 in inner and name[i] != name[i + 1]]
    if pairs:
        i = pairs[len(pairs) // 2]
        yield name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def test_misspellings_are_deterministic_typos() -> None:
    assert list(misspellings("Transference")) == ["Transfrence", "Transefrence"]
    assert list(misspellings("act out")) == ["act ut", "act uot"]


def test_every_term_alias_and_a_misspelling_of_each_finds_its_term_first() -> None:
    course = real_course()
    index = build_index(course)
    checked: Counter[str] = Counter()
    failures: list[str] = []
    for term in course.glossary.values():
        for name in (term.term, *term.aliases):
            typos = [typo for typo in misspellings(name) if normalise(typo) != normalise(name)]
            assert typos, f"no misspelling generated for {name!r}"
            for query in (name, *typos):
                hits = search(index, query)
                checked[term.id] += 1
                if not hits or hits[0].term.id != term.id:
                    failures.append(f"{query!r} -> {ids(hits)[:3]} (want {term.id})")
    assert failures == []
    names = sum(1 + len(t.aliases) for t in course.glossary.values())
    assert set(checked) == set(course.glossary) and sum(checked.values()) >= 2 * names


def test_the_example_from_the_brief() -> None:
    [first, *_] = search(build_index(real_course()), "projective identifcation")
    assert first.term.id == "projective-identification" and first.kind is MatchKind.FUZZY


def test_ranking_exact_then_prefix_then_fuzzy_then_definition() -> None:
    index = build_index(
        course_of(
            make_term("containment", "Containment", "contained"),
            make_term("container", "Container function"),
            make_term("contentment", "Contentment"),
            make_term("holding", "Holding", short="Being held, as a contained infant is."),
        )
    )
    hits = search(index, "contained")
    assert ids(hits) == ["containment", "container", "holding"]
    assert [h.kind for h in hits] == [MatchKind.EXACT, MatchKind.FUZZY, MatchKind.DEFINITION]
    assert hits[0].via_alias and hits[0].matched == "contained"
    hits = search(index, "contain")
    assert ids(hits) == ["containment", "container", "holding"]  # prefixes, the shorter name first
    assert [h.kind for h in hits] == [MatchKind.PREFIX, MatchKind.PREFIX, MatchKind.DEFINITION]
    assert hits[0].matched == "Containment"  # the term's own name is preferred to an equal alias
    hits = search(index, "contanment")
    assert ids(hits)[:2] == ["containment", "contentment"]
    assert hits[0].kind is MatchKind.FUZZY and hits[0].score > hits[1].score


def test_word_prefixes_and_definition_typos() -> None:
    index = build_index(
        course_of(
            make_term("projective-identification", "Projective identification"),
            make_term(
                "omnipotence", "Omnipotence", short="Feeling able to fix anything; a defence against helplessness."
            ),
        )
    )
    assert ids(search(index, "proj ident")) == ["projective-identification"]
    assert ids(search(index, "ident proj")) == []  # words in order, and no fuzzy name match either
    [hit] = search(index, "helplesness")
    assert (hit.term.id, hit.kind, hit.matched) == ("omnipotence", MatchKind.DEFINITION, "helplessness")
    assert ids(search(index, "defence helplessness")) == ["omnipotence"]
    assert search(index, "defence zebra") == []  # every word must match


def test_short_and_empty_queries() -> None:
    index = build_index(course_of(make_term("acting-out", "Acting out"), make_term("omnipotence", "Omnipotence")))
    assert search(index, "") == search(index, "  - ") == []
    assert ids(search(index, "om")) == ["omnipotence"]  # a prefix still works
    assert search(index, "xq") == []  # too short for typo tolerance
    assert len(search(index, "o", limit=1)) == 1


def test_each_term_appears_once_under_its_best_match() -> None:
    index = build_index(real_course())
    hits = search(index, "attachment")
    assert len(ids(hits)) == len(set(ids(hits)))
    assert hits[0].term.id == "attachment" and hits[0].kind is MatchKind.EXACT


def test_a_to_z_and_module_filter() -> None:
    terms = [make_term("b", "beta"), make_term("a", "Alpha"), make_term("c", "Ångström"), make_term("d", "12-step")]
    assert [(letter, [t.id for t in group]) for letter, group in a_to_z(terms)] == [
        ("#", ["d"]),
        ("A", ["a", "c"]),
        ("B", ["b"]),
    ]
    course = fixture_course()
    assert module_terms(course, "second") == {"transference"}
    assert module_terms(course, "no-such-module") == frozenset()


# --- where used ---------------------------------------------------------------------------------


def test_where_used_names_modules_case_steps_and_counts_questions() -> None:
    usage = build_index(fixture_course()).usage
    containment, transference = usage["containment"], usage["transference"]
    assert containment.modules == ("first",) and containment.mentioned_in == ()
    assert transference.modules == ("first", "second")
    assert [(s.vignette_title, s.node_id, s.choice_label) for s in containment.vignette_steps] == [
        ("A fixture case", "decide", "Talk about the relationship")
    ]
    assert transference.vignettes == ("case",) and containment.vignettes == ()
    assert (containment.questions, transference.questions) == (3, 4)


def test_where_used_on_the_real_course_points_at_existing_content() -> None:
    course = real_course()
    usage = build_index(course).usage
    assert set(usage) == set(course.glossary)
    for term_usage in usage.values():
        assert set(term_usage.modules) <= set(course.modules)
        assert not set(term_usage.modules) & set(term_usage.mentioned_in)
        assert {s.vignette_id for s in term_usage.vignette_steps} <= set(course.vignettes)
    assert usage["containment"].questions > 0


# --- links in module text -----------------------------------------------------------------------


@pytest.fixture
def linker() -> TermLinker:
    return build_linker(
        [
            make_term("containment", "Containment", "contained", short='Holding feelings "safely" & <well>.'),
            make_term("countertransference", "Countertransference", "counter-transference"),
            make_term("countertransference-prescribing", "Countertransference prescribing"),
            make_term("transference", "Transference"),
        ]
    )


def links(html: str) -> list[tuple[str, str, str]]:
    return GLOSSARY_LINK.findall(html)


def test_first_mention_only_any_case_whole_words(linker: TermLinker) -> None:
    html = render_linked("CONTAINMENT matters. Containment again; containments and uncontained do not.", linker)
    assert [(term_id, text) for term_id, _, text in links(html)] == [("containment", "CONTAINMENT")]


def test_alias_links_to_its_term_and_the_title_carries_the_escaped_short_definition(linker: TermLinker) -> None:
    html = render_linked("She felt contained. Later, containment.", linker)
    expected_title = "Holding feelings &quot;safely&quot; &amp; &lt;well&gt;."
    assert (
        f'<button type="button" class="{LINK_CLASS}" popovertarget="glossary-containment" title="{expected_title}">'
        "contained</button>"
        f'<span id="glossary-containment" class="glossary-popover" popover role="note"><strong>Containment</strong>: '
        f'{expected_title} <a href="/glossary?term=containment">Open the full entry</a></span>'
    ) in html
    assert len(links(html)) == 1


def test_longest_name_wins_and_hyphenated_words_are_one_word(linker: TermLinker) -> None:
    html = render_linked("Countertransference prescribing, then counter-transference, then transference.", linker)
    assert [(term_id, text) for term_id, _, text in links(html)] == [
        ("countertransference-prescribing", "Countertransference prescribing"),
        ("countertransference", "counter-transference"),
        ("transference", "transference"),
    ]
    html = render_linked("Counter-transference first.", linker)
    assert [term_id for term_id, _, _ in links(html)] == ["countertransference"]


def test_never_in_headings_code_or_existing_links(linker: TermLinker) -> None:
    text = (
        "## Containment\n\n"
        "`containment` in code, [containment](https://example.org) in a link, "
        "![containment](pic.png) in an image.\n\n"
        "```\ncontainment\n```\n\n"
        "    containment indented code\n\n"
        "Now **containment** in bold.\n"
    )
    html = render_linked(text, linker)
    assert '<h2 id="containment">Containment</h2>' in html
    assert "<code>containment</code>" in html
    assert '<a href="https://example.org">containment</a>' in html
    assert 'alt="containment"' in html
    assert "<pre><code>containment\n</code></pre>" in html
    assert [(term_id, text) for term_id, _, text in links(html)] == [("containment", "containment")]
    assert "<strong><button " in html


def test_html_in_the_text_stays_escaped(linker: TermLinker) -> None:
    html = render_linked("<script>alert(1)</script> containment & <b>transference</b>", linker)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; " in html
    assert " &amp; &lt;b&gt;" in html
    assert [term_id for term_id, _, _ in links(html)] == ["containment", "transference"]


def test_real_modules_link_each_term_at_most_once_and_never_in_a_heading() -> None:
    course = real_course()
    index = build_index(course)
    for module in course.modules.values():
        html = render_linked(module.body, index.linker)
        found = [term_id for term_id, _, _ in links(html)]
        assert found, module.id
        assert len(found) == len(set(found)), module.id
        assert set(found) == linked_terms(module.body, index.linker)
        assert not re.search(r"<h[1-6][^>]*>[^<]*<(a|button) ", html), module.id
        for term_id, title, _ in links(html):
            assert title == " ".join(course.glossary[term_id].short.split()).replace('"', "&quot;")
            # Each mention opens its own definition in place, with the way to the full entry.
            popover = re.search(
                rf'<span id="glossary-{term_id}" class="glossary-popover" popover[^>]*>(.*?)</span>', html
            )
            assert popover is not None, term_id
            assert f"{title} " in popover.group(1) and f'href="/glossary?term={term_id}"' in popover.group(1)


def test_an_empty_glossary_links_nothing() -> None:
    assert render_linked("Containment.", build_linker([])) == "<p>Containment.</p>\n"


# --- concept map --------------------------------------------------------------------------------


def test_concept_map_has_every_term_with_a_link_and_each_relation_once() -> None:
    course = real_course()
    dot = concept_map_dot(course.glossary)
    assert dot.startswith("graph concepts {") and dot.endswith("}")
    for term in course.glossary.values():
        assert f'URL="/glossary?term={term.id}"' in dot
    assert 'label="Countertransference\\nprescribing"' in dot  # long labels wrap into squarish boxes
    pairs = {tuple(sorted((t.id, r))) for t in course.glossary.values() for r in t.related}
    edges = re.findall(r'^  "([a-z0-9-]+)" -- "([a-z0-9-]+)";$', dot, re.MULTILINE)
    assert sorted(edges) == sorted(pairs)


def test_concept_map_focus_and_quoting() -> None:
    terms = {
        "a": make_term("a", 'Say "hi"\\', short="Line one\nline two"),
        "b": make_term("b", "Bee"),
        "c": make_term("c", "Sea"),
    }
    terms["b"] = terms["b"].model_copy(update={"related": ["a"]})
    assert neighbours(terms, "a") == {"b"}
    dot = concept_map_dot(terms, focus="a")
    assert 'label="Say \\"hi\\"\\\\"' in dot and 'tooltip="Line one line two"' in dot
    assert '"c"' not in dot and '"a" -- "b";' in dot
    assert 'fillcolor="#1565c0"' in dot
    assert '"c" [' in concept_map_dot(terms, focus="no-such-term")
    only = concept_map_dot(terms, only={"b", "c"})
    assert '"b" [' in only and '"c" [' in only and '"a"' not in only and " -- " not in only


def test_search_ignores_accents_and_keeps_every_script() -> None:
    """Issue 15: the glossary search folds like the name search (course.textkey), in any script.

    Before, normalising kept ASCII only: a Cyrillic or Greek query became empty and found nothing.
    """
    index = build_index(
        course_of(
            make_term("transference", "Transference", "Перенос", "Μεταβίβαση"),
            make_term("omnipotence", "Omnipotence", "Toute-puissance"),
        )
    )
    assert ids(search(index, "TRANSFÉRENCE")) == ["transference"]
    assert ids(search(index, "перенос")) == ["transference"]
    assert ids(search(index, "ПЕРЕ")) == ["transference"]
    assert ids(search(index, "μεταβιβαση")) == ["transference"]
    assert ids(search(index, "toute puissance")) == ["omnipotence"]
    assert normalise("Counter-Transférence") == "counter transference" and normalise("Søren") == "soren"


def test_search_matches_words_never_fragments_inside_words() -> None:
    index = build_index(
        course_of(
            make_term("idealisation", "Idealisation", short="Seeing the mother, or the prescriber, as all good."),
            make_term("proxy", "Experience by proxy", short="Living a treatment through the other person."),
            make_term("mania", "Therapeutic mania", short="Adding drug after drug."),
        )
    )
    # "mother" holds "other", and "other" holds "ther": neither fragment counts as a match.
    assert ids(search(index, "mother")) == ["idealisation"]
    assert ids(search(index, "other")) == ["proxy"]
    assert ids(search(index, "herapeutic")) == []  # a word with its first letter lost is a fragment
    assert ids(search(index, "rapeutic mania")) == []
    # Words and word starts still match, and so do typos of whole words (same first letter).
    assert ids(search(index, "ther")) == ["mania"]
    assert ids(search(index, "moter")) == ["idealisation"]
    assert ids(search(index, "therapuetic")) == ["mania"]
    assert ids(search(index, "exper by prxy")) == ["proxy"]
    assert search(index, "mother")[0].matched == "mother"


def test_no_name_is_found_through_a_fragment_of_its_words() -> None:
    """The kind, over the real glossary: each name with the first letter of every word cut off
    (or another letter put in front, as "m" makes "mother" of "other") is a set of fragments, and
    must not find that name."""
    index = build_index(real_course())
    found: list[str] = []
    for term in real_course().glossary.values():
        for name in (term.term, *term.aliases):
            words = [w for w in normalise(name).split() if len(w) >= MIN_DEFINITION_WORD + 1]
            if not words:
                continue
            for query in (" ".join(w[1:] for w in words), " ".join(("b" if w[0] == "m" else "m") + w for w in words)):
                for hit in search(index, query):
                    if hit.term.id == term.id and hit.kind is not MatchKind.DEFINITION:
                        found.append(f"{query!r} -> {hit.matched!r} ({hit.kind.name})")
    assert found == []
