"""Load and validate all course content.

Reading and validating are split: `read_*` functions turn a file into (data, line map); the
`parse_*` functions validate plain data against the schema, so most tests need no files. The
cross-file rules (ids that must exist, vignette graphs) run once everything is parsed, and every
problem is collected — the author sees all of them at once, sorted, each with a hint.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from course import graph, item_audit
from course.markdown import headings, unsafe_link_schemes
from course.prescribing import looks_like_medication_count, prescribing_phrase, safety_note_gaps
from course.problems import ContentError, Problem, Severity, format_path
from course.schema import (
    SCHEMAS,
    BibEntry,
    Bibliography,
    Choice,
    ChoiceNode,
    Glossary,
    ModuleMeta,
    PrescribingAction,
    QuizBank,
    QuizItem,
    QuizMode,
    SectionRef,
    SourceKind,
    SourceRef,
    Term,
    Vignette,
)
from course.yamlio import YamlDoc, decode, parse_yaml

CONTENT_FOLDERS = ("modules", "quizzes", "vignettes", "glossary", "references")
_SUFFIXES = {"modules": (".md",)} | {f: (".yaml", ".yml") for f in CONTENT_FOLDERS[1:]}
SHORT_DEFINITION_WORDS = 30
CHECKS_PER_MODULE = (2, 4)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Module:
    meta: ModuleMeta
    body: str
    path: str
    body_line: int
    version: str

    @property
    def id(self) -> str:
        return self.meta.id


@dataclass(frozen=True)
class Course:
    modules: dict[str, Module] = field(default_factory=dict)
    quizzes: dict[str, QuizBank] = field(default_factory=dict)
    vignettes: dict[str, Vignette] = field(default_factory=dict)
    glossary: dict[str, Term] = field(default_factory=dict)
    bibliography: dict[str, BibEntry] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)  # "kind:id" -> hash of its file
    version: str = ""  # hash over every content file: changes when anything changes

    def version_of(self, kind: str, item_id: str) -> str:
        return self.versions.get(f"{kind}:{item_id}", self.version)

    def items(self) -> dict[str, QuizItem]:
        """Every quiz item by id, formative and summative (built once: the course never changes)."""
        return self._items_by_id

    @cached_property
    def _items_by_id(self) -> dict[str, QuizItem]:
        return {item.id: item for bank in self.quizzes.values() for item in bank.items}

    def checks_for(self, module_id: str) -> list[QuizItem]:
        return [
            item
            for bank in self.quizzes.values()
            for item in bank.items
            if item.module == module_id and QuizMode.FORMATIVE in item.modes
        ]


@dataclass(frozen=True)
class LoadReport:
    course: Course
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def ok(self, *, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)


# --- validating plain data ----------------------------------------------------------------------


def _collect_field_names() -> list[str]:
    names: set[str] = set()
    todo: list[type[BaseModel]] = list(SCHEMAS.values())
    done: set[type[BaseModel]] = set()
    while todo:
        model = todo.pop()
        if model in done:
            continue
        done.add(model)
        for name, info in model.model_fields.items():
            names.add(name)
            todo.extend(_models_in(info.annotation))
    return sorted(names)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_models_in(arg))
    for meta in getattr(annotation, "__metadata__", ()) or ():
        found.extend(_models_in(meta))
    return found


_ALL_FIELDS = _collect_field_names()


def parse(model: type[M], data: Any, file: str = "<data>", doc: YamlDoc | None = None) -> M:
    """Validate plain data against a schema model; raise ContentError with located problems."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        doc = doc or YamlDoc(data=data)
        raise ContentError([_problem_from(err, data, file, doc) for err in exc.errors()]) from None


def _problem_from(err: Any, data: Any, file: str, doc: YamlDoc) -> Problem:
    located: list[str | int] = []
    shown: list[str | int] = []
    cursor = data
    loc = tuple(err["loc"])
    for i, part in enumerate(loc):
        in_dict = isinstance(cursor, dict) and isinstance(part, str) and part in cursor
        in_list = isinstance(cursor, list) and isinstance(part, int) and 0 <= part < len(cursor)
        if in_dict or in_list:
            located.append(part)
            shown.append(part)
            cursor = cursor[part]
        elif i == len(loc) - 1 and isinstance(part, str) and not part.startswith(("function-", "union[")):
            shown.append(part)  # a missing field: show its name, point at its parent's line
    kind = err["type"]
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    hint = _hint_for(kind, shown)
    return Problem(file, doc.line_of(tuple(located)), format_path(tuple(shown)), message, hint)


def _hint_for(kind: str, shown: list[str | int]) -> str:
    name = shown[-1] if shown else ""
    if kind == "missing":
        return f"add `{name}:`; `python -m course schema` lists every field"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(name), _ALL_FIELDS, n=1)
        return f"did you mean `{close[0]}`?" if close else "remove it; `python -m course schema` lists every field"
    if kind == "string_pattern_mismatch":
        return "ids are lower-case words joined by hyphens, e.g. projective-identification"
    if kind in {"string_too_short", "too_short"}:
        return "this may not be empty"
    if kind == "union_tag_invalid":
        return "kind must be one of narrative, choice, reflection, ending"
    return ""


# --- reading files ------------------------------------------------------------------------------


def read_yaml_file(path: Path, file: str) -> YamlDoc:
    doc = parse_yaml(decode(path.read_bytes(), file), file)
    if not isinstance(doc.data, dict):
        raise ContentError([Problem(file, 1, "", "the top level must be a mapping of fields")])
    return doc


def read_module_text(text: str, file: str) -> tuple[YamlDoc, str, int]:
    """Split a module into front matter (parsed) and Markdown body; return the body's first line."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(
            [Problem(file, 1, "", "a module must start with YAML front matter", "put `---` on the first line")]
        )
    end = next((n for n, line in enumerate(lines[1:], start=1) if line.strip() == "---"), 0)
    if not end:
        raise ContentError(
            [Problem(file, 1, "", "front matter is not closed", "end it with a line holding only `---`")]
        )
    doc = parse_yaml("".join(lines[1:end]), file, line_offset=1)
    if not isinstance(doc.data, dict):
        raise ContentError([Problem(file, 2, "", "front matter must be a mapping of fields")])
    return doc, "".join(lines[end + 1 :]), end + 2


def parse_module(text: str, file: str, version: str = "") -> Module:
    doc, body, body_line = read_module_text(text, file)
    meta = parse(ModuleMeta, doc.data, file, doc)
    if not body.strip():
        raise ContentError([Problem(file, body_line, "", "the module has no body text")])
    return Module(meta=meta, body=body, path=file, body_line=body_line, version=version)


# --- the whole course ---------------------------------------------------------------------------


@dataclass
class _Loaded:
    """Parsed files plus where things are, for cross-file checks."""

    course: Course
    docs: dict[str, YamlDoc] = field(default_factory=dict)  # file -> doc (for line lookups)
    where: dict[str, tuple[str, tuple[str | int, ...]]] = field(default_factory=dict)  # "kind:id" -> place
    problems: list[Problem] = field(default_factory=list)
    failed_folders: set[str] = field(default_factory=set)  # a folder with a file that did not parse
    anchors: dict[str, list[str]] = field(default_factory=dict)  # module id -> its heading anchors

    def place(self, kind: str, item_id: str, file: str, path: tuple[str | int, ...]) -> None:
        key = f"{kind}:{item_id}"
        if key in self.where:
            first_file, first_path = self.where[key]
            self.error(
                file,
                (*path, "id"),
                f"duplicate {kind} id '{item_id}'",
                f"first defined at {first_file}:{self.line(first_file, first_path)}",
            )
        else:
            self.where[key] = (file, path)

    def line(self, file: str, path: tuple[str | int, ...]) -> int:
        doc = self.docs.get(file)
        return doc.line_of(path) if doc else 1

    def error(self, file: str, path: tuple[str | int, ...], message: str, hint: str = "") -> None:
        self.problems.append(Problem(file, self.line(file, path), format_path(path), message, hint))

    def warn(self, file: str, path: tuple[str | int, ...], message: str, hint: str = "") -> None:
        self.problems.append(Problem(file, self.line(file, path), format_path(path), message, hint, Severity.WARNING))


def discover(root: Path) -> tuple[list[tuple[str, Path]], list[Problem]]:
    """List content files as (folder, path); refuse anything that resolves outside its folder."""
    found: list[tuple[str, Path]] = []
    problems: list[Problem] = []
    for folder in CONTENT_FOLDERS:
        base = (root / folder).resolve()
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base.parent).as_posix() if path.is_relative_to(base.parent) else str(path)
            if path.is_dir() or path.name.startswith(".") or path.name.lower() == "readme.md":
                continue
            if not path.resolve().is_relative_to(base):
                problems.append(
                    Problem(rel, 1, "", "path resolves outside the content folders", "copy the file in; no links")
                )
            elif path.suffix.lower() not in _SUFFIXES[folder]:
                problems.append(
                    Problem(
                        rel,
                        1,
                        "",
                        f"ignored: {folder}/ holds {' or '.join(_SUFFIXES[folder])} files",
                        "rename or move it",
                        Severity.WARNING,
                    )
                )
            else:
                found.append((folder, path))
    return found, problems


def load_course(root: Path, only: Iterable[Path] | None = None) -> LoadReport:
    """Load and check every content file under `root`. With `only`, report just those files."""
    root = root.resolve()
    files, problems = discover(root)
    loaded = _Loaded(course=Course(), problems=problems)
    digests: list[str] = []
    for folder, path in files:
        file = path.relative_to(root).as_posix()
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()[:12]
        digests.append(f"{file}:{digest}")
        try:
            _load_file(loaded, folder, path, file, digest)
        except ContentError as exc:
            loaded.problems.extend(exc.problems)
            loaded.failed_folders.add(folder)
    course = loaded.course
    course.modules.update(dict(sorted(course.modules.items(), key=lambda kv: (kv[1].meta.order, kv[0]))))
    object.__setattr__(course, "version", hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()[:12])
    _check_references(loaded)
    selected = loaded.problems
    if only is not None:
        wanted, outside = _select(root, only)
        selected = [p for p in selected if p.file in wanted] + outside
    return LoadReport(course=course, problems=sorted(set(selected)))


def _select(root: Path, only: Iterable[Path]) -> tuple[set[str], list[Problem]]:
    wanted: set[str] = set()
    outside: list[Problem] = []
    folders = [(root / f).resolve() for f in CONTENT_FOLDERS]
    for raw in only:
        path = raw.resolve()
        if not any(path.is_relative_to(f) for f in folders):
            outside.append(
                Problem(
                    str(raw),
                    1,
                    "",
                    "path is outside the content folders",
                    f"content lives in {', '.join(f + '/' for f in CONTENT_FOLDERS)} under {root}",
                )
            )
        elif not path.is_file():
            outside.append(Problem(str(raw), 1, "", "no such file"))
        else:
            wanted.add(path.relative_to(root).as_posix())
    return wanted, outside


def _load_file(loaded: _Loaded, folder: str, path: Path, file: str, digest: str) -> None:
    course = loaded.course
    if folder == "modules":
        text = decode(path.read_bytes(), file)
        doc, _, _ = read_module_text(text, file)
        loaded.docs[file] = doc
        module = parse_module(text, file, digest)
        _check_links(loaded, file, doc.data)
        for offset, body_line in enumerate(module.body.splitlines()):
            _check_links(loaded, file, body_line, ("body",), line=module.body_line + offset)
        loaded.place("module", module.id, file, ())
        course.modules.setdefault(module.id, module)
        course.versions.setdefault(f"module:{module.id}", digest)
        for i, objective in enumerate(module.meta.objectives):
            loaded.place("objective", objective.id, file, ("objectives", i))
        return
    doc = read_yaml_file(path, file)
    loaded.docs[file] = doc
    _check_links(loaded, file, doc.data)
    if folder == "quizzes":
        bank = parse(QuizBank, doc.data, file, doc)
        loaded.place("quiz bank", bank.id, file, ())
        course.quizzes.setdefault(bank.id, bank)
        course.versions.setdefault(f"quiz:{bank.id}", digest)
        for i, item in enumerate(bank.items):
            loaded.place("quiz item", item.id, file, ("items", i))
            course.versions.setdefault(f"item:{item.id}", digest)
    elif folder == "vignettes":
        vignette = parse(Vignette, doc.data, file, doc)
        loaded.place("vignette", vignette.id, file, ())
        course.vignettes.setdefault(vignette.id, vignette)
        course.versions.setdefault(f"vignette:{vignette.id}", digest)
    elif folder == "glossary":
        glossary = parse(Glossary, doc.data, file, doc)
        for i, term in enumerate(glossary.terms):
            loaded.place("glossary term", term.id, file, ("terms", i))
            course.glossary.setdefault(term.id, term)
            course.versions.setdefault(f"term:{term.id}", digest)
    else:
        bibliography = parse(Bibliography, doc.data, file, doc)
        for i, entry in enumerate(bibliography.references):
            loaded.place("reference", entry.id, file, ("references", i))
            course.bibliography.setdefault(entry.id, entry)


def _check_links(loaded: _Loaded, file: str, value: Any, path: tuple[str | int, ...] = (), line: int = 0) -> None:
    """Every text in a file may link only to http(s), mailto or within the course."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_links(loaded, file, item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_links(loaded, file, item, (*path, i))
    elif isinstance(value, str):
        for scheme in dict.fromkeys(unsafe_link_schemes(value)):
            problem = Problem(
                file,
                line or loaded.line(file, path),
                format_path(path),
                f"a link to '{scheme}:' is not allowed",
                "link to an https:// address or a page of the course",
            )
            loaded.problems.append(problem)


# --- cross-file rules ---------------------------------------------------------------------------


_DEFINED_IN = {
    "glossary term": "glossary",
    "module": "modules",
    "objective": "modules",
    "reference": "references",
}


def _check_references(loaded: _Loaded) -> None:
    course = loaded.course
    used_terms: set[str] = set()
    used_refs: set[str] = set()
    objectives = {o.id: m.id for m in course.modules.values() for o in m.meta.objectives}

    def need(ids: Mapping[str, object], value: str, kind: str, file: str, path: tuple[str | int, ...]) -> None:
        # When the file defining such ids failed to parse, the missing id is most likely in it:
        # report the parse error alone rather than burying it under a cascade of "unknown" lines.
        if value not in ids and _DEFINED_IN[kind] not in loaded.failed_folders:
            close = difflib.get_close_matches(value, list(ids), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"no {kind} has this id"
            loaded.error(file, path, f"unknown {kind} '{value}'", hint)

    def source(ref: SourceRef, file: str, path: tuple[str | int, ...]) -> None:
        used_refs.add(ref.ref)
        need(course.bibliography, ref.ref, "reference", file, (*path, "ref"))

    for module in course.modules.values():
        file, meta = module.path, module.meta
        for i, concept in enumerate(meta.concepts):
            used_terms.add(concept)
            need(course.glossary, concept, "glossary term", file, ("concepts", i))
        for i, prerequisite in enumerate(meta.prerequisites):
            if prerequisite == meta.id:
                loaded.error(file, ("prerequisites", i), "a module cannot be its own prerequisite")
            else:
                need(course.modules, prerequisite, "module", file, ("prerequisites", i))
        for i, ref in enumerate(meta.references):
            source(ref, file, ("references", i))
        _check_module_body(loaded, module)
        checks = len(course.checks_for(meta.id))
        low, high = CHECKS_PER_MODULE
        if not low <= checks <= high and "quizzes" not in loaded.failed_folders:
            loaded.warn(
                file,
                ("id",),
                f"module has {checks} knowledge checks; aim for {low} to {high}",
                f"add items with `module: {meta.id}` and `modes: [formative]` in quizzes/",
            )
    cycle = graph.find_cycle({m.id: list(m.meta.prerequisites) for m in course.modules.values()})
    if cycle:
        first = course.modules[cycle[0]]
        loaded.error(
            first.path,
            ("prerequisites",),
            f"prerequisites form a cycle: {' -> '.join(cycle)}",
            "break the loop",
        )

    for bank in course.quizzes.values():
        file = loaded.where[f"quiz bank:{bank.id}"][0]
        for i, item in enumerate(bank.items):
            base: tuple[str | int, ...] = ("items", i)
            for j, objective in enumerate(item.objectives):
                need(objectives, objective, "objective", file, (*base, "objectives", j))
            for j, concept in enumerate(item.concepts):
                need(course.glossary, concept, "glossary term", file, (*base, "concepts", j))
            source(item.source, file, (*base, "source"))
            if item.module is not None:
                need(course.modules, item.module, "module", file, (*base, "module"))
            _check_key_length(loaded, item, file, base)
            for j, option in enumerate(item.options):
                blanket = "all of the above" in option.text.casefold() or "none of the above" in option.text.casefold()
                if blanket and not item.all_of_the_above:
                    loaded.warn(
                        file,
                        (*base, "options", j, "text"),
                        "avoid 'all/none of the above' options",
                        "write a homogeneous, plausible distractor",
                    )

    if "quizzes" not in loaded.failed_folders:
        _check_item_cues(loaded)

    for term in course.glossary.values():
        file, path = loaded.where[f"glossary term:{term.id}"]
        for j, related in enumerate(term.related):
            if related == term.id:
                loaded.error(file, (*path, "related", j), "a term cannot be related to itself")
            else:
                need(course.glossary, related, "glossary term", file, (*path, "related", j))
        source(term.source, file, (*path, "source"))
        words = len(term.short.split())
        if words > SHORT_DEFINITION_WORDS:
            loaded.warn(
                file,
                (*path, "short"),
                f"short definition has {words} words",
                f"keep it to {SHORT_DEFINITION_WORDS} words; put the rest in `long`",
            )
    _check_term_names(loaded)

    for vignette in course.vignettes.values():
        file = loaded.where[f"vignette:{vignette.id}"][0]
        source(vignette.source, file, ("source",))
        for i, concept in enumerate(vignette.concepts):
            used_terms.add(concept)
            need(course.glossary, concept, "glossary term", file, ("concepts", i))
        for problem in graph.check_vignette(vignette):
            path, message, hint, severity = problem
            if severity is Severity.ERROR:
                loaded.error(file, path, message, hint)
            else:
                loaded.warn(file, path, message, hint)
        for i, node in enumerate(vignette.nodes):
            if isinstance(node, ChoiceNode):
                for j, choice in enumerate(node.choices):
                    here: tuple[str | int, ...] = ("nodes", i, "choices", j)
                    if choice.safety is not None:
                        for k, ref in enumerate(choice.safety.sources):
                            source(ref, file, (*here, "safety", "sources", k))
                    _check_prescribing(loaded, vignette, choice, file, here)
            for j, choice in enumerate(getattr(node, "choices", [])):
                for k, concept in enumerate(choice.concepts):
                    used_terms.add(concept)
                    need(
                        course.glossary,
                        concept,
                        "glossary term",
                        file,
                        ("nodes", i, "choices", j, "concepts", k),
                    )
                for k, ref in enumerate(choice.learn_more):
                    _check_section(loaded, ref, file, ("nodes", i, "choices", j, "learn_more", k))

    for entry in course.bibliography.values():
        file, path = loaded.where[f"reference:{entry.id}"]
        if entry.cited_in is not None:
            cited_in = course.bibliography.get(entry.cited_in)
            if cited_in is None or cited_in.kind is not SourceKind.SOURCE_ARTICLE:
                loaded.error(
                    file,
                    (*path, "cited_in"),
                    f"'{entry.cited_in}' is not a source article in the bibliography",
                )
            used_refs.add(entry.cited_in)
        if entry.id not in used_refs and not loaded.failed_folders:
            loaded.warn(file, (*path, "id"), f"reference '{entry.id}' is never cited", "cite it or remove it")
    for term in course.glossary.values():
        if term.id not in used_terms and not loaded.failed_folders & {"modules", "vignettes"}:
            file, path = loaded.where[f"glossary term:{term.id}"]
            loaded.warn(
                file,
                (*path, "id"),
                f"glossary term '{term.id}' is not taught by any module",
                "add it to `concepts`",
            )


def _check_item_cues(loaded: _Loaded) -> None:
    """The item audit (course.item_audit): item flaws where they are, bank cue statistics per bank."""
    located: dict[str, tuple[str, tuple[str | int, ...]]] = {}
    items: list[QuizItem] = []
    for bank in loaded.course.quizzes.values():
        file = loaded.where[f"quiz bank:{bank.id}"][0]
        for i, item in enumerate(bank.items):
            located.setdefault(item.id, (file, ("items", i)))
            items.append(item)
    for audit in item_audit.audit_course_items(items):
        for audited in audit.items:
            file, base = located[audited.item_id]
            for flaw in audited.flaws():
                loaded.warn(file, base, f"{audited.item_id}: {flaw.message}", flaw.hint)
        if not audit.items:
            continue
        file, _ = min(located[i.item_id] for i in audit.items)
        for threshold, value in audit.breaches():
            loaded.warn(
                file,
                (),
                f"{audit.name}: {threshold.name} is {value:.2f}; the limit is {threshold.limit:.2f} ({threshold.why})",
                "`python -m course items audit` shows the statistic for every item",
            )


# What each prescribing action's label must name, as word stems (the label says what it does).
_ACTION_WORDS: dict[PrescribingAction, tuple[str, ...]] = {
    PrescribingAction.START: ("start", "begin", "prescrib", "try", "offer", "add", "agree to"),
    PrescribingAction.RAISE: ("increas", "rais", "higher dose", "up the dose", "double"),
    PrescribingAction.COMBINE: ("add", "combin", "pairing", "alongside", "augment", "second"),
    PrescribingAction.SWITCH: ("switch", "chang", "replac", "swap", "new", "instead", "try"),
    PrescribingAction.REDUCE: ("reduc", "lower", "decreas", "cut", "halv", "taper", "wean", "back down", "step down"),
    PrescribingAction.STOP: ("stop", "withdraw", "discontinu", "come off", "coming off", "taper off"),
}
_ACTION_VERB = {
    PrescribingAction.START: "starts a medicine",
    PrescribingAction.RAISE: "raises the dose of a medicine",
    PrescribingAction.COMBINE: "combines medicines",
    PrescribingAction.SWITCH: "switches a medicine",
    PrescribingAction.REDUCE: "reduces the dose of a medicine",
    PrescribingAction.STOP: "stops a medicine",
}
_ACTION_HINT = {
    PrescribingAction.START: "start, prescribe, try, add",
    PrescribingAction.RAISE: "increase, raise",
    PrescribingAction.COMBINE: "add, combine, augment",
    PrescribingAction.SWITCH: "switch, change to, replace, try a new one",
    PrescribingAction.REDUCE: "reduce, lower, taper, bring back down",
    PrescribingAction.STOP: "stop, withdraw, come off",
}
_ACTIONS = "|".join(action.value for action in PrescribingAction)


def _check_prescribing(
    loaded: _Loaded, vignette: Vignette, choice: Choice, file: str, here: tuple[str | int, ...]
) -> None:
    """The safety rule: a prescribing choice says so, says what it does, and carries a cited safety note.

    A case must never model starting, raising, combining, switching, reducing or stopping a medicine
    without the safety considerations a competent prescriber weighs at that point (issue 13). A
    choice is prescribing when it declares `prescribing`, changes a count of medicines (a variable
    that tracks medication changes or reads like one), or has a label that reads as a prescribing
    action; the note must say what to check (`course.prescribing.safety_note_gaps`) and cite
    prescribing guidance (`safety_reference: true`: NICE, the BNF, the GMC), because neither the two
    source articles nor the works they cite are safety references.
    """
    action = choice.prescribing
    counts = [
        name
        for name, spec in vignette.variables.items()
        if spec.tracks == "medication-changes" or looks_like_medication_count(name, spec)
    ]
    if action is None:
        for name in counts:
            if choice.effects.get(name, 0) != 0:
                change = "adds to" if choice.effects[name] > 0 else "takes away from"
                loaded.error(
                    file,
                    (*here, "effects", name),
                    f"the choice {change} '{vignette.variables[name].label}' but declares no `prescribing` action",
                    f"add `prescribing: {_ACTIONS}` and a `safety:` note, or drop the effect",
                )
        phrase = prescribing_phrase(choice.label)
        if phrase is not None:
            loaded.error(
                file,
                (*here, "label"),
                f"the label reads as prescribing ({phrase}) but the choice declares no `prescribing` action",
                f"add `prescribing: {_ACTIONS}` and a `safety:` note; if it changes no medicine, reword the label",
            )
        return
    if choice.safety is None:
        loaded.error(
            file,
            (*here, "prescribing"),
            f"a choice that {_ACTION_VERB[action]} has no safety note",
            "add `safety:` with what to check and `sources:` naming the guideline or formulary it comes from",
        )
    else:
        for message, hint in safety_note_gaps(choice.safety.text, action):
            loaded.error(file, (*here, "safety", "text"), message, hint)
        entries = [loaded.course.bibliography.get(ref.ref) for ref in choice.safety.sources]
        known = [entry for entry in entries if entry is not None]
        if known and len(known) == len(entries) and not any(e.safety_reference for e in known):
            kinds = sorted({e.kind.value for e in known})
            loaded.error(
                file,
                (*here, "safety", "sources"),
                "a safety note must cite prescribing guidance (a guideline, the formulary or professional "
                f"guidance), not only {' and '.join(kinds)} entries",
                "cite a references/ entry marked `safety_reference: true`, such as NICE CG78 or the BNF",
            )
    label = " ".join(choice.label.casefold().split())
    if not any(re.search(rf"\b{re.escape(stem)}", label) for stem in _ACTION_WORDS[action]):
        loaded.warn(
            file,
            (*here, "label"),
            f"the label does not say that the choice {_ACTION_VERB[action]}",
            f"name what it does, e.g. {_ACTION_HINT[action]}",
        )


def _check_key_length(loaded: _Loaded, item: QuizItem, file: str, base: tuple[str | int, ...]) -> None:
    """Test-wise learners pick the longest option: the key must not stand out by its length."""
    words = {o.key: len(o.text.split()) for o in item.options}
    longest_other = max(n for key, n in words.items() if key != item.answer)
    if words[item.answer] > 1.5 * longest_other and words[item.answer] - longest_other >= 4:
        loaded.warn(
            file,
            (*base, "options"),
            f"the answer has {words[item.answer]} words, the longest distractor {longest_other}",
            "make the options similar in length so the key does not stand out",
        )


def _check_section(loaded: _Loaded, ref: SectionRef, file: str, path: tuple[str | int, ...]) -> None:
    module = loaded.course.modules.get(ref.module)
    if module is None:
        if "modules" not in loaded.failed_folders:
            loaded.error(file, (*path, "module"), f"unknown module '{ref.module}'", "no module has this id")
        return
    anchors = loaded.anchors.get(ref.module)
    if anchors is None:  # parse each module's headings once, however many links point into it
        anchors = loaded.anchors[ref.module] = [h.anchor for h in headings(module.body)]
    if ref.section not in anchors:
        close = difflib.get_close_matches(ref.section, anchors, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"its sections are: {', '.join(anchors)}"
        loaded.error(file, (*path, "section"), f"module '{ref.module}' has no section '{ref.section}'", hint)


def _check_term_names(loaded: _Loaded) -> None:
    owner: dict[str, str] = {}
    for term in loaded.course.glossary.values():
        file, path = loaded.where[f"glossary term:{term.id}"]
        for field_name, j, name in [
            ("term", None, term.term),
            *(("aliases", j, a) for j, a in enumerate(term.aliases)),
        ]:
            key = " ".join(name.casefold().split())
            where = (*path, field_name) if j is None else (*path, field_name, j)
            if key in owner and owner[key] != term.id:
                loaded.error(file, where, f"'{name}' already names term '{owner[key]}'", "a name must be unique")
            elif key in owner and field_name == "aliases":
                loaded.warn(file, where, f"alias '{name}' repeats this term's own name", "remove it")
            owner.setdefault(key, term.id)


def _check_module_body(loaded: _Loaded, module: Module) -> None:
    for offset, line in enumerate(module.body.splitlines()):
        stripped = line.lstrip()
        if stripped.startswith("# "):
            loaded.problems.append(
                Problem(
                    module.path,
                    module.body_line + offset,
                    "body",
                    "a level-1 heading in the body",
                    "the title comes from front matter; use `##` for sections",
                    Severity.WARNING,
                )
            )
        if stripped.startswith("<") and stripped[1:2].isalpha():
            loaded.problems.append(
                Problem(
                    module.path,
                    module.body_line + offset,
                    "body",
                    "raw HTML is not rendered",
                    "write it in Markdown",
                    Severity.WARNING,
                )
            )


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema for every kind of content file, for editors (yaml-language-server)."""
    return {name: model.model_json_schema() for name, model in SCHEMAS.items()}
