"""The page table: one place that says which page exists, where it lives and who may open it.

The menu is built from it and each page's own `guard()` uses the same action, so hiding a page
and refusing it can never disagree. A page whose action is None is public: anyone may open it,
signed in or not (the course page, the sample case, password reset); it must show no learner data.
"""

from __future__ import annotations

from dataclasses import dataclass

from course.accounts import User
from course.permissions import Action, can

PAGES_DIR = "course/ui/pages"
HOME = "home"  # the default page once signed in; Streamlit serves it at "/"
ABOUT = "about"  # the public course page: the default page while signed out


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    url_path: str
    icon: str
    action: Action | None  # None: a public page
    section: str = "Course"
    menu: bool = True  # False: reachable by its address and links, not listed in the menu

    @property
    def public(self) -> bool:
        return self.action is None

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
    PageSpec("about.py", "About the course", ABOUT, ":material/info:", None),
    PageSpec("sample.py", "Try a case", "sample", ":material/play_circle:", None, menu=False),
    PageSpec("forgot_password.py", "Forgotten password", "forgot", ":material/key:", None, menu=False),
    PageSpec("reset_password.py", "Choose a new password", "reset", ":material/key:", None, menu=False),
    PageSpec("teaching.py", "Teaching home", "teaching", ":material/school:", Action.VIEW_COHORTS, "Teach"),
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
        "learner.py",
        "Learner",
        "learner",
        ":material/person_search:",
        Action.VIEW_DASHBOARDS,
        "Teach",
        menu=False,
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


def may_open(user: User | None, page: PageSpec) -> bool:
    return page.action is None or can(user, page.action)


def pages_for(user: User | None) -> list[PageSpec]:
    """The pages this person may open (public pages included), in menu order."""
    return [spec for spec in PAGES if may_open(user, spec)]


def spec(url_path: str) -> PageSpec:
    return next(p for p in PAGES if p.url_path == url_path)
