"""Read YAML safely and remember the line of every value, so errors can say `file:line field`.

PyYAML's SafeLoader still accepts things we do not want in course content: duplicate keys (the
last one silently wins), anchors and aliases (a "billion laughs" file can exhaust memory), merge
keys, explicit tags and implicit timestamps. We compose the node tree ourselves and refuse them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from course.problems import ContentError, Problem, format_path

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 32

Path_ = tuple[str | int, ...]

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


# libyaml's C parser is several times faster than PyYAML's pure-Python one (the PyYAML wheels ship
# it). It is required rather than optional so that syntax-error messages are the same everywhere.
class _Loader(yaml.CSafeLoader):
    """SafeLoader without the implicit timestamp type: a date stays the string the author wrote."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class YamlDoc:
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """The line of the deepest part of `path` that exists in the document."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


def check_size(raw: bytes, file: str) -> None:
    if len(raw) > MAX_FILE_BYTES:
        raise ContentError(
            [
                Problem(
                    file,
                    1,
                    "",
                    f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}",
                    "split it into several files",
                )
            ]
        )


def decode(raw: bytes, file: str) -> str:
    check_size(raw, file)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError([Problem(file, line, "", "file is not valid UTF-8 text", "save it as UTF-8")]) from None


def parse_yaml(text: str, file: str, *, line_offset: int = 0) -> YamlDoc:
    """Parse one YAML document. `line_offset` shifts lines (front matter starts below `---`)."""
    try:
        loader = _Loader(text)  # the reader already refuses control characters here
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 + line_offset
        raise ContentError(
            [Problem(file, line, "", f"character {exc.character!r} is not allowed in YAML", "remove it")]
        ) from None
    too_deep = _line_too_deep(text)
    if too_deep is not None:
        loader.dispose()
        raise ContentError(
            [Problem(file, too_deep + line_offset, "", f"nested deeper than {MAX_DEPTH} levels", "flatten it")]
        )
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        what = exc.problem or exc.context or "malformed YAML"
        raise ContentError(
            [Problem(file, line, "", f"YAML syntax error: {what}", "check indentation, colons and quotes")]
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError([Problem(file, 1 + line_offset, "", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if root is None:
        raise ContentError([Problem(file, 1 + line_offset, "", "file is empty", "see `python -m course schema`")])
    doc = YamlDoc(data=None)
    problems: list[Problem] = []
    doc.data = _build(root, (), doc, problems, file, line_offset, set(), loader)
    if problems:
        raise ContentError(problems)
    return doc


def _line_too_deep(text: str) -> int | None:
    """The line where nesting first goes past MAX_DEPTH, found from parser events before composing.

    libyaml's composer recurses once per level: 100,000 `[` overflow the C stack (a segmentation
    fault) before `_build` could refuse the depth. Counting parser events is a loop: fast and safe.
    """
    loader = _Loader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return int(event.start_mark.line) + 1 if event.start_mark else 1
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None  # a syntax error: the composer reports it with its usual message
    finally:
        loader.dispose()
    return None


def _build(
    node: Node,
    path: Path_,
    doc: YamlDoc,
    problems: list[Problem],
    file: str,
    offset: int,
    seen: set[int],
    loader: _Loader,
) -> Any:
    # Prefer the line of the key that introduced this value: an alias node's own mark is the anchor's.
    line = doc.lines.setdefault(path, node.start_mark.line + 1 + offset)
    where = format_path(path)
    if id(node) in seen:
        problems.append(Problem(file, line, where, "YAML anchors and aliases are not allowed", "write it out"))
        return None
    seen.add(id(node))
    if len(path) > MAX_DEPTH:
        problems.append(Problem(file, line, where, f"nested deeper than {MAX_DEPTH} levels"))
        return None
    if node.tag not in _PLAIN_TAGS:
        problems.append(
            Problem(
                file,
                line,
                where,
                f"YAML tag '{node.tag}' is not allowed",
                "remove the tag; write plain values",
            )
        )
        return None
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1 + offset
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                problems.append(Problem(file, key_line, where, "keys must be plain words", "quote the key"))
                continue
            key = str(key_node.value)
            if key in out:
                problems.append(
                    Problem(file, key_line, format_path((*path, key)), f"duplicate key '{key}'", "keep only one")
                )
                continue
            doc.lines[(*path, key)] = key_line
            out[key] = _build(value_node, (*path, key), doc, problems, file, offset, seen, loader)
        return out
    if isinstance(node, SequenceNode):
        return [
            _build(item, (*path, i), doc, problems, file, offset, seen, loader) for i, item in enumerate(node.value)
        ]
    assert isinstance(node, ScalarNode)
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, KeyError, yaml.YAMLError):
        # An explicit plain tag on a value of another kind (`!!float abc`, `!!bool maybe`).
        kind = node.tag.rsplit(":", 1)[-1]
        problems.append(Problem(file, line, where, f"'{node.value}' is not a valid {kind}", "remove the tag"))
        return None
