"""Download my data and delete my account, checked against every path to users.id in the schema.

The list of what refers to a person is not written out here: it is walked from the schema's foreign
keys, so a table added later with a user foreign key fails these tests until course.privacy says
how to export and erase it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import JSON, String, Table, Text, func, insert, select

from course import accounts, certificates, cohorts, mail, passwords, privacy, reminders, teaching, xapi
from course.accounts import Role
from course.permissions import PermissionDenied
from course.privacy import HOLDINGS, OTHER_PEOPLES_DATA, Disposal, PrivacyError, rows_of
from course.reflections import read_reflection, revise_structured, share
from course.store.db import Store
from course.store.models import (
    Base,
    CohortMemberRow,
    CohortRow,
    EventRow,
    LtiContextRow,
    LtiLinkRow,
    LtiPlatformRow,
    LtiScoreRow,
    LtiUserRow,
    XapiVoidRow,
)
from tests.cpd.helpers import COURSE, FEELINGS, REASON, answers, cohort, do_everything, person, reflect

USERS = Base.metadata.tables["users"]


def fk_paths_to_users(table: Table, seen: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every chain of foreign-key columns from `table` that ends at users.id."""
    paths: set[tuple[str, ...]] = set()
    for column in table.columns:
        for foreign_key in column.foreign_keys:
            target = foreign_key.column.table
            if target is USERS:
                paths.add((column.name,))
            elif target.name not in seen:
                paths |= {(column.name, *rest) for rest in fk_paths_to_users(target, (*seen, table.name))}  # type: ignore[arg-type]
    return paths


def schema_paths() -> set[tuple[str, tuple[str, ...]]]:
    return {(t.name, path) for t in Base.metadata.sorted_tables for path in fk_paths_to_users(t)}


def test_every_path_to_a_user_is_either_handled_or_someone_elses() -> None:
    handled = {(h.table, h.path) for h in HOLDINGS if h.path and not h.by_email}
    assert not handled & set(OTHER_PEOPLES_DATA), "a path cannot be both"
    unhandled = schema_paths() - handled - set(OTHER_PEOPLES_DATA)
    assert not unhandled, f"add these to course.privacy.HOLDINGS (or OTHER_PEOPLES_DATA): {sorted(unhandled)}"
    stale = (handled | set(OTHER_PEOPLES_DATA)) - schema_paths()
    assert not stale, f"these no longer exist in the schema: {sorted(stale)}"
    assert any(h.table == "users" and not h.path for h in HOLDINGS)
    # Personal columns without a foreign key: anything holding an email must be declared.
    emails = {(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns if "email" in c.name}
    assert emails <= privacy.PERSONAL_COLUMNS
    assert {(h.table, h.path[0]) for h in HOLDINGS if h.by_email} == {key for key in emails if key[0] != "users"}
    assert {h.table for h in HOLDINGS if h.disposal is Disposal.ANONYMISE} == set(privacy.ANONYMISERS)


def _text_columns() -> list[tuple[Table, Any]]:
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text | JSON) or "JSON" in type(column.type).__name__.upper()
    ]


def _everywhere(store: Store, needle: str) -> list[str]:
    """Every table.column in the whole database whose value contains `needle` (case-insensitive)."""
    found = []
    with store.read() as conn:
        for table, column in _text_columns():
            for value in conn.execute(select(column).where(column.is_not(None))).scalars():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if needle.lower() in text.lower():
                    found.append(f"{table.name}.{column.name}")
                    break
    return found


@pytest.fixture
def world(store: Store, now: datetime) -> dict[str, Any]:
    """Sam, an educator who also learns, has a row in every personal table; Bob and Tess are others."""
    sam = person(store, now, "sam@example.org", Role.EDUCATOR, name="Samira Quill")
    bob = person(store, now, "bob@example.org")
    tess = person(store, now, "tess@example.org", Role.EDUCATOR)
    at = do_everything(store, sam, now)
    certificates.issue(store, sam, COURSE, now=at)
    sams_group = cohort(store, sam, [bob], now, name="Sam's group")
    tess_group = cohort(store, tess, [sam, bob], now, name="Tess's group")
    sams_reflection = reflect(store, sam, at, title="Sam's own note")
    share(store, sam, sams_reflection, tess_group, now=at)
    bobs_reflection = reflect(store, bob, at, title="Bob's note", clinician_feeling="Bob's own feelings")
    share(store, bob, bobs_reflection, sams_group, now=at)
    # An edit, so the reflection has a revision too.
    revise_structured(store, sam, sams_reflection, title="Sam's own note", answers=answers(learned="v2"), now=at)
    with pytest.raises(accounts.SignInError):
        accounts.authenticate(store, email="sam@example.org", password="wrong password!", now=at)
    accounts.authenticate(store, email="sam@example.org", password="a long password 1", now=at + timedelta(seconds=1))
    token = accounts.start_session(store, sam.id, now=at)
    xapi.enqueue_new(store, now=at)
    # Email: a reset link, a choice about reminders, an overdue note sent to Sam as an educator (with
    # its unsubscribe token: Bob has not done what Sam's group was set), and her last look at the group.
    passwords.request_reset(store, "sam@example.org", now=at)
    reminders.set_preference(store, sam, reminders.LEARNER_DUE, False, now=at)
    cohorts.assign(store, sam, sams_group, "module", "first", at + timedelta(hours=1), now=at)
    settings = mail.SmtpSettings(host="mail.invalid", sender="course@example.org", public_url="https://c.example")
    sent = reminders.send_reminders(
        store, COURSE, settings, now=at + timedelta(hours=2), sender=lambda _settings, _message: None
    )
    assert sent.sent == 1
    teaching.record_visit(store, sam, [sams_group], now=at)
    # Tess invited Sam's email to a second cohort; Sam has not answered (issue 16).
    cohorts.invite(store, tess, cohorts.create_cohort(store, tess, "Tess's second", now=at).id, sam.email, now=at)
    _lms_rows(store, sam, sams_group, at)
    return {"sam": sam, "bob": bob, "tess": tess, "token": token, "at": at, "bobs": bobs_reflection,
            "sams_group": sams_group, "tess_group": tess_group}  # fmt: skip


def _lms_rows(store: Store, sam: accounts.User, sams_group: int, at: datetime) -> None:
    """Sam came from an LMS (LTI), has a result waiting to go back to it, and a statement already voided."""
    with store.write() as conn:
        platform = conn.execute(
            insert(LtiPlatformRow)
            .values(name="Moodle", issuer="https://lms.example", client_id="c1", auth_login_url="https://lms.example/a",
                    auth_token_url="https://lms.example/t", key_set_url="https://lms.example/k",
                    deployment_ids=["1"], created_at=at)
            .returning(LtiPlatformRow.id)
        ).scalar_one()  # fmt: skip
        conn.execute(insert(LtiUserRow).values(platform_id=platform, sub="s-1", user_id=sam.id, created_at=at))
        context = conn.execute(
            insert(LtiContextRow)
            .values(platform_id=platform, deployment_id="1", context_id="ctx", title="PSY101", cohort_id=sams_group,
                    ags_scopes=[], created_at=at)
            .returning(LtiContextRow.id)
        ).scalar_one()  # fmt: skip
        conn.execute(
            insert(LtiLinkRow).values(platform_id=platform, lti_context_id=context, resource_link_id="rl",
                                      target="assessment", created_at=at, updated_at=at)
        )  # fmt: skip
        conn.execute(
            insert(LtiScoreRow).values(lti_context_id=context, user_id=sam.id, status="pending", next_attempt_at=at)
        )
        event = conn.execute(select(func.min(EventRow.id)).where(EventRow.user_id == sam.id)).scalar_one()
        conn.execute(
            insert(XapiVoidRow).values(event_id=event, status="pending", attempts=0, next_attempt_at=at, queued_at=at)
        )


def _ids(store: Store, holding: privacy.Holding, user_id: int, email: str) -> list[int]:
    with store.read() as conn:
        return sorted(r.id for r in conn.execute(rows_of(holding, user_id, email)).all())


def test_the_export_covers_every_row_held_about_the_person(store: Store, now: datetime, world: dict[str, Any]) -> None:
    sam = world["sam"]
    exported = privacy.export_personal_data(store, sam, sam.id, now=now)
    json.dumps(exported)  # all of it is JSON
    for holding in HOLDINGS:
        expected = _ids(store, holding, sam.id, sam.email)
        assert expected, f"the fixture has no {holding.table} row for Sam: extend it so the test covers it"
        assert sorted(row["id"] for row in exported["tables"][holding.table]) == expected, holding.table
        for row in exported["tables"][holding.table]:
            assert not set(holding.secret_columns) & set(row)
    text = json.dumps(exported, ensure_ascii=False)
    assert "$argon2" not in text and FEELINGS in text and REASON in text
    assert "Bob's note" not in text and "bob@example.org" not in text  # other people's data stays out
    [user_row] = exported["tables"]["users"]
    assert user_row["email"] == "sam@example.org" and "password_hash" not in user_row
    assert {r["kind"] for r in exported["tables"]["auth_tokens"]} == {"session"}
    with pytest.raises(PermissionDenied):
        privacy.export_personal_data(store, world["bob"], sam.id, now=now)
    with pytest.raises(PermissionDenied):
        privacy.export_personal_data(store, world["tess"], sam.id, now=now)
    admin = person(store, now, "admin@example.org", Role.ADMIN)
    assert privacy.export_personal_data(store, admin, sam.id, now=now)["tables"] == exported["tables"]


def test_deleting_the_account_erases_everything_personal(store: Store, now: datetime, world: dict[str, Any]) -> None:
    sam, bob = world["sam"], world["bob"]
    certificate = certificates.certificate_of(store, sam, sam.id)
    assert certificate is not None
    before = {h.table: _ids(store, h, sam.id, sam.email) for h in HOLDINGS}

    with pytest.raises(PrivacyError, match="type the email"):
        privacy.delete_account(store, sam, sam.id, confirm_email="sam@example.com", now=now)
    with pytest.raises(PermissionDenied):
        privacy.delete_account(store, bob, sam.id, confirm_email="sam@example.org", now=now)
    assert {h.table: _ids(store, h, sam.id, sam.email) for h in HOLDINGS} == before  # nothing touched

    privacy.delete_account(store, sam, sam.id, confirm_email="  Sam@Example.org ", now=now)
    for holding in HOLDINGS:
        after = _ids(store, holding, sam.id, sam.email)
        if holding.disposal is Disposal.DELETE:
            assert after == [], holding.table
        else:
            assert after == before[holding.table], holding.table
    # Nothing the person wrote or was called is left anywhere in the database.
    for needle in ("sam@example.org", "Samira Quill", REASON, FEELINGS, "Sam's own note", "A vignette-step answer"):
        assert _everywhere(store, needle) == [], needle
    assert accounts.user_for_session(store, world["token"], now=now) is None
    assert accounts.get_user(store, sam.id) is None
    assert certificates.verify(store, certificate.code) is None
    with pytest.raises(PrivacyError):
        privacy.delete_account(store, sam, sam.id, confirm_email=privacy.tombstone_email(sam.id), now=now)

    # Other people's data and the cohort figures are untouched.
    assert read_reflection(store, bob, world["bobs"]).title == "Bob's note"
    with store.read() as conn:
        members = conn.execute(
            select(func.count()).select_from(CohortMemberRow).where(CohortMemberRow.cohort_id == world["tess_group"])
        ).scalar_one()
        sams_group = conn.execute(select(CohortRow.name).where(CohortRow.id == world["sams_group"])).scalar_one()
    assert members == 2 and sams_group == "Sam's group"
