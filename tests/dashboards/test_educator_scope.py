"""An educator sees a learner's records only while that learner is in a cohort the educator owns.

Before this test, certificate_of and xapi.statements_for let any educator read any learner's
certificate and full activity (they checked only the educator role).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from course import certificates, cohorts, mastery, progress, timelog, xapi
from course.accounts import Role, User
from course.content import Course
from course.permissions import PermissionDenied
from course.store.db import Store

Reader = Callable[[Store, User, int], object]
READERS: dict[str, Reader] = {
    "module status": lambda store, viewer, learner_id: progress.module_status(store, viewer, learner_id),
    "time log": lambda store, viewer, learner_id: timelog.time_log(store, viewer, learner_id),
    "mastery": lambda store, viewer, learner_id: mastery.concept_mastery(store, viewer, learner_id, Course()),
    "certificate": lambda store, viewer, learner_id: certificates.certificate_of(store, viewer, learner_id),
    "xAPI statements": lambda store, viewer, learner_id: xapi.statements_for(
        store, viewer, learner_id, xapi.XapiConfig()
    ),
}


@pytest.mark.parametrize("reader", list(READERS))
def test_only_the_learner_their_cohorts_educator_and_admins_may_read(
    store: Store, now: datetime, person: Callable[..., User], reader: str
) -> None:
    read = READERS[reader]
    ann, bob = person("ann"), person("bob")
    owner, outsider = person("tess", Role.EDUCATOR), person("omar", Role.EDUCATOR)
    admin = person("ada", Role.ADMIN)
    cohort = cohorts.create_cohort(store, owner, "G", now=now)
    cohorts.join_by_code(store, ann, cohort.invite_code, now=now)
    cohorts.create_cohort(store, outsider, "Someone else's", now=now)

    for allowed in (ann, owner, admin):
        read(store, allowed, ann.id)
    for refused in (bob, outsider):
        with pytest.raises(PermissionDenied):
            read(store, refused, ann.id)
    cohorts.remove_member(store, owner, cohort.id, ann.id, now=now)
    with pytest.raises(PermissionDenied):  # once she leaves the cohort, her records are hers again
        read(store, owner, ann.id)
