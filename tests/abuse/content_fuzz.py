"""Generate malformed content files from the real ones and run each through the content readers.

Run by `test_content_fuzz.py` in a child process (`python -m tests.abuse.content_fuzz SEED COUNT
MARKER`), so that a crash of the C YAML parser (a segmentation fault is not an exception) or a
hang fails the test with a clear message instead of taking pytest down with it. The child prints
one JSON summary on stdout.

Each mutant goes through the same single-file readers `load_course` uses (decode, the safe YAML
reader, the front-matter split, the pydantic schema); a sample also goes through `load_course`
itself in a temporary content folder, so the cross-file checks see broken input too.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from course.content import CONTENT_FOLDERS, load_course, parse, parse_module
from course.problems import ContentError, Problem
from course.schema import Bibliography, Glossary, QuizBank, Vignette
from course.yamlio import MAX_FILE_BYTES, decode, parse_yaml

REPO = Path(__file__).resolve().parents[2]
MODELS: dict[str, type[BaseModel]] = {
    "quizzes": QuizBank,
    "vignettes": Vignette,
    "glossary": Glossary,
    "references": Bibliography,
}
FILES_PER_LOAD_COURSE_BATCH = 250
# The whole loader sees a sample (every file already went through the same readers one by one).
LOAD_COURSE_SAMPLE = 1_000
SLOWEST_REPORTED = 5

Mutator = Callable[[random.Random, bytes, str], bytes]


# --- mutations ----------------------------------------------------------------------------------


def truncate(rng: random.Random, raw: bytes, marker: str) -> bytes:
    return raw[: rng.randrange(len(raw) + 1)]


def flip_bytes(rng: random.Random, raw: bytes, marker: str) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 12)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


_UNICODE_TRICKS = [
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\ufeff",  # a BOM in the middle of the text
    "\u2028",  # line separator
    "\u0085",  # next line (a YAML line break)
    "\U0001f600",
    "e\u0301",  # combining accent
    "\uff1a",  # full-width colon, looks like a key separator
    "\u00a0",  # non-breaking space in indentation
    "\x1b[31m",  # terminal escape
    "\x7f",
]


def random_unicode(rng: random.Random, raw: bytes, marker: str) -> bytes:
    text = raw.decode("utf-8", "replace")
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(text) + 1)
        piece = rng.choice(_UNICODE_TRICKS) if rng.random() < 0.6 else chr(rng.randrange(0x20, 0x2FFFF))
        if 0xD800 <= ord(piece[0]) <= 0xDFFF:
            piece = "\ufffd"
        text = text[:at] + piece + text[at:]
    return text.encode("utf-8")


def invalid_utf8(rng: random.Random, raw: bytes, marker: str) -> bytes:
    at = rng.randrange(len(raw) + 1)
    return raw[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x28\x8c\x28"]) + raw[at:]


def _insert_line(rng: random.Random, raw: bytes, line: bytes, at: int | None = None) -> bytes:
    """Insert `line` after line `at` (random if None); never before a module's opening `---`.

    Line 1 is a top-level key in every content file, so `at=1` keeps the YAML well-formed and the
    inserted value reaches the safe reader's own checks rather than a syntax error."""
    lines = raw.split(b"\n")
    at = rng.randrange(1, len(lines) + 1) if at is None else at
    return b"\n".join([*lines[:at], line, *lines[at:]])


def deep_nesting(rng: random.Random, raw: bytes, marker: str) -> bytes:
    depth = rng.choice([40, 200, 5_000, 60_000])
    style = rng.randrange(3)
    if style == 0:
        nest = b"deep: " + b"[" * depth + b"x" + b"]" * depth
    elif style == 1:
        nest = b"deep: " + b"{a: " * depth + b"x" + b"}" * depth
    else:  # block style: every level one more space of indentation
        nest = b"deep:\n" + b"\n".join(b" " * (i + 1) + b"- " for i in range(min(depth, 2_000))) + b"x"
    return _insert_line(rng, raw, nest)


def huge_scalar(rng: random.Random, raw: bytes, marker: str) -> bytes:
    size = rng.choice([10_000, MAX_FILE_BYTES - len(raw) - 100, MAX_FILE_BYTES + 1, 3 * MAX_FILE_BYTES])
    return _insert_line(rng, raw, b"huge: " + b"x" * max(size, 1))


def billion_laughs(rng: random.Random, raw: bytes, marker: str) -> bytes:
    lines = [b'lol0: &l0 ["lol"]']
    for level in range(1, 10):
        refs = b", ".join(b"*l%d" % (level - 1) for _ in range(10))
        lines.append(b"lol%d: &l%d [%s]" % (level, level, refs))
    bomb = b"\n".join(lines)
    return bomb + b"\n" + raw if rng.random() < 0.5 else _insert_line(rng, raw, bomb)


def python_tags(rng: random.Random, raw: bytes, marker: str) -> bytes:
    """Tags that would run code or touch the disk if any loader ever honoured them."""
    target = json.dumps(marker).encode()
    payload = rng.choice(
        [
            b'evil: !!python/object/apply:os.system ["touch %s"]' % marker.encode(),
            b"evil: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path [%s]]" % target,
            b'evil: !!python/object/new:subprocess.Popen [["touch", %s]]' % target,
            b"evil: !!python/name:os.system",
            b"evil: !!python/object/apply:builtins.exec [\"open(%s, 'w')\"]" % target,
            b"evil: !!python/module:os",
        ]
    )
    return _insert_line(rng, raw, payload, at=1)


def other_tags(rng: random.Random, raw: bytes, marker: str) -> bytes:
    payload = rng.choice(
        [
            b"t: !!binary aGVsbG8=",
            b"t: !!timestamp 2001-12-14",
            b"t: !!set {a, b}",
            b"t: !!omap [{a: 1}]",
            b"t: !custom thing",
            b"t: !<tag:example.org,2000:x> y",
            b"<<: {id: merged}",
            b"t: !!float not-a-float",
            b"t: !!int twelve",
            b"t: !!bool maybe",
            b"t: !!null something",
            b"%TAG ! tag:evil.example,2024:\n---",
        ]
    )
    return _insert_line(rng, raw, payload, at=1 if rng.random() < 0.8 else None)


def duplicate_key(rng: random.Random, raw: bytes, marker: str) -> bytes:
    lines = raw.split(b"\n")
    keyed = [i for i, line in enumerate(lines) if b": " in line and not line.lstrip().startswith(b"#")]
    if not keyed:
        return raw + b"\nid: again\nid: twice\n"
    i = rng.choice(keyed)
    return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


def wrong_type(rng: random.Random, raw: bytes, marker: str) -> bytes:
    lines = raw.split(b"\n")
    keyed = [i for i, line in enumerate(lines) if b": " in line and not line.rstrip().endswith(b":")]
    if not keyed:
        return raw
    i = rng.choice(keyed)
    key = lines[i].split(b": ", 1)[0]
    value = rng.choice([b"[1, 2]", b"{a: b}", b"12345", b"-1", b"true", b"null", b"~", b"1e999", b"0x1F", b'""'])
    lines[i] = key + b": " + value
    return b"\n".join(lines)


def line_endings_and_boms(rng: random.Random, raw: bytes, marker: str) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:
        return b"\xef\xbb\xbf" + raw  # UTF-8 BOM: valid, must load
    if choice == 1:
        return raw.replace(b"\n", b"\r\n")  # CRLF: valid, must load
    if choice == 2:
        return raw.replace(b"\n", b"\r")  # old Mac line ends
    if choice == 3:
        return b"\xff\xfe" + raw.decode("utf-8").encode("utf-16-le")  # UTF-16 with its BOM
    return b"\xef\xbb\xbf\xef\xbb\xbf" + raw  # two BOMs


def nul_bytes(rng: random.Random, raw: bytes, marker: str) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        data.insert(rng.randrange(len(data) + 1), 0)
    return bytes(data)


def shuffle_lines(rng: random.Random, raw: bytes, marker: str) -> bytes:
    lines = raw.split(b"\n")
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(3)
        i = rng.randrange(len(lines))
        if op == 0:
            del lines[i]
        elif op == 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = b" " * rng.randint(1, 7) + lines[i]  # break the indentation
    return b"\n".join(lines)


def front_matter(rng: random.Random, raw: bytes, marker: str) -> bytes:
    """Break the `---` fences of a module (or add them to a YAML file)."""
    choice = rng.randrange(4)
    if choice == 0:
        return raw.replace(b"---", b"", 1)
    if choice == 1:
        return raw.replace(b"---", b"", 2) if raw.count(b"---") >= 2 else b"---\n" + raw
    if choice == 2:
        return b"---\n---\n" + raw
    return b"---\n" + rng.choice([b"[]", b"- a", b"just text", b"42"]) + b"\n---\nBody text.\n"


def garbage(rng: random.Random, raw: bytes, marker: str) -> bytes:
    return rng.choice(
        [
            b"",
            b"\n\n\n",
            b"---",
            b"~",
            b"[]",
            b"- 1\n- 2",
            b"just a sentence",
            b"...\n",
            b"--- a\n--- b\n",
            bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))),
        ]
    )


MUTATORS: dict[str, Mutator] = {
    f.__name__: f
    for f in (
        truncate,
        flip_bytes,
        random_unicode,
        invalid_utf8,
        deep_nesting,
        huge_scalar,
        billion_laughs,
        python_tags,
        other_tags,
        duplicate_key,
        wrong_type,
        line_endings_and_boms,
        nul_bytes,
        shuffle_lines,
        front_matter,
        garbage,
    )
}


# --- running ------------------------------------------------------------------------------------


def read_one(folder: str, raw: bytes, file: str) -> None:
    """What `load_course` does to one file before the cross-file checks; raises ContentError."""
    text = decode(raw, file)
    if folder == "modules":
        parse_module(text, file)
        return
    doc = parse_yaml(text, file)
    if not isinstance(doc.data, dict):
        raise ContentError([Problem(file, 1, "", "the top level must be a mapping of fields")])
    parse(MODELS[folder], doc.data, file, doc)


def kind_of(problem: Problem) -> str:
    """A short category for the summary: the message with names, numbers and quotes taken out."""
    message = problem.message
    for cut in (":", "'", '"', " at ", "("):
        message = message.split(cut)[0]
    return " ".join(word for word in message.split() if not any(ch.isdigit() for ch in word))[:60]


@dataclass
class Summary:
    files: int = 0
    clean: int = 0  # mutants that are still valid (a BOM or CRLF changes nothing)
    with_problems: int = 0
    by_mutator: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    bad_problems: list[str] = field(default_factory=list)  # a Problem without file, line or message
    crashes: list[str] = field(default_factory=list)  # anything but ContentError
    slowest: list[tuple[float, str]] = field(default_factory=list)
    load_course_calls: int = 0
    load_course_files: int = 0
    load_course_seconds: float = 0.0
    unreported_in_load_course: list[str] = field(default_factory=list)


def originals() -> list[tuple[str, str, bytes]]:
    found = []
    for folder in CONTENT_FOLDERS:
        for path in sorted((REPO / folder).glob("*")):
            if path.suffix in (".md", ".yaml", ".yml") and path.name.lower() != "readme.md":
                found.append((folder, path.name, path.read_bytes()))
    return found


def run(seed: int, count: int, marker: str) -> Summary:
    rng = random.Random(seed)
    sources = originals()
    names = sorted(MUTATORS)
    summary = Summary()
    failed_files: dict[str, list[tuple[str, bytes, str]]] = {}  # folder -> (name, raw, mutator)
    timings: list[tuple[float, str]] = []
    for n in range(count):
        folder, name, raw = rng.choice(sources)
        mutator = names[n % len(names)]  # every mutation equally often
        mutant = MUTATORS[mutator](rng, raw, marker)
        file = f"{folder}/fuzz-{n:05d}-{name}"
        summary.files += 1
        summary.by_mutator[mutator] += 1
        started = time.perf_counter()
        try:
            read_one(folder, mutant, file)
        except ContentError as exc:
            summary.with_problems += 1
            for problem in exc.problems:
                summary.by_kind[kind_of(problem)] += 1
                if problem.file != file or problem.line < 1 or not problem.message.strip():
                    summary.bad_problems.append(f"{mutator}: {problem!r}")
            failed_files.setdefault(folder, []).append((f"fuzz-{n:05d}-{name}", mutant, mutator))
        except BaseException as exc:
            summary.crashes.append(f"{file} ({mutator}): {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            if isinstance(exc, KeyboardInterrupt):
                raise
        else:
            summary.clean += 1
        timings.append((time.perf_counter() - started, f"{file} ({mutator})"))
    summary.slowest = sorted(timings, reverse=True)[:SLOWEST_REPORTED]
    _through_load_course(failed_files, summary)
    return summary


def _through_load_course(failed: dict[str, list[tuple[str, bytes, str]]], summary: Summary) -> None:
    """Whole-loader pass: batches of broken files in one content folder; each must be reported."""
    batches: list[list[tuple[str, str, bytes, str]]] = [[]]
    for folder, entries in failed.items():
        for name, raw, mutator in entries[: LOAD_COURSE_SAMPLE // len(failed) + 1]:
            if len(raw) > MAX_FILE_BYTES:  # the size check is covered per file; keep this pass quick
                continue
            if len(batches[-1]) >= FILES_PER_LOAD_COURSE_BATCH:
                batches.append([])
            batches[-1].append((folder, name, raw, mutator))
    for batch in batches:
        if not batch:
            continue
        with tempfile.TemporaryDirectory(prefix="fuzz-course-") as tmp:
            root = Path(tmp)
            for folder in CONTENT_FOLDERS:
                (root / folder).mkdir()
            for folder, name, raw, _ in batch:
                (root / folder / name).write_bytes(raw)
            started = time.perf_counter()
            try:
                report = load_course(root)
            except BaseException as exc:
                summary.crashes.append(f"load_course on a batch: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
                continue
            finally:
                summary.load_course_seconds += time.perf_counter() - started
            summary.load_course_calls += 1
            summary.load_course_files += len(batch)
            reported = {p.file for p in report.errors}
            for folder, name, _, mutator in batch:
                if f"{folder}/{name}" not in reported:
                    summary.unreported_in_load_course.append(f"{folder}/{name} ({mutator})")


def main(argv: list[str]) -> int:
    seed, count, marker = int(argv[0]), int(argv[1]), argv[2]
    summary = run(seed, count, marker)
    out = {
        "files": summary.files,
        "clean": summary.clean,
        "with_problems": summary.with_problems,
        "by_mutator": dict(summary.by_mutator),
        "by_kind": dict(summary.by_kind.most_common()),
        "bad_problems": summary.bad_problems[:20],
        "crashes": summary.crashes[:20],
        "crash_count": len(summary.crashes),
        "slowest": summary.slowest,
        "load_course_calls": summary.load_course_calls,
        "load_course_files": summary.load_course_files,
        "load_course_seconds": round(summary.load_course_seconds, 2),
        "unreported_in_load_course": summary.unreported_in_load_course[:20],
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
