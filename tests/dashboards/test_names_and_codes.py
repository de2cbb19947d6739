"""Issue 15: names in any script are found alike on SQLite and PostgreSQL; codes typed from paper match.

Each store test runs on both databases (the ``store`` fixture). Before the fix SQLite's ``lower()``
and ``LIKE`` folded ASCII only, so "Élodie", "élodie" and "Дмитрий" found nobody there.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select, text, update

from course import accounts, certificates, codes, cohorts, textkey
from course.accounts import Role, User
from course.cohorts import CohortError
from course.privacy import delete_account
from course.store.db import Store, _alembic_config, migrate, migration_connection
from course.store.models import CertificateRow, CohortRow, UserRow
from tests.cpd.helpers import COURSE, complete_course

NAMES = [
    "Élodie Brûlé",
    "Дмитрий Шостакович",
    "Zoë Ó Briain",
    "王芳",
    "Ἀλέξανδρος",
    "Straße Weiß",
    "Ｆｕｌｌ Ｗｉｄｔｈ",
]


def _people(store: Store, now: datetime) -> tuple[User, dict[str, User]]:
    # An administrator: listing accounts by name is for admins only (issue 16's consent rule).
    teacher = accounts.create_user_admin(
        store, email="tess@example.org", display_name="Tess", password="x" * 12, role=Role.ADMIN, now=now
    )
    made = {
        name: accounts.create_user_admin(
            store, email=f"p{i}@example.org", display_name=name, password="x" * 12, role=Role.LEARNER, now=now
        )
        for i, name in enumerate(NAMES)
    }
    return teacher, made


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Élodie", "Élodie Brûlé"),  # the issue's three inputs
        ("élodie", "Élodie Brûlé"),
        ("Дмитрий", "Дмитрий Шостакович"),
        ("ELODIE", "Élodie Brûlé"),  # and more of the same kind
        ("brule", "Élodie Brûlé"),
        ("дмитрий", "Дмитрий Шостакович"),
        ("ШОСТАКОВИЧ", "Дмитрий Шостакович"),
        ("zoe o", "Zoë Ó Briain"),
        ("王芳", "王芳"),
        ("αλεξ", "Ἀλέξανδρος"),
        ("STRASSE", "Straße Weiß"),
        ("full width", "Ｆｕｌｌ Ｗｉｄｔｈ"),
        ("  élodie   BRÛLÉ ", "Élodie Brûlé"),
        ("E\u0301lodie", "Élodie Brûlé"),  # typed decomposed (macOS input)
    ],
)
def test_a_name_is_found_whatever_its_case_accents_or_script(
    store: Store, now: datetime, typed: str, expected: str
) -> None:
    teacher, made = _people(store, now)
    assert [m.display_name for m in cohorts.find_learners(store, teacher, typed)] == [expected]
    group = cohorts.create_cohort(store, teacher, "Everyone", now=now)
    for person in made.values():
        cohorts.add_member(store, teacher, group.id, person.id, now=now)
    assert [m.display_name for m in cohorts.members(store, teacher, group.id, matching=typed)] == [expected]


def test_search_wildcards_and_short_queries_match_only_themselves(store: Store, now: datetime) -> None:
    teacher, _ = _people(store, now)
    accounts.create_user_admin(
        store, email="under_score@example.org", display_name="A 100% learner", password="x" * 12,
        role=Role.LEARNER, now=now,
    )  # fmt: skip
    assert [m.display_name for m in cohorts.find_learners(store, teacher, "100%")] == ["A 100% learner"]
    assert [m.email for m in cohorts.find_learners(store, teacher, "r_s")] == ["under_score@example.org"]
    assert cohorts.find_learners(store, teacher, "%%") == []
    assert cohorts.find_learners(store, teacher, "é") == []  # one letter once folded
    assert cohorts.find_learners(store, teacher, "\u0301\u0301") == []  # only accents
    assert cohorts.find_learners(store, teacher, "tess") == []  # educators are not listed


def test_member_lists_sort_by_the_folded_name_the_same_on_both_databases(store: Store, now: datetime) -> None:
    teacher, made = _people(store, now)
    group = cohorts.create_cohort(store, teacher, "Everyone", now=now)
    for person in made.values():
        cohorts.add_member(store, teacher, group.id, person.id, now=now)
    listed = [m.display_name for m in cohorts.members(store, teacher, group.id)]
    assert listed == sorted(NAMES, key=textkey.fold)


def test_the_search_key_follows_every_change_of_name_or_email(store: Store, now: datetime) -> None:
    teacher, made = _people(store, now)
    # A provider sign-in creates, then refreshes, name and email (course.accounts.upsert_oidc_user).
    accounts.upsert_oidc_user(
        store, subject="iss|1", email="amelie@example.org", display_name="Amelie", role=Role.LEARNER, now=now
    )
    accounts.upsert_oidc_user(
        store, subject="iss|1", email="amelie@example.org", display_name="Amélie Poulain", role=Role.LEARNER, now=now
    )
    assert [m.display_name for m in cohorts.find_learners(store, teacher, "poulain")] == ["Amélie Poulain"]
    # Erasure removes the name from the key too: the closed account is found by neither.
    elodie = made["Élodie Brûlé"]
    delete_account(store, elodie, elodie.id, confirm_email=elodie.email, now=now)
    assert cohorts.find_learners(store, teacher, "elodie") == []
    with store.read() as conn:
        rows = conn.execute(select(UserRow.display_name, UserRow.email, UserRow.search_key)).all()
    assert all(r.search_key == textkey.search_key(r.display_name, r.email) for r in rows)
    assert not any("elodie" in r.search_key for r in rows)


def test_the_migration_backfills_keys_for_rows_written_before_it(blank_engine: Engine, now: datetime) -> None:
    """Rows written at revision 0010 get their search and code keys from revision 0011's backfill."""
    from alembic import command

    config = _alembic_config()
    with migration_connection(blank_engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
    with blank_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, display_name, password_hash, role, created_at) "
                "VALUES (1, 'e@example.org', 'Élodie Brûlé', NULL, 'educator', :at)"
            ),
            {"at": now.isoformat() if blank_engine.dialect.name == "sqlite" else now},
        )
        conn.execute(
            text(
                "INSERT INTO cohorts (id, name, owner_id, invite_code, created_at) VALUES (1, 'G', 1, 'ABCD-EFGH', :at)"
            ),
            {"at": now.isoformat() if blank_engine.dialect.name == "sqlite" else now},
        )
    migrate(blank_engine)
    with blank_engine.connect() as conn:
        assert conn.execute(select(UserRow.search_key)).scalar_one() == "elodie brule\ne@example.org"
        assert conn.execute(select(CohortRow.invite_key)).scalar_one() == "ABCDEFGH"


# --- codes -----------------------------------------------------------------------------------------------


def test_the_code_alphabet_has_no_look_alikes() -> None:
    assert not set("ILOU") & set(codes.ALPHABET) and len(set(codes.ALPHABET)) == 32
    assert all(ch in codes.ALPHABET for ch in codes.new_code(200))


@given(st.text(alphabet=codes.ALPHABET, min_size=1, max_size=24))
def test_any_code_read_back_however_typed_matches(code: str) -> None:
    printed = codes.group_code(code)
    key = codes.code_key(code)
    for typed in (printed, printed.lower(), f"  {printed.replace('-', ' ')}  ", printed.replace("-", "—")):
        assert codes.code_key(typed) == key
    look_alike = code.replace("0", "O").replace("1", "l").lower()
    assert codes.code_key(look_alike) == key


def test_look_alikes_from_other_scripts_and_full_width_forms_fold() -> None:
    assert codes.code_key("ＡＢＣＤ－ＥＦ０１") == "ABCDEF01"
    assert codes.code_key("АВСЕ КМНР") == "ABCEKMHP"  # Cyrillic capitals
    assert codes.code_key("ΑΒΕΖ") == "ABEZ"  # Greek capitals
    assert codes.code_key("o0 Oo i1Il") == "00001111"
    assert codes.code_key("AB!CD") != codes.code_key("ABCD")  # no stray character is dropped silently


def test_a_cohort_code_is_accepted_however_it_is_typed(store: Store, now: datetime) -> None:
    # An administrator: listing accounts by name is for admins only (issue 16's consent rule).
    teacher = accounts.create_user_admin(
        store, email="tess@example.org", display_name="Tess", password="x" * 12, role=Role.ADMIN, now=now
    )
    ann = accounts.create_user_admin(
        store, email="ann@example.org", display_name="Ann", password="x" * 12, role=Role.LEARNER, now=now
    )
    group = cohorts.create_cohort(store, teacher, "G", now=now)
    assert all(ch in codes.ALPHABET for ch in group.invite_code.replace("-", ""))
    raw = group.invite_code.replace("-", "")
    typed = " " + raw[:3].lower() + " - " + raw[3:].replace("0", "o").replace("1", "I") + " "
    assert cohorts.join_by_code(store, ann, typed, now=now).id == group.id
    # A code issued before (old alphabet, as stored then) keeps working, typed with look-alikes.
    with store.write() as conn:
        conn.execute(update(CohortRow).where(CohortRow.id == group.id).values(invite_code="XYZU-2345"))
        conn.execute(update(CohortRow).where(CohortRow.id == group.id).values(invite_key=codes.code_key("XYZU-2345")))
        old_id = conn.execute(
            insert(CohortRow)
            .values(name="Old", owner_id=teacher.id, invite_code="ABCD-EFGH", created_at=now)
            .returning(CohortRow.id)
        ).scalar_one()
    assert cohorts.join_by_code(store, ann, "abcdefgh", now=now).id == old_id
    assert cohorts.join_by_code(store, ann, "xyzu 2345", now=now).id == group.id
    with pytest.raises(CohortError, match="No cohort has the code ABCD-EFGX"):
        cohorts.join_by_code(store, ann, "abcd-efgx", now=now)


def test_a_certificate_code_typed_from_paper_verifies(store: Store, now: datetime) -> None:
    from tests.cpd.helpers import person

    learner = person(store, now, "lee@example.org")
    complete_course(store, learner, now)
    cert = certificates.issue(store, learner, COURSE, now=now + timedelta(days=1))
    assert len(cert.code) == 24 and all(ch in codes.ALPHABET for ch in cert.code)
    typed = cert.display_code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert certificates.verify(store, typed) is not None
    assert certificates.verify(store, f"  {cert.display_code}  ") is not None
    assert certificates.verify(store, cert.code[:-1]) is None
    # A certificate issued before (RFC 4648 base 32: has I, L and O, never 0 or 1) still verifies,
    # typed as printed or with the digits a reader may take its letters for.
    old = "OILAB2CD3EF4GH5IJ6KL7MNO"
    with store.write() as conn:
        conn.execute(
            update(CertificateRow).where(CertificateRow.id == cert.id).values(code=old, code_key=codes.code_key(old))
        )
    for typed_old in (old, old.lower(), "0ILA-B2CD-3EF4-GH5I-J6KL-7MN0", "oi1a b2cd 3ef4 gh51 j6k1 7mno"):
        assert certificates.verify(store, typed_old) is not None, typed_old
