"""One problem type for everything the content checks find: where, what, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"  # an authoring smell; `validate --strict` fails on these too


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    path: str
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        field = f" {self.path}:" if self.path else ":"
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{where}{field} {self.message}{hint}"


class ContentError(Exception):
    """Raised by readers when a file cannot be used at all; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in sorted(problems)))
        self.problems = sorted(problems)


def format_path(path: tuple[str | int, ...]) -> str:
    """Render a location like ('nodes', 2, 'choices', 0, 'target') as nodes[2].choices[0].target."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
