"""The glossary engine: search, where each term is used, links from module text, and the concept map.

Everything here is a pure function of the parsed course (no Streamlit, no clock, no learner data),
so `build_index` runs once per content version and its result is shared by every learner.

Search ranks in tiers: an exact term or alias, then names that start with the query (or whose
words do), then names that match with typos (rapidfuzz), then terms whose short or long definition
contains every word of the query. Within a tier the higher score wins, then a term's own name
over an alias, then the shorter name.

Search matches words, never fragments inside words: a query word matches a word that equals it,
a word it begins ("transfer" -> "transference"), or, for a typo, a whole word of similar spelling
that starts with the same letter. The first letter is taken as typed because it is the letter a
writer gets wrong least often (Pollock and Zamora, "Automatic spelling correction in scientific
and scholarly text", Communications of the ACM 27(4), 1984); without that rule "mother" is "other"
with one letter added, and would find every definition that says "other".
"""

from __future__ import annotations

import re
import textwrap
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from functools import partial
from urllib.parse import quote

from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from rapidfuzz import fuzz, process

from course.content import Course
from course.markdown import render
from course.schema import ChoiceNode, Term
from course.textkey import fold

# Plain ratio (Indel similarity) of a whole query against a whole term or alias. On the course
# glossary a dropped or swapped letter scores at least 85 against its own name, while the closest
# other name scores far lower: 80 keeps every such typo, and what else passes ranks below it.
FUZZY_NAME_CUTOFF = 80.0
# Plain ratio of one query word against one word of a name or a definition (a typo in a word of 5+
# letters).
FUZZY_WORD_CUTOFF = 85.0
# Below this many characters a fuzzy match is mostly chance ("ab" resembles half the glossary).
MIN_FUZZY_QUERY = 3
# Definition words shorter than this ("a", "of") would match nearly every definition.
MIN_DEFINITION_WORD = 3
# Word-level typo tolerance only for longer words: a typo in "the" would be another word.
MIN_FUZZY_WORD = 5
LINK_CLASS = "glossary-term"
MAP_LABEL_WIDTH = 16  # characters per line of a concept-map label


class MatchKind(IntEnum):
    """How a search hit matched; the value is its rank (lower comes first)."""

    EXACT = 0
    PREFIX = 1
    FUZZY = 2
    DEFINITION = 3


@dataclass(frozen=True)
class SearchHit:
    term: Term
    kind: MatchKind
    matched: str  # the name (term or alias, as written) or the definition word that matched
    score: float  # 0-100 within its kind

    @property
    def via_alias(self) -> bool:
        return self.kind is not MatchKind.DEFINITION and self.matched != self.term.term


@dataclass(frozen=True)
class VignetteStep:
    """A choice in a case whose feedback names the term."""

    vignette_id: str
    vignette_title: str
    node_id: str
    node_title: str
    choice_label: str


@dataclass(frozen=True)
class TermUsage:
    modules: tuple[str, ...]  # ids of modules that teach it (list it in `concepts`), in course order
    mentioned_in: tuple[str, ...]  # ids of other modules whose text names it
    vignettes: tuple[str, ...]  # ids of cases that list it in their `concepts`
    vignette_steps: tuple[VignetteStep, ...]
    questions: int  # quiz items (knowledge checks and assessment) tagged with it


@dataclass(frozen=True)
class TermLinker:
    """Finds glossary names in running text: longest name first, whole words, any case."""

    pattern: re.Pattern[str] | None
    owners: Mapping[str, str]  # name key (see _name_key) -> term id
    titles: Mapping[str, str]  # term id -> short definition, shown as the link's tooltip
    names: Mapping[str, str] = field(default_factory=dict)  # term id -> the term as written


@dataclass(frozen=True)
class GlossaryIndex:
    terms: Mapping[str, Term]  # A-Z by term
    names: tuple[str, ...]  # every term and alias, normalised for search
    name_labels: tuple[str, ...]  # the same names as written
    name_owners: tuple[str, ...]  # the term id of each name
    vocabulary: tuple[str, ...]  # every word of the short and long definitions
    word_owners: Mapping[str, frozenset[str]]  # definition word -> ids of the terms using it
    linker: TermLinker
    usage: Mapping[str, TermUsage]


# --- building -----------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-free words in any script (course.textkey.fold):
    'Counter-Transférence' -> 'counter transference', 'Перенос' -> 'перенос'."""
    return " ".join(re.sub(r"[\W_]+", " ", fold(text)).split())


def build_index(course: Course) -> GlossaryIndex:
    terms = dict(sorted(course.glossary.items(), key=lambda item: (item[1].term.casefold(), item[0])))
    names: list[str] = []
    labels: list[str] = []
    owners: list[str] = []
    word_owners: dict[str, set[str]] = defaultdict(set)
    for term in terms.values():
        for name in (term.term, *term.aliases):
            names.append(normalise(name))
            labels.append(name)
            owners.append(term.id)
        for word in normalise(f"{term.short} {term.long}").split():
            if len(word) >= MIN_DEFINITION_WORD:
                word_owners[word].add(term.id)
    linker = build_linker(terms.values())
    return GlossaryIndex(
        terms=terms,
        names=tuple(names),
        name_labels=tuple(labels),
        name_owners=tuple(owners),
        vocabulary=tuple(sorted(word_owners)),
        word_owners={word: frozenset(ids) for word, ids in word_owners.items()},
        linker=linker,
        usage=where_used(course, linker),
    )


# --- search -------------------------------------------------------------------------------------


MAX_QUERY_CHARS = 100  # longer than any term name or phrase worth searching for


class QueryTooLong(ValueError):
    """A search longer than MAX_QUERY_CHARS (fuzzy matching costs grow with its length)."""


def search(index: GlossaryIndex, query: str, *, limit: int | None = None) -> list[SearchHit]:
    """Terms matching `query`, best first; each term at most once, under its best match.

    Raises :class:`QueryTooLong` for more than MAX_QUERY_CHARS characters, before any matching.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLong(f"Search for at most {MAX_QUERY_CHARS} characters (this has {len(query)}).")
    needle = normalise(query)
    if not needle:
        return []
    best: dict[str, SearchHit] = {}

    def offer(term_id: str, kind: MatchKind, matched: str, score: float) -> None:
        hit = SearchHit(index.terms[term_id], kind, matched, score)
        current = best.get(term_id)
        if current is None or _rank(hit) < _rank(current):
            best[term_id] = hit

    query_words = needle.split()
    for name, label, owner in zip(index.names, index.name_labels, index.name_owners, strict=True):
        if name == needle:
            offer(owner, MatchKind.EXACT, label, 100.0)
        elif name.startswith(needle):
            offer(owner, MatchKind.PREFIX, label, 100.0)
        elif _words_start_with(name.split(), query_words):
            offer(owner, MatchKind.PREFIX, label, 90.0)
    if len(needle) >= MIN_FUZZY_QUERY:
        for name, label, owner in zip(index.names, index.name_labels, index.name_owners, strict=True):
            score = _fuzzy_name_score(name, needle, query_words)
            if score is not None:
                offer(owner, MatchKind.FUZZY, label, score)
        for term_id, (word, score) in _definition_matches(index, query_words).items():
            offer(term_id, MatchKind.DEFINITION, word, score)
    hits = sorted(best.values(), key=_rank)
    return hits if limit is None else hits[:limit]


def _rank(hit: SearchHit) -> tuple[int, float, bool, int, str]:
    # On a tie the term's own name beats an alias, and a shorter name (closer to the query) wins.
    return (hit.kind, -hit.score, hit.via_alias, len(hit.matched), hit.term.term.casefold())


def _words_start_with(name_words: list[str], query_words: list[str]) -> bool:
    """Each query word begins a different word of the name, in order: 'proj ident' -> projective identification."""
    position = 0
    for query_word in query_words:
        while position < len(name_words) and not name_words[position].startswith(query_word):
            position += 1
        if position == len(name_words):
            return False
        position += 1
    return True


def is_typo_of(query_word: str, word: str, cutoff: float = FUZZY_WORD_CUTOFF) -> float | None:
    """The similarity (0-100) when `query_word` reads as a misspelling of the whole `word`, else None.

    Both must start with the same letter (see the module docstring), so a word hidden inside
    another ("other" in "mother", "ther" in "therapeutic") is never taken for a typo of it.
    """
    if not query_word or not word or query_word[0] != word[0]:
        return None
    score = fuzz.ratio(query_word, word, score_cutoff=cutoff)
    return float(score) if score else None


def _fuzzy_name_score(name: str, needle: str, query_words: list[str]) -> float | None:
    """How well a name matches a query with typos, 0-100, or None.

    Either the whole query is a misspelling of the whole name ("projective identifcation"), or each
    query word, in order, begins or misspells a different word of the name ("proj identifcation").
    """
    whole = is_typo_of(needle, name, FUZZY_NAME_CUTOFF)
    words = _word_typo_score(name.split(), query_words)
    found = [score for score in (whole, words) if score is not None]
    return max(found) if found else None


def _word_typo_score(name_words: list[str], query_words: list[str]) -> float | None:
    """The weakest word's score when every query word begins or misspells a later name word, else None."""
    position = 0
    scores: list[float] = []
    for query_word in query_words:
        while position < len(name_words):
            word = name_words[position]
            position += 1
            if word.startswith(query_word):
                scores.append(100.0)
                break
            typo = is_typo_of(query_word, word) if len(query_word) >= MIN_FUZZY_WORD else None
            if typo is not None:
                scores.append(typo)
                break
        else:
            return None
    return min(scores) if scores and min(scores) < 100.0 else None  # all 100: a prefix match, found above


def _definition_matches(index: GlossaryIndex, query_words: list[str]) -> dict[str, tuple[str, float]]:
    """Term id -> (a matched word, score) for terms whose definitions match every query word."""
    words = [w for w in query_words if len(w) >= MIN_DEFINITION_WORD]
    if not words:
        return {}
    result: dict[str, tuple[str, float]] | None = None
    for query_word in words:
        scores: dict[str, tuple[str, float]] = {}
        for word, score in _similar_words(index, query_word):
            for term_id in index.word_owners[word]:
                if term_id not in scores or scores[term_id][1] < score:
                    scores[term_id] = (word, score)
        if result is None:
            result = scores
        else:  # every word must match; a term scores as its weakest word
            result = {
                term_id: min(result[term_id], scores[term_id], key=lambda pair: pair[1])
                for term_id in result.keys() & scores.keys()
            }
    return result or {}


def _similar_words(index: GlossaryIndex, query_word: str) -> Iterator[tuple[str, float]]:
    if query_word in index.word_owners:
        yield query_word, 100.0
    for word in index.vocabulary:
        if word != query_word and word.startswith(query_word):
            yield word, 95.0
    if len(query_word) >= MIN_FUZZY_WORD:
        for word, score, _ in process.extract(
            query_word,
            index.vocabulary,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=FUZZY_WORD_CUTOFF,
            limit=None,
        ):
            if word != query_word and not word.startswith(query_word) and is_typo_of(query_word, word) is not None:
                yield word, float(score)


# --- listing ------------------------------------------------------------------------------------


def a_to_z(terms: Iterable[Term]) -> list[tuple[str, list[Term]]]:
    """Terms grouped under their initial letter, both in alphabetical order."""
    groups: dict[str, list[Term]] = defaultdict(list)
    for term in sorted(terms, key=lambda t: t.term.casefold()):
        initial = normalise(term.term)[:1].upper()
        groups[initial if initial.isalpha() else "#"].append(term)
    return sorted(groups.items())


def module_terms(course: Course, module_id: str) -> frozenset[str]:
    """The term ids a module teaches (its `concepts`); empty for an unknown module."""
    module = course.modules.get(module_id)
    return frozenset(module.meta.concepts) if module else frozenset()


# --- where used ---------------------------------------------------------------------------------


def where_used(course: Course, linker: TermLinker) -> dict[str, TermUsage]:
    modules = sorted(course.modules.values(), key=lambda m: (m.meta.order, m.id))
    teaching: dict[str, list[str]] = defaultdict(list)
    mentioning: dict[str, list[str]] = defaultdict(list)
    for module in modules:
        for concept in module.meta.concepts:
            teaching[concept].append(module.id)
        for term_id in sorted(linked_terms(module.body, linker)):
            if term_id not in module.meta.concepts:
                mentioning[term_id].append(module.id)
    cases: dict[str, list[str]] = defaultdict(list)
    steps: dict[str, list[VignetteStep]] = defaultdict(list)
    for vignette in course.vignettes.values():
        for concept in vignette.concepts:
            cases[concept].append(vignette.id)
        for node in vignette.nodes:
            if not isinstance(node, ChoiceNode):
                continue
            for choice in node.choices:
                for concept in choice.concepts:
                    steps[concept].append(
                        VignetteStep(vignette.id, vignette.title, node.id, node.title or node.id, choice.label)
                    )
    questions: dict[str, int] = defaultdict(int)
    for bank in course.quizzes.values():
        for item in bank.items:
            for concept in set(item.concepts):
                questions[concept] += 1
    return {
        term_id: TermUsage(
            modules=tuple(teaching[term_id]),
            mentioned_in=tuple(mentioning[term_id]),
            vignettes=tuple(cases[term_id]),
            vignette_steps=tuple(steps[term_id]),
            questions=questions[term_id],
        )
        for term_id in course.glossary
    }


# --- links in module text -----------------------------------------------------------------------


def term_url(term_id: str) -> str:
    return f"/glossary?term={quote(term_id)}"


def module_url(module_id: str) -> str:
    return f"/modules?id={quote(module_id)}"


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def build_linker(terms: Iterable[Term]) -> TermLinker:
    owners: dict[str, str] = {}
    titles: dict[str, str] = {}
    names: dict[str, str] = {}
    for term in terms:
        titles[term.id] = " ".join(term.short.split())
        names[term.id] = term.term
        for name in (term.term, *term.aliases):
            owners.setdefault(_name_key(name), term.id)
    if not owners:
        return TermLinker(None, owners, titles, names)
    # Longest first, so "countertransference prescribing" wins over "countertransference" at the
    # same place. Hyphens count as word characters: "transference" inside "counter-transference"
    # is not a separate mention.
    alternatives = [r"\s+".join(map(re.escape, key.split())) for key in sorted(owners, key=len, reverse=True)]
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)
    return TermLinker(pattern, owners, titles, names)


def link_terms(tokens: list[Token], linker: TermLinker, linked: set[str] | None = None) -> set[str]:
    """Link the first mention of each term in a parsed document, in place; return the ids linked.

    A mention becomes a button that opens the term's definition in place, in a native HTML popover
    (``popovertarget``, no script: WHATWG HTML "The popover attribute"), with a link to the term's
    full page: looking a term up never leaves the text being read.

    Only plain text is touched: never headings, code (its tokens hold no text children), the
    text of an existing link, or an image's alt text. Terms already in `linked` are not linked.
    """
    done = set() if linked is None else linked
    if linker.pattern is None:
        return done
    in_heading = False
    for token in tokens:
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline" and not in_heading and token.children:
            token.children = _link_children(token.children, linker, done)
    return done


def _link_children(children: list[Token], linker: TermLinker, linked: set[str]) -> list[Token]:
    result: list[Token] = []
    link_depth = 0
    for child in children:
        if child.type == "link_open":
            link_depth += 1
        elif child.type == "link_close":
            link_depth -= 1
        if child.type == "text" and link_depth == 0:
            result.extend(_link_text(child, linker, linked))
        else:
            result.append(child)
    return result


def _link_text(token: Token, linker: TermLinker, linked: set[str]) -> list[Token]:
    assert linker.pattern is not None
    text = token.content
    pieces: list[Token] = []
    start = 0
    for match in linker.pattern.finditer(text):
        term_id = linker.owners[_name_key(match.group(0))]
        if term_id in linked:
            continue
        linked.add(term_id)
        if match.start() > start:
            pieces.append(_text_token(text[start : match.start()], token.level))
        pieces += [
            _html_token(_term_button_open(term_id, linker)),
            _text_token(match.group(0), token.level + 1),
            _html_token("</button>" + _term_popover(term_id, linker)),
        ]
        start = match.end()
    if not pieces:
        return [token]
    if start < len(text):
        pieces.append(_text_token(text[start:], token.level))
    return pieces


def popover_id(term_id: str) -> str:
    """The id of a term's popover in a page of module text (each term is linked once per page)."""
    return f"glossary-{term_id}"


def _term_button_open(term_id: str, linker: TermLinker) -> str:
    title = escapeHtml(linker.titles[term_id])
    return f'<button type="button" class="{LINK_CLASS}" popovertarget="{popover_id(term_id)}" title="{title}">'


def _term_popover(term_id: str, linker: TermLinker) -> str:
    name = escapeHtml(linker.names.get(term_id, term_id))
    short = escapeHtml(linker.titles[term_id])
    return (
        f'<span id="{popover_id(term_id)}" class="glossary-popover" popover role="note">'
        f"<strong>{name}</strong>: {short} "
        f'<a href="{escapeHtml(term_url(term_id))}">Open the full entry</a></span>'
    )


def _html_token(content: str) -> Token:
    """Markup this module wrote itself (every piece of text in it escaped), passed through as is."""
    return Token("html_inline", "", 0, content=content)


def _text_token(content: str, level: int) -> Token:
    return Token("text", "", 0, content=content, level=level)


def render_linked(text: str, linker: TermLinker) -> str:
    """Module Markdown as HTML, with the first mention of each glossary term linked to its page."""
    return render(text, rewrite=partial(link_terms, linker=linker))


def linked_terms(text: str, linker: TermLinker) -> frozenset[str]:
    """The ids of the glossary terms that `render_linked` would link in this text."""
    found: set[str] = set()
    render(text, rewrite=partial(link_terms, linker=linker, linked=found))
    return frozenset(found)


# --- concept map --------------------------------------------------------------------------------


def _dot_string(text: str, *, wrap: int | None = None) -> str:
    """A DOT string literal: content text can hold quotes, backslashes and newlines.

    With `wrap`, the text is broken into centred lines of about that many characters (DOT's `\\n`).
    """
    lines = textwrap.wrap(text, wrap, break_long_words=False, break_on_hyphens=False) if wrap else [text]
    escaped = (" ".join(line.split()).replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return '"' + "\\n".join(escaped) + '"'


def neighbours(terms: Mapping[str, Term], term_id: str) -> set[str]:
    """Terms related to `term_id` in either direction (a `related` list need not be mirrored)."""
    near = {r for r in terms[term_id].related if r in terms} if term_id in terms else set()
    near |= {other.id for other in terms.values() if term_id in other.related}
    near.discard(term_id)
    return near


def concept_map_dot(terms: Mapping[str, Term], *, focus: str | None = None, only: Collection[str] | None = None) -> str:
    """The terms and their `related` links as an undirected Graphviz graph.

    Each node links to its term page (`URL`) and shows its short definition on hover. With
    `focus`, only that term and its neighbours are drawn, the focus highlighted; with `only`, only
    those terms (a module's concepts, say) and the relations among them.
    """
    shown = set(terms) if focus is None or focus not in terms else {focus} | neighbours(terms, focus)
    if only is not None:
        shown &= set(only)
    lines = [
        "graph concepts {",
        # neato draws a web rather than a hierarchy (relations have no direction). The whole map is
        # scaled to the page's width, so it is packed tight: short edges, no overlaps, and labels
        # wrapped into squarish boxes; in the browser the labels then stay readable at 700 px.
        '  graph [layout=neato, overlap=false, splines=true, sep="+2", bgcolor="transparent", fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#e3f2fd", color="#90caf9", fontname="Helvetica", '
        'fontsize=14, fontcolor="#0d47a1", target="_top"];',
        '  edge [len=0.4, color="#b0bec5"];',
    ]
    for term_id in sorted(shown, key=lambda t: terms[t].term.casefold()):
        term = terms[term_id]
        attrs = [
            f"label={_dot_string(term.term, wrap=MAP_LABEL_WIDTH)}",
            f"URL={_dot_string(term_url(term.id))}",
            f"tooltip={_dot_string(term.short)}",
        ]
        if term_id == focus:
            attrs += ['fillcolor="#1565c0"', 'fontcolor="white"', "penwidth=2"]
        lines.append(f"  {_dot_string(term_id)} [{', '.join(attrs)}];")
    edges = sorted(
        {tuple(sorted((term_id, other))) for term_id in shown for other in terms[term_id].related if other in shown}
    )
    lines += [f"  {_dot_string(a)} -- {_dot_string(b)};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines)
