"""The glossary: typo-tolerant search, A-Z, a module filter, the concept map, and one page per term.

A term's page is a deep link (`/glossary?term=<id>`). The search index, the where-used table and
the linked module text depend only on the content, so they are cached per content version and
shared by every session; nothing about a learner is cached here.
"""

from __future__ import annotations

import streamlit as st
from markdown_it.common.utils import escapeHtml

from course.content import Course, Module
from course.glossary import (
    MAX_QUERY_CHARS,
    GlossaryIndex,
    MatchKind,
    QueryTooLong,
    SearchHit,
    TermUsage,
    a_to_z,
    build_index,
    concept_map_dot,
    module_terms,
    render_linked,
    search,
)
from course.markdown import render, render_inline
from course.schema import Term
from course.ui import titles

GLOSSARY_PAGE = "course/ui/pages/glossary.py"
MODULES_PAGE = "course/ui/pages/modules.py"
CASES_PAGE = "course/ui/pages/vignettes.py"
ALL_MODULES = ""


@st.cache_resource(max_entries=4, show_spinner=False)
def _cached_index(version: str, _course: Course) -> GlossaryIndex:
    return build_index(_course)


def glossary_index(course: Course) -> GlossaryIndex:
    return _cached_index(course.version, course)


@st.cache_resource(max_entries=256, show_spinner=False)
def _cached_module_html(version: str, module_id: str, _course: Course) -> str:
    return render_linked(_course.modules[module_id].body, glossary_index(_course).linker)


# How a term in module text looks: like a dotted-underlined word that opens its definition in a
# card over the text (the browser's popover: tap outside or press Escape to close).
TERM_STYLE = """<style>
.stHtml button.glossary-term { all: unset; color: inherit; cursor: pointer;
  text-decoration: underline dotted; text-underline-offset: 0.2em; text-decoration-thickness: 1px; }
.stHtml button.glossary-term:focus-visible { outline: 2px solid #1565c0; outline-offset: 2px; border-radius: 2px; }
.stHtml .glossary-popover { max-width: min(28rem, 88vw); padding: 0.8rem 1rem; line-height: 1.5;
  border: 1px solid #90caf9; border-radius: 0.5rem; background: #ffffff; color: #212121;
  box-shadow: 0 6px 24px rgba(0, 0, 0, 0.25); font-weight: 400; font-style: normal; }
.stHtml .glossary-popover a { display: inline-block; margin-top: 0.4rem; }
</style>"""


def linked_module_html(course: Course, module: Module) -> str:
    """A module's text as HTML for st.html, its first mention of each glossary term opening its definition."""
    return TERM_STYLE + _cached_module_html(course.version, module.id, course)


def term_popover(term: Term) -> None:
    """A term as a button that opens its definition in place, with a link to its full entry.

    For the cases: looking a term up mid-case never leaves the step (st.popover opens in the
    browser, with no rerun and no change of page).
    """
    with st.popover(term.term, icon=":material/book:"):
        st.html(f"<p><strong>{escapeHtml(term.term)}</strong>: {render_inline(term.short)}</p>")
        st.page_link(
            GLOSSARY_PAGE, label="Open the full entry", query_params={"term": term.id}, icon=":material/arrow_forward:"
        )


def show_glossary(course: Course, term_id: str | None) -> None:
    index = glossary_index(course)
    if term_id is not None:
        term = index.terms.get(term_id)
        if term is not None:
            titles.set_title(term.term, "Glossary")
            _term_page(course, index, term)
            return
        st.error("There is no glossary term at this address.")
    _list_page(course, index)


def _list_page(course: Course, index: GlossaryIndex) -> None:
    st.title("Glossary")
    st.caption(f"{len(index.terms)} terms. Search names, other names and definitions; small typos are fine.")
    query = st.text_input(
        "Search terms", placeholder="e.g. projective identification", key="glossary-query", max_chars=MAX_QUERY_CHARS
    )
    modules = sorted(course.modules.values(), key=lambda m: (m.meta.order, m.id))
    titles = {m.id: m.meta.title for m in modules}
    module_id = st.selectbox(
        "Taught in module",
        [ALL_MODULES, *titles],
        format_func=lambda value: titles.get(value, "All modules"),
        key="glossary-module",
    )
    allowed = module_terms(course, module_id) if module_id else None
    # Above the list, not after it: at the end of thirty-odd terms nobody would find it.
    with st.expander("Concept map" + (" of this module" if allowed is not None else ""), icon=":material/hub:"):
        st.caption("Each box is a term and each line a relation between two terms. Click a box to open it.")
        st.graphviz_chart(concept_map_dot(index.terms, only=allowed), width="stretch")
        _open_term_picker(index, key="concept-map-open")
    try:
        found = search(index, query) if query.strip() else None
    except QueryTooLong as exc:
        st.error(str(exc))
        return
    if found is not None:
        hits = [hit for hit in found if allowed is None or hit.term.id in allowed]
        if not hits:
            st.info("No term matches that search." + (" Try “All modules”." if allowed is not None else ""))
        for hit in hits:
            _term_link(hit.term, _why(hit))
    else:
        terms = [term for term in index.terms.values() if allowed is None or term.id in allowed]
        for letter, group in a_to_z(terms):
            st.markdown(f"**{letter}**")
            for term in group:
                _term_link(term)


def _why(hit: SearchHit) -> str:
    if hit.kind is MatchKind.DEFINITION:
        return f"Found in the definition (“{hit.matched}”). {hit.term.short}"
    if hit.via_alias:
        return f"Also called “{hit.matched}”. {hit.term.short}"
    return hit.term.short


def _term_link(term: Term, caption: str | None = None) -> None:
    st.page_link(GLOSSARY_PAGE, label=term.term, query_params={"term": term.id}, help=term.short)
    st.caption(caption or term.short)


def _open_term_picker(index: GlossaryIndex, *, key: str) -> None:
    """The keyboard- and screen-reader-friendly way into the map: pick a term, open its page."""
    chosen = st.selectbox(
        "Open a term from the map",
        list(index.terms),
        index=None,
        format_func=lambda term_id: index.terms[term_id].term,
        placeholder="Choose a term",
        key=key,
    )
    if chosen is not None:
        st.switch_page(GLOSSARY_PAGE, query_params={"term": chosen})


def _term_page(course: Course, index: GlossaryIndex, term: Term) -> None:
    st.page_link(GLOSSARY_PAGE, label="All terms", icon=":material/arrow_back:")
    st.title(term.term)
    if term.aliases:
        st.caption("Also: " + ", ".join(term.aliases))
    # Through the course's own renderer (unsafe links refused), like module text.
    st.html(f"<p><strong>{render_inline(term.short)}</strong></p>")
    st.html(render(term.long))
    st.subheader("When prescribing")
    st.html(render(term.example))
    related = [index.terms[r] for r in term.related if r in index.terms]
    if related:
        st.subheader("Related terms")
        for other in related:
            st.page_link(GLOSSARY_PAGE, label=other.term, query_params={"term": other.id}, help=other.short)
        with st.expander("Map of related terms", icon=":material/hub:"):
            st.graphviz_chart(concept_map_dot(index.terms, focus=term.id), width="stretch")
    _where_used(course, index.usage[term.id])
    entry = course.bibliography.get(term.source.ref)
    if entry:
        st.subheader("Source")
        st.markdown(entry.citation + (f" ({term.source.locator})" if term.source.locator else ""))


def _where_used(course: Course, usage: TermUsage) -> None:
    st.subheader("Where it is used")
    if usage.modules:
        st.markdown("**Taught in**")
        for module_id in usage.modules:
            st.page_link(MODULES_PAGE, label=course.modules[module_id].meta.title, query_params={"id": module_id})
    if usage.mentioned_in:
        st.markdown("**Also mentioned in**")
        for module_id in usage.mentioned_in:
            st.page_link(MODULES_PAGE, label=course.modules[module_id].meta.title, query_params={"id": module_id})
    # Cases are named with the steps where it comes up, not the choices themselves: naming the
    # choice that a concept explains would give the case away before it is played.
    steps: dict[str, list[str]] = {}
    for step in usage.vignette_steps:
        titles = steps.setdefault(step.vignette_id, [])
        if step.node_title not in titles:
            titles.append(step.node_title)
    case_ids = list(dict.fromkeys([*usage.vignettes, *steps]))
    if case_ids:
        st.markdown("**In the cases**")
        for vignette_id in case_ids:
            vignette = course.vignettes[vignette_id]
            st.page_link(CASES_PAGE, label=vignette.title, query_params={"id": vignette_id})
            node_titles = steps.get(vignette_id)
            st.caption(("At: " + "; ".join(node_titles)) if node_titles else "The case as a whole")
    if usage.questions:
        plural = "question is" if usage.questions == 1 else "questions are"
        st.markdown(f"{usage.questions} quiz {plural} tagged with this term.")
    if not (usage.modules or usage.mentioned_in or case_ids or usage.questions):
        st.caption("Not used elsewhere in the course yet.")
