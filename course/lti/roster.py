"""A cohort's members from the LMS course roster (IMS Names and Role Provisioning Services 2.0).

Active learners in the LMS course become members of its cohort with ``joined_via="lti"`` (enrolment
is the consent); a learner the LMS reports as Inactive or Deleted, or who is no longer on the
roster, leaves the cohort again if the roster is how they joined (a learner who also used the
invitation code stays). Instructors are not cohort members. Accounts for learners who have not
launched yet are created now, keyed by their platform ``sub``, so their first launch finds them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import select, update

from course import cohorts
from course.accounts import Role
from course.clock import require_aware
from course.lti import registry
from course.lti.launches import account_for, is_instructor
from course.lti.tool import DatabaseToolConf, http_session
from course.store.db import Store
from course.store.models import CohortMemberRow, LtiContextRow, LtiUserRow

log = logging.getLogger(__name__)
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"


@dataclass(frozen=True)
class RosterReport:
    joined: int  # new memberships
    left: int  # memberships removed (inactive, deleted or gone from the roster)
    learners: int  # active learners on the roster


def fetch_members(store: Store, context_pk: int, *, now: datetime) -> list[dict[str, Any]]:
    """Every member the LMS reports for this course (all pages), through PyLTI1p3's NRPS client."""
    with store.read() as conn:
        row = conn.execute(
            select(LtiContextRow.platform_id, LtiContextRow.nrps_url).where(LtiContextRow.id == context_pk)
        ).one()
    platform = registry.get_platform(store, row.platform_id)
    if platform is None or not row.nrps_url:
        return []
    registration = DatabaseToolConf(store, lambda: now).registration_for(platform)
    with http_session() as session:
        service = NamesRolesProvisioningService(
            ServiceConnector(registration, session), {"context_memberships_url": row.nrps_url}
        )
        return [dict(member) for member in service.get_members()]


def apply_roster(store: Store, context_pk: int, members: list[dict[str, Any]], *, now: datetime) -> RosterReport:
    """Bring the cohort's LTI memberships in line with the roster (pure database work; testable alone)."""
    require_aware(now)
    with store.write() as conn:
        context = conn.execute(
            select(LtiContextRow.platform_id, LtiContextRow.cohort_id).where(LtiContextRow.id == context_pk)
        ).one()
        platform = registry.get_platform(store, context.platform_id) if context.cohort_id is not None else None
        if platform is None or context.cohort_id is None:
            return RosterReport(0, 0, 0)
        active: set[int] = set()
        gone: set[str] = set()
        joined = 0
        for member in members:
            sub = str(member.get("user_id") or "")
            if not sub:
                continue
            roles = {ROLES_CLAIM: list(member.get("roles") or [])}
            if is_instructor(roles):
                continue
            if str(member.get("status", "Active")) != "Active":
                gone.add(sub)
                continue
            user = account_for(conn, platform, sub, member, Role.LEARNER, now)
            active.add(user.id)
            joined += int(cohorts._add(conn, context.cohort_id, user.id, now, via="lti"))
        on_roster_before = set(
            conn.execute(
                select(CohortMemberRow.user_id).where(
                    CohortMemberRow.cohort_id == context.cohort_id, CohortMemberRow.joined_via == "lti"
                )
            ).scalars()
        )
        linked = {
            r.user_id: r.sub
            for r in conn.execute(
                select(LtiUserRow.user_id, LtiUserRow.sub).where(LtiUserRow.platform_id == platform.id)
            ).all()
        }
        leaving = {uid for uid in on_roster_before - active if uid in linked}
        # Off the roster: out of the cohort, and their shares with it withdrawn (never revived).
        cohorts.end_memberships(conn, context.cohort_id, sorted(leaving), now)
        conn.execute(update(LtiContextRow).where(LtiContextRow.id == context_pk).values(roster_synced_at=now))
    return RosterReport(joined, len(leaving), len(active))


def sync_roster(store: Store, context_pk: int, *, now: datetime) -> RosterReport | None:
    """Fetch the roster and apply it. None when the LMS could not be asked (logged; tried again next time)."""
    try:
        members = fetch_members(store, context_pk, now=now)
    except Exception as exc:  # any failure of the LMS must not break a launch: report and carry on
        log.warning("roster sync for LTI context %s failed: %s", context_pk, exc)
        return None
    return apply_roster(store, context_pk, members, now=now)


def sync_all(store: Store, *, now: datetime) -> dict[int, RosterReport | None]:
    """Sync every LMS course that has a cohort and a roster address (``python -m course lti sync-rosters``)."""
    with store.read() as conn:
        ids = conn.execute(
            select(LtiContextRow.id).where(LtiContextRow.cohort_id.is_not(None), LtiContextRow.nrps_url.is_not(None))
        ).scalars()
        pending = list(ids)
    return {context_pk: sync_roster(store, context_pk, now=now) for context_pk in pending}


__all__ = ["RosterReport", "apply_roster", "fetch_members", "sync_all", "sync_roster"]
