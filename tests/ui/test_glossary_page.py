"""The glossary page, its term pages and the glossary links in module text, in AppTest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from course import assessment
from course.accounts import User
from course.store.db import Store
from tests.ui.conftest import choose_answer, signed_in, texts

MakeUser = Callable[..., User]
PAGE = "course/ui/pages/glossary.py"
CONTAINMENT_SHORT = (
    "A relationship that helps a person hold and think about feelings that would otherwise overwhelm them."
)
TRANSFERENCE_SHORT = "Meeting a present relationship with patterns learnt in earlier ones."


def link_labels(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def element_protos(node: Any) -> Iterator[Any]:
    """Every element on the page, however deeply nested in columns, expanders and forms."""
    proto = getattr(node, "proto", None)
    if proto is not None:
        yield proto
    for child in getattr(node, "children", {}).values():
        yield from element_protos(child)


def protos_with_glossary_links(at: AppTest) -> list[Any]:
    everything = [*element_protos(at.main), *element_protos(at.sidebar)]
    return [p for p in everything if "glossary?term=" in str(p) or "glossary-term" in str(p)]


def test_a_to_z_lists_every_term_under_its_letter(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    assert not at.exception
    assert texts(at.title) == ["Glossary"]
    assert texts(at.markdown) == ["**C**", "**T**"]
    assert link_labels(at) == ["Containment", "Transference"]
    assert [link.proto.help for link in at.get("page_link")] == [CONTAINMENT_SHORT, TRANSFERENCE_SHORT]


def test_search_tolerates_typos_and_reads_definitions(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    at.text_input(key="glossary-query").input("transfrence").run()
    assert link_labels(at)[0] == "Transference"
    at.text_input(key="glossary-query").input("contained").run()
    assert link_labels(at) == ["Containment"]
    assert texts(at.caption)[2].startswith("Also called “contained”.")
    at.text_input(key="glossary-query").input("earlier").run()
    assert link_labels(at) == ["Transference"]
    assert texts(at.caption)[2].startswith("Found in the definition (“earlier”).")
    at.text_input(key="glossary-query").input("zzzz").run()
    assert link_labels(at) == [] and texts(at.info) == ["No term matches that search."]


def test_search_matches_words_and_typos_of_words_not_fragments(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    for query, found in [
        ("transfer", ["Transference"]),  # the start of a word
        ("containmnet", ["Containment"]),  # a typo of a whole word
        ("earlir", ["Transference"]),  # a typo of a word of the definition
        ("ransference", []),  # a fragment inside a word
        ("ontainment", []),
        ("arlier", []),
        ("pcontainment", []),  # a letter before the word makes another word, not a typo
    ]:
        at.text_input(key="glossary-query").input(query).run()
        assert not at.exception
        assert link_labels(at) == found, query
        assert texts(at.info) == ([] if found else ["No term matches that search."]), query


def test_module_filter_narrows_the_list_and_the_search(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    assert at.selectbox(key="glossary-module").options == ["All modules", "A first module", "A second module"]
    at.selectbox(key="glossary-module").set_value("second").run()
    assert link_labels(at) == ["Transference"]
    [chart] = at.get("graphviz_chart")  # the map shows the module's terms only
    assert '"transference" [' in chart.proto.spec and '"containment"' not in chart.proto.spec
    at.text_input(key="glossary-query").input("containment").run()
    assert link_labels(at) == []
    assert texts(at.info) == ["No term matches that search. Try “All modules”."]


def test_term_page_deep_link_shows_definitions_where_used_and_source(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE, term="containment")
    assert not at.exception
    assert texts(at.title) == ["Containment"]
    assert texts(at.caption)[0] == "Also: contained, containing"
    shown = " ".join(e.proto.body for e in at.get("html"))  # the course's own renderer, not st.markdown
    assert f"<strong>{CONTAINMENT_SHORT}</strong>" in shown
    assert "A fixture definition of containment." in shown and "A fixture example of containment" in shown
    assert texts(at.subheader) == ["When prescribing", "Related terms", "Where it is used", "Source"]
    links = {link.proto.label: link.proto for link in at.get("page_link")}
    assert list(links) == ["All terms", "Transference", "A first module", "A fixture case"]
    assert links["Transference"].query_string == "term=transference"
    assert links["A first module"].query_string == "id=first"
    assert links["A fixture case"].query_string == "id=case"
    assert "At: decide" in texts(at.caption)  # the case step, named by its node (not by the choice)
    markdown = " ".join(texts(at.markdown))
    assert "3 quiz questions are tagged with this term." in markdown
    assert "Author A (2022). A fixture article. Journal of Fixtures 1: 1-2. (Box 3)" in markdown
    # A count only: no question (summative or not) or its options appear on the term page.
    everything = " ".join(str(p) for p in element_protos(at.main))
    assert "Which word names a relationship" not in everything and "Talk about the relationship" not in everything
    [neighbourhood] = at.get("graphviz_chart")
    assert '"containment" [label="Containment"' in neighbourhood.proto.spec


def test_unknown_term_says_so_and_lists_the_terms(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE, term="no-such-term")
    assert texts(at.error) == ["There is no glossary term at this address."]
    assert link_labels(at) == ["Containment", "Transference"]


def test_concept_map_links_each_term_and_the_picker_opens_one(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), PAGE)
    [chart] = at.get("graphviz_chart")
    spec = chart.proto.spec
    assert spec.startswith("graph concepts {")
    assert 'URL="/glossary?term=containment"' in spec and 'URL="/glossary?term=transference"' in spec
    assert f'tooltip="{TRANSFERENCE_SHORT}"' in spec
    assert spec.count('"containment" -- "transference";') == 1
    at.selectbox(key="concept-map-open").set_value("transference").run()
    assert not at.exception
    assert texts(at.title) == ["Transference"]
    assert at.query_params["term"] == "transference"


def test_module_text_links_the_first_mention_of_each_term(app_store: Store, make_user: MakeUser) -> None:
    at = signed_in(app_store, make_user(), "course/ui/pages/modules.py", id="first")
    assert not at.exception
    [body] = [e.proto.body for e in at.get("html")]
    assert '<h2 id="containment">Containment</h2>' in body  # never inside a heading
    # Each first mention opens its definition in place (a native popover) with a link to the full entry.
    assert (
        f'<button type="button" class="glossary-term" popovertarget="glossary-containment" title="{CONTAINMENT_SHORT}">'
        "Containment</button>"
        '<span id="glossary-containment" class="glossary-popover" popover role="note">'
        f"<strong>Containment</strong>: {CONTAINMENT_SHORT} "
        '<a href="/glossary?term=containment">Open the full entry</a></span> and '
        '<button type="button" class="glossary-term" popovertarget="glossary-transference" '
        f'title="{TRANSFERENCE_SHORT}">'
        "transference</button>"
    ) in body
    assert "<style>" in body and ".glossary-popover" in body
    # Only the module text is linked: not the objectives, the knowledge checks or their feedback.
    [linked] = protos_with_glossary_links(at)
    assert linked.body == body
    at.radio(key="pick-first-check-1").set_value("b")
    at.button(key="FormSubmitter:check-first-check-1-Check answer").click().run()
    assert at.error and len(protos_with_glossary_links(at)) == 1


def test_the_assessment_never_shows_glossary_links(
    app_store: Store, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURSE_ASSESSMENT_ITEMS", "5")
    user = make_user()
    at = signed_in(app_store, user, "course/ui/pages/assessment.py")
    at.button(key="start-attempt").click().run()
    attempt = assessment.open_attempt(app_store, user)
    assert attempt is not None
    assert len(at.radio) == 5 and protos_with_glossary_links(at) == []
    for item in attempt.paper:
        choose_answer(at, f"answer-{attempt.id}-{item.item_id}", item.answer)
    at.checkbox[0].check().run()
    at.button(key="submit-attempt").click().run()
    assert not at.exception
    # Three of the six fixture questions name transference and five are drawn: the name is on the
    # page, unlinked.
    assert "transference" in " ".join(str(p) for p in element_protos(at.main)).casefold()
    assert protos_with_glossary_links(at) == []
