"""Deployment settings a public page states: accreditation, authors, privacy contact, public address.

Read from ``[site]`` in ``.streamlit/secrets.toml``, each overridden by an environment variable
(``COURSE_ACCREDITATION``, ``COURSE_AUTHORS``, ``COURSE_PRIVACY_CONTACT``, ``COURSE_PUBLIC_URL``).
Defaults are honest: the course says it is *not* accredited unless a deployment says otherwise.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course.content import Course
from course.schema import SourceKind

NOT_ACCREDITED = (
    "This course is not accredited by any royal college or professional body. You can record the time "
    "you spend on it as self-directed CPD in your appraisal or revalidation portfolio, with your "
    "reflections; your certificate states the hours and can be checked online by anyone you show it to."
)
DEFAULT_AUTHORS = (
    "Written by the contributors to the open-source Relational Prescribing course, in their own words, "
    "from the two articles below and the primary works they cite."
)
DEFAULT_CONTACT = "the organisation that runs this site (ask your course administrator)"

_SETTINGS = {
    "accreditation": "COURSE_ACCREDITATION",
    "authors": "COURSE_AUTHORS",
    "privacy_contact": "COURSE_PRIVACY_CONTACT",
    "public_url": "COURSE_PUBLIC_URL",
}


@dataclass(frozen=True)
class Site:
    accreditation: str = NOT_ACCREDITED
    authors: str = DEFAULT_AUTHORS
    privacy_contact: str = DEFAULT_CONTACT
    public_url: str = ""  # e.g. https://course.example.org (no trailing slash); "" when not configured

    @property
    def accredited(self) -> bool:
        return self.accreditation != NOT_ACCREDITED


def read_secrets(section: str, secrets_file: Path | None = None) -> dict[str, Any]:
    """One ``[section]`` of ``.streamlit/secrets.toml`` (empty when the file or section is absent)."""
    path = secrets_file if secrets_file is not None else Path(".streamlit") / "secrets.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        found = tomllib.load(handle).get(section, {})
    return dict(found) if isinstance(found, dict) else {}


def load_site(env: Mapping[str, str] = os.environ, secrets_file: Path | None = None) -> Site:
    settings = read_secrets("site", secrets_file)
    values: dict[str, str] = {}
    for name, variable in _SETTINGS.items():
        value = str(env.get(variable, "") or settings.get(name, "") or "").strip()
        if value:
            values[name] = value
    if "public_url" in values:
        values["public_url"] = values["public_url"].rstrip("/")
    return Site(**values)


@dataclass(frozen=True)
class Listing:
    """What the course offers, for the public page: parts in course order with their minutes."""

    kind: str  # "module" or "case"
    id: str
    title: str
    summary: str
    minutes: int
    objectives: tuple[str, ...]


def listings(course: Course) -> list[Listing]:
    modules = sorted(course.modules.values(), key=lambda m: (m.meta.order, m.id))
    found = [
        Listing("module", m.id, m.meta.title, m.meta.summary, m.meta.minutes, tuple(o.text for o in m.meta.objectives))
        for m in modules
    ]
    found += [Listing("case", v.id, v.title, v.summary, v.minutes, ()) for v in course.vignettes.values()]
    return found


def total_minutes(course: Course) -> int:
    return sum(item.minutes for item in listings(course))


def sources(course: Course) -> tuple[list[str], list[str]]:
    """The citations of the source articles and of the primary works they cite, in file order."""
    articles = [e.citation for e in course.bibliography.values() if e.kind is SourceKind.SOURCE_ARTICLE]
    primary = [e.citation for e in course.bibliography.values() if e.kind is SourceKind.PRIMARY_WORK]
    return articles, primary


__all__ = ["NOT_ACCREDITED", "Listing", "Site", "listings", "load_site", "read_secrets", "sources", "total_minutes"]
