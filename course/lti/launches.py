"""What a validated LTI launch means for the course: who signs in, with which role, into which cohort, where.

Rules (IMS LTI 1.3 Core, section 5; role vocabulary from LIS v2 as listed in the LTI spec, appendix A):

* The account is the platform user (its ``sub``) on that registered platform, created at their first
  launch (or by the roster sync). An email from the platform is used only if no other account
  has it: linking on email alone would let whoever controls an LMS take over a local account.
* Instructor, teaching assistant and content developer roles in the LMS course make the account an
  educator (raised, never lowered: an educator can still learn); everyone else is a learner.
* The LMS course (the ``context`` claim) becomes a cohort, owned by the first instructor who
  launches from it. Learners join it with ``joined_via="lti"``: enrolment in the LMS course is
  their consent to that educator seeing their progress.
* A resource link lands where its ``custom`` parameter ``target`` says (set by deep linking):
  ``module:<id>``, ``vignette:<id>``, ``assessment``, ``dashboard`` or ``home``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from pylti1p3.roles import DesignerRole, TeacherRole, TeachingAssistantRole
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from course import cohorts, formatting
from course.accounts import Role, User, email_problem, normalise_email
from course.clock import require_aware
from course.content import Course
from course.lti.registry import Platform
from course.store.db import Store
from course.store.models import CohortRow, LtiContextRow, LtiLinkRow, LtiScoreRow, LtiUserRow, UserRow
from course.textkey import search_key

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
DEPLOYMENT_ID = CLAIM + "deployment_id"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
ACCEPTED_MESSAGES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)

PLACEHOLDER_DOMAIN = "lti.invalid"  # RFC 2606: never deliverable, never anyone's real address
MAX_NAME = 80
RACE_RETRIES = 3  # launches of the same new person, course or link at the same moment (see accept_launch)
TARGET_KINDS = ("home", "module", "vignette", "assessment", "dashboard")


class LaunchRefused(ValueError):
    """A launch the course will not accept; ``message`` is written for the person who clicked the link."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    """Where a link lands: a kind and, for a module or a case, its id."""

    kind: str
    id: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else self.kind

    @classmethod
    def parse(cls, text: str | None) -> Target | None:
        """``module:<id>``, ``vignette:<id>``, ``assessment``, ``dashboard`` or ``home``; None otherwise."""
        kind, _, item = (text or "").strip().partition(":")
        if kind not in TARGET_KINDS or (kind in ("module", "vignette")) != bool(item):
            return None
        return cls(kind, item)

    def exists_in(self, course: Course) -> bool:
        if self.kind == "module":
            return self.id in course.modules
        if self.kind == "vignette":
            return self.id in course.vignettes
        return True

    def url(self, role: Role, cohort_id: int | None) -> str:
        """The app page for this target (relative, so it suits any public address)."""
        if self.kind == "module":
            return "/modules?" + urlencode({"id": self.id})
        if self.kind == "vignette":
            return "/vignettes?" + urlencode({"id": self.id})
        if self.kind == "assessment":
            return "/assessment"
        if self.kind == "dashboard":
            if role is Role.LEARNER:
                return "/progress"  # a learner's own figures, never the cohort's
            return "/dashboards" + (f"?cohort={cohort_id}" if cohort_id else "")
        return "/"


HOME = Target("home")


@dataclass(frozen=True)
class Choice:
    target: Target
    title: str  # the link's title in the LMS course
    label: str  # what the instructor reads when choosing


def choices(course: Course) -> list[Choice]:
    """Everything an instructor may place in the LMS (deep linking)."""
    found = [
        Choice(Target("dashboard"), "Dashboard", "Dashboard: your cohort's progress (learners see their own)"),
        Choice(Target("assessment"), "Summative assessment", "Summative assessment (the result goes to the gradebook)"),
    ]
    for module in sorted(course.modules.values(), key=lambda m: m.meta.order):
        found.append(Choice(Target("module", module.id), module.meta.title, f"Module: {module.meta.title}"))
    for vignette in course.vignettes.values():
        found.append(Choice(Target("vignette", vignette.id), vignette.title, f"Case: {vignette.title}"))
    found.append(Choice(HOME, "Relational prescribing", "Course home page"))
    return found


def is_instructor(claims: Mapping[str, Any]) -> bool:
    """LIS context roles Instructor, Administrator, TeachingAssistant or ContentDeveloper (PyLTI1p3's role sets)."""
    return any(role(claims).check() for role in (TeacherRole, TeachingAssistantRole, DesignerRole))


@dataclass(frozen=True)
class Launched:
    user: User
    instructor: bool
    context_pk: int | None
    cohort_id: int | None
    landing: str
    roster_url: str | None  # NRPS memberships URL when an instructor launched: time to sync the roster


def _clean_name(claims: Mapping[str, Any]) -> str:
    raw = str(claims.get("name") or " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name")))
    printable = "".join(" " if unicodedata.category(char).startswith("C") else char for char in raw)
    return " ".join(printable.split())[:MAX_NAME].strip()


def _usable_email(claims: Mapping[str, Any]) -> str | None:
    email = normalise_email(str(claims.get("email") or ""))
    return email if email_problem(email) is None else None


def placeholder_email(platform_id: int, sub: str) -> str:
    digest = hashlib.sha256(f"{platform_id}|{sub}".encode()).hexdigest()[:20]
    return f"lti-{platform_id}-{digest}@{PLACEHOLDER_DOMAIN}"


def account_for(
    conn: Connection, platform: Platform, sub: str, claims: Mapping[str, Any], role: Role, now: datetime
) -> User:
    """The account of this platform user, created or refreshed (name, placeholder email, raised role)."""
    name = _clean_name(claims)
    email = _usable_email(claims)
    row = conn.execute(
        select(UserRow.id, UserRow.email, UserRow.display_name, UserRow.role)
        .join(LtiUserRow, LtiUserRow.user_id == UserRow.id)
        .where(LtiUserRow.platform_id == platform.id, LtiUserRow.sub == sub, UserRow.deleted_at.is_(None))
    ).first()
    free = email is not None and conn.execute(select(UserRow.id).where(UserRow.email == email)).first() is None
    if row is None:
        user_id = conn.execute(
            insert(UserRow)
            .values(
                email=email if free else placeholder_email(platform.id, sub),
                display_name=name or "LMS user",
                password_hash=None,
                role=role.value,
                created_at=now,
            )
            .returning(UserRow.id)
        ).scalar_one()
        conn.execute(insert(LtiUserRow).values(platform_id=platform.id, sub=sub, user_id=user_id, created_at=now))
        current_role = role
    else:
        user_id = row.id
        current_role = Role(row.role)
        if current_role is Role.LEARNER and role is Role.EDUCATOR:
            current_role = Role.EDUCATOR
        changes: dict[str, Any] = {"role": current_role.value}
        if name:
            changes["display_name"] = name
        if free and row.email.endswith("@" + PLACEHOLDER_DOMAIN):
            changes["email"] = email
        changes["search_key"] = search_key(
            changes.get("display_name", row.display_name), changes.get("email", row.email)
        )
        conn.execute(update(UserRow).where(UserRow.id == user_id).values(**changes))
    found = conn.execute(
        select(UserRow.email, UserRow.display_name, UserRow.time_zone).where(UserRow.id == user_id)
    ).one()
    return User(
        id=user_id, email=found.email, display_name=found.display_name, role=current_role, time_zone=found.time_zone
    )


def _context(
    conn: Connection, platform: Platform, claims: Mapping[str, Any], user: User, instructor: bool, now: datetime
) -> tuple[int | None, int | None, str | None]:
    """Upsert the LMS course; make its cohort at an instructor's launch. Returns (context pk, cohort id, NRPS url)."""
    context = claims.get(CONTEXT) or {}
    context_id = str(context.get("id") or "")
    if not context_id:
        return None, None, None
    title = " ".join(str(context.get("title") or context.get("label") or f"LMS course {context_id}").split())[:255]
    nrps_url = (claims.get(NRPS) or {}).get("context_memberships_url")
    ags = claims.get(AGS) or {}
    values: dict[str, Any] = {"title": title, "deployment_id": str(claims.get(DEPLOYMENT_ID, ""))}
    if nrps_url:
        values["nrps_url"] = str(nrps_url)
    if ags:
        values["lineitems_url"] = ags.get("lineitems")
        values["ags_scopes"] = list(ags.get("scope") or [])
    row = conn.execute(
        select(LtiContextRow.id, LtiContextRow.cohort_id).where(
            LtiContextRow.platform_id == platform.id, LtiContextRow.context_id == context_id
        )
    ).first()
    if row is None:
        values.setdefault("ags_scopes", [])
        pk = conn.execute(
            insert(LtiContextRow)
            .values(platform_id=platform.id, context_id=context_id, created_at=now, **values)
            .returning(LtiContextRow.id)
        ).scalar_one()
        cohort_id = None
    else:
        pk, cohort_id = row.id, row.cohort_id
        conn.execute(update(LtiContextRow).where(LtiContextRow.id == pk).values(**values))
    if cohort_id is None and instructor:
        name = f"{title} ({platform.name})"[: cohorts.NAME_MAX]
        cohort_id = conn.execute(
            insert(CohortRow)
            .values(
                name=name,
                owner_id=user.id,
                invite_code=cohorts.new_invite_code(),
                created_at=now,
                time_zone=user.time_zone or formatting.DEFAULT_ZONE,  # due days in the instructor's zone
            )
            .returning(CohortRow.id)
        ).scalar_one()
        conn.execute(update(LtiContextRow).where(LtiContextRow.id == pk).values(cohort_id=cohort_id))
    if cohort_id is not None and not instructor:
        cohorts._add(conn, cohort_id, user.id, now, via="lti")
    return pk, cohort_id, str(nrps_url) if nrps_url else None


def _link(
    conn: Connection,
    platform: Platform,
    claims: Mapping[str, Any],
    context_pk: int | None,
    course: Course,
    now: datetime,
) -> Target:
    """Upsert the resource link and return where it lands."""
    link = claims.get(RESOURCE_LINK) or {}
    link_id = str(link.get("id") or "")
    custom = claims.get(CUSTOM) or {}
    wanted = Target.parse(str(custom.get("target", ""))) if isinstance(custom, Mapping) else None
    if wanted is not None and not wanted.exists_in(course):
        raise LaunchRefused(
            f"This link opens '{wanted}', which this course no longer has. Ask your instructor to choose again."
        )
    if not link_id:
        return wanted or HOME
    lineitem = (claims.get(AGS) or {}).get("lineitem")
    existing = conn.execute(
        select(LtiLinkRow.id, LtiLinkRow.target).where(
            LtiLinkRow.platform_id == platform.id, LtiLinkRow.resource_link_id == link_id
        )
    ).first()
    target = wanted or (Target.parse(existing.target) if existing else None) or HOME
    values = {
        "lti_context_id": context_pk,
        "target": str(target),
        "title": str(link.get("title") or "")[:255] or None,
        "lineitem_url": str(lineitem) if lineitem else None,
        "updated_at": now,
    }
    if existing is None:
        conn.execute(
            insert(LtiLinkRow).values(platform_id=platform.id, resource_link_id=link_id, created_at=now, **values)
        )
    else:
        conn.execute(update(LtiLinkRow).where(LtiLinkRow.id == existing.id).values(**values))
    if target.kind == "assessment" and lineitem and context_pk is not None:
        # The link's own gradebook column (made by the LMS from the deep link's lineItem) takes the result.
        conn.execute(
            update(LtiContextRow).where(LtiContextRow.id == context_pk).values(assessment_lineitem_url=str(lineitem))
        )
    return target


def _gradebook_entry(conn: Connection, context_pk: int, user: User, now: datetime) -> None:
    """Mark the learner as graded in this LMS course (course.lti.grades sends results for such rows)."""
    exists = conn.execute(
        select(LtiScoreRow.id).where(LtiScoreRow.lti_context_id == context_pk, LtiScoreRow.user_id == user.id)
    ).first()
    if exists is None:
        conn.execute(
            insert(LtiScoreRow).values(
                lti_context_id=context_pk, user_id=user.id, status="pending", attempts=0, next_attempt_at=now
            )
        )


def accept_launch(
    store: Store, platform: Platform, claims: Mapping[str, Any], course: Course, *, now: datetime
) -> Launched:
    """Apply a launch that PyLTI1p3 validated: account, role, cohort, link. Raises :class:`LaunchRefused`."""
    require_aware(now)
    message_type = claims.get(MESSAGE_TYPE)
    if message_type not in ACCEPTED_MESSAGES:
        # PyLTI1p3 also validates submission-review and data-privacy launches; this tool offers neither,
        # and treating one as a resource link would sign the person in somewhere they did not ask for.
        raise LaunchRefused(
            f"Your LMS sent a kind of launch this course does not offer ({str(message_type)[:60]}). "
            "Open the course from a link your instructor placed in the LMS course."
        )
    sub = str(claims.get("sub") or "")
    if not sub:
        raise LaunchRefused("Your LMS launched the course anonymously; it needs to say who you are.")
    instructor = is_instructor(claims)
    deep_linking = message_type == DEEP_LINKING_REQUEST
    if deep_linking and not instructor:
        raise LaunchRefused("Only an instructor of this LMS course can choose what a link opens.")
    role = Role.EDUCATOR if instructor else Role.LEARNER
    for attempt in range(RACE_RETRIES + 1):
        try:
            with store.write() as conn:
                user = account_for(conn, platform, sub, claims, role, now)
                context_pk, cohort_id, nrps_url = _context(conn, platform, claims, user, instructor, now)
                target = HOME if deep_linking else _link(conn, platform, claims, context_pk, course, now)
                if context_pk is not None and not instructor and claims.get(AGS):
                    _gradebook_entry(conn, context_pk, user, now)
            break
        except IntegrityError:
            # Another launch of the same person, course or link committed the same row first (two tabs,
            # a double click): run again, and this time find what it made.
            if attempt == RACE_RETRIES:
                raise
    return Launched(
        user=user,
        instructor=instructor,
        context_pk=context_pk,
        cohort_id=cohort_id,
        landing=target.url(user.role, cohort_id),
        roster_url=nrps_url if instructor else None,
    )


__all__ = [
    "DEEP_LINKING_REQUEST",
    "HOME",
    "Choice",
    "LaunchRefused",
    "Launched",
    "Target",
    "accept_launch",
    "account_for",
    "choices",
    "is_instructor",
    "placeholder_email",
]
