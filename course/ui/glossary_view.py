"""A first glossary: search terms, aliases and definitions; one term per deep link (?term=id)."""

from __future__ import annotations

import streamlit as st

from course.content import Course
from course.schema import Term

GLOSSARY_PAGE = "course/ui/pages/glossary.py"


def matches(term: Term, query: str) -> bool:
    needle = query.casefold().strip()
    haystack = " ".join([term.term, *term.aliases, term.short]).casefold()
    return all(word in haystack for word in needle.split())


def show_glossary(course: Course, term_id: str | None) -> None:
    if term_id is not None:
        term = course.glossary.get(term_id)
        if term is None:
            st.error("There is no glossary term at this address.")
        else:
            _term_page(course, term)
            return
    st.title("Glossary")
    query = st.text_input("Search terms", placeholder="e.g. projective identification")
    terms = sorted(course.glossary.values(), key=lambda t: t.term.casefold())
    shown = [t for t in terms if matches(t, query)] if query else terms
    if not shown:
        st.info("No term matches that search.")
    for term in shown:
        st.page_link(GLOSSARY_PAGE, label=term.term, query_params={"term": term.id})
        st.caption(term.short)


def _term_page(course: Course, term: Term) -> None:
    st.page_link(GLOSSARY_PAGE, label="All terms", icon=":material/arrow_back:")
    st.title(term.term)
    if term.aliases:
        st.caption("Also: " + ", ".join(term.aliases))
    st.markdown(f"**{term.short}**")
    st.markdown(term.long)
    st.subheader("When prescribing")
    st.markdown(term.example)
    related = [course.glossary[r] for r in term.related if r in course.glossary]
    if related:
        st.subheader("Related")
        for other in related:
            st.page_link(GLOSSARY_PAGE, label=other.term, query_params={"term": other.id})
    entry = course.bibliography.get(term.source.ref)
    if entry:
        st.caption("Source: " + entry.citation + (f" ({term.source.locator})" if term.source.locator else ""))
