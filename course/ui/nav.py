"""The page table: one place that says which page exists, where it lives and who may open it.

The menu is built from it and each page's own `guard()` uses the same action, so hiding a page
and refusing it can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from course.accounts import User
from course.permissions import Action, can

PAGES_DIR = "course/ui/pages"
HOME = "home"  # the default page; Streamlit serves it at "/"


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    url_path: str
    icon: str
    action: Action
    section: str = "Course"

    @property
    def path(self) -> str:
        return f"{PAGES_DIR}/{self.file}"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home.py", "Home", "home", ":material/home:", Action.VIEW_COURSE),
    PageSpec("modules.py", "Modules", "modules", ":material/menu_book:", Action.VIEW_COURSE),
    PageSpec("vignettes.py", "Cases", "vignettes", ":material/alt_route:", Action.VIEW_COURSE),
    PageSpec("assessment.py", "Assessment", "assessment", ":material/quiz:", Action.TAKE_ASSESSMENT),
    PageSpec("progress.py", "Progress", "progress", ":material/insights:", Action.VIEW_OWN_PROGRESS),
    PageSpec("glossary.py", "Glossary", "glossary", ":material/dictionary:", Action.VIEW_COURSE),
    PageSpec("flashcards.py", "Review cards", "review", ":material/style:", Action.VIEW_COURSE),
    PageSpec("portfolio.py", "CPD portfolio", "portfolio", ":material/workspace_premium:", Action.VIEW_OWN_PROGRESS),
    PageSpec("account.py", "Account", "account", ":material/person:", Action.VIEW_COURSE),
    PageSpec("cohorts.py", "Cohorts", "cohorts", ":material/groups:", Action.MANAGE_COHORTS, "Teach"),
    PageSpec(
        "dashboards.py",
        "Dashboards",
        "dashboards",
        ":material/monitoring:",
        Action.VIEW_DASHBOARDS,
        "Teach",
    ),
    PageSpec(
        "content_status.py",
        "Content status",
        "content",
        ":material/fact_check:",
        Action.MANAGE_USERS,
        "Admin",
    ),
)

SIGNED_OUT_PAGES: tuple[tuple[str, str, str], ...] = (
    ("sign_in.py", "Sign in", "signin"),
    ("sign_up.py", "Create account", "signup"),
)


def pages_for(user: User | None) -> list[PageSpec]:
    return [spec for spec in PAGES if can(user, spec.action)]


def spec(url_path: str) -> PageSpec:
    return next(p for p in PAGES if p.url_path == url_path)
