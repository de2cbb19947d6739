"""Build a course from the good fixture plus a bad case's overlay files."""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).parent
GOOD = HERE / "good"
BAD = HERE / "bad"


def bad_cases() -> list[str]:
    return sorted(p.name for p in BAD.iterdir() if p.is_dir())


def build_case(name: str, into: Path) -> Path:
    """Copy the good course to `into`, overlay the case's files, and make any symlinks it lists."""
    root = into / "course"
    shutil.copytree(GOOD, root)
    case = BAD / name
    for path in sorted(case.rglob("*")):
        rel = path.relative_to(case)
        if path.is_file() and rel.parts[0] not in {"expected.txt", "symlinks.txt"}:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, root / rel)
    links = case / "symlinks.txt"
    if links.exists():
        outside = into / "outside.yaml"
        outside.write_text("terms: []\n", encoding="utf-8")
        for line in links.read_text(encoding="utf-8").split():
            (root / line).parent.mkdir(parents=True, exist_ok=True)
            (root / line).symlink_to(outside)
    return root


def expected(name: str) -> list[str]:
    return (BAD / name / "expected.txt").read_text(encoding="utf-8").splitlines()
