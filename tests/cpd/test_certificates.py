"""Certificates: issued only on completion, once, with an unguessable code that verifies publicly."""

from __future__ import annotations

import re
import zlib
from datetime import datetime, timedelta

import pytest

from course import certificates, cohorts, progress
from course.accounts import Role
from course.certificates import NotYetComplete, active_time_floor, certificate_of, completion, issue, verify
from course.permissions import PermissionDenied
from course.privacy import delete_account
from course.store.db import Store
from tests.cpd.helpers import COURSE, complete_course, pass_assessment, person, play_to_an_ending


def test_no_certificate_until_every_module_is_complete_and_the_assessment_passed(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org")
    with pytest.raises(NotYetComplete) as refused:
        issue(store, learner, COURSE, now=now)
    assert (
        refused.value.missing
        == [
            "complete the module “First module”",
            "complete the module “Second module”",
            "pass the assessment",
        ]
        or "pass the assessment" in refused.value.missing
    )
    pass_assessment(store, learner, now)
    status = completion(store, learner, COURSE)
    assert status.assessment_passed and status.modules_done == 0 and not status.complete
    with pytest.raises(NotYetComplete):
        issue(store, learner, COURSE, now=now)
    assert certificate_of(store, learner, learner.id) is None


def test_marking_modules_complete_without_checks_cases_or_time_does_not_issue_a_certificate(
    store: Store, now: datetime
) -> None:
    """The issue's empty certificate: pass, press "Mark as complete" on every module, ask for it."""
    learner = person(store, now, "lee@example.org")
    pass_assessment(store, learner, now)
    at = now + timedelta(minutes=11)
    for module in COURSE.modules.values():
        progress.set_module_complete(store, learner, module, True, now=at)
        at += timedelta(seconds=5)
    with pytest.raises(NotYetComplete) as refused:
        issue(store, learner, COURSE, now=at)
    missing = refused.value.missing
    assert "answer the knowledge checks in “A first module” (0 of 2 answered)" in missing
    assert "answer the knowledge checks in “A second module” (0 of 2 answered)" in missing
    assert "play the case “A fixture case” through to one of its endings" in missing
    assert any(m.startswith("spend about ") and "of the 15 minutes this certificate needs" in m for m in missing)
    assert "pass the assessment" not in missing and not [m for m in missing if m.startswith("complete the module")]

    # Doing the checks and the case is still not enough without the time: a click-through is refused.
    for module in COURSE.modules.values():
        for item in COURSE.checks_for(module.id):
            progress.answer_check(store, learner, COURSE, item, item.answer, position=1, now=at)
            at += timedelta(seconds=5)
    status = completion(store, learner, COURSE)
    assert not status.checks_left and status.active_seconds < active_time_floor(COURSE)
    assert certificate_of(store, learner, learner.id) is None

    # Real engagement: time on the case brings the measured time over the floor.
    at = play_to_an_ending(store, learner, COURSE, "case", at + timedelta(minutes=14))
    status = completion(store, learner, COURSE)
    assert not status.cases_left
    if not status.time_met:  # one more spell of reading, then the certificate
        progress.record_module_view(store, learner, COURSE.modules["first"], now=at)
        at += timedelta(minutes=15)
        progress.record_module_view(store, learner, COURSE.modules["first"], now=at)
    cert = issue(store, learner, COURSE, now=at)
    assert cert.cpd_minutes * 60 >= active_time_floor(COURSE) and cert.cpd_hours > 0


def test_a_certificate_never_states_zero_hours() -> None:
    assert active_time_floor(COURSE) >= 15 * 60  # the fixture course estimates only 20 minutes
    assert certificates.timelog.cpd_hours(active_time_floor(COURSE)) >= 0.25


def test_issuing_twice_returns_the_same_certificate_and_the_code_verifies(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org", name="Zoë Ó Briain")
    done_at = complete_course(store, learner, now)
    first = issue(store, learner, COURSE, now=done_at)
    again = issue(store, learner, COURSE, now=done_at + timedelta(days=1))
    assert again == first
    assert first.learner_name == "Zoë Ó Briain" and first.course_title == certificates.COURSE_TITLE
    assert first.cpd_minutes >= 24  # two modules read for 12 minutes each, plus the assessment
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{24}", first.code)  # Crockford base 32: no I, L, O, U
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}", first.display_code)

    found = verify(store, first.display_code.lower())
    assert found == certificates.PublicCertificate("Zoë Ó Briain", certificates.COURSE_TITLE, done_at)
    assert verify(store, "AAAA" * 6) is None and verify(store, "") is None and verify(store, "x" * 500) is None

    other = person(store, now, "other@example.org")
    complete_course(store, other, now)
    assert issue(store, other, COURSE, now=done_at).code != first.code
    # Another learner cannot look at this one's certificate; the educator of the learner's cohort can
    # (tests/dashboards/test_educator_scope.py covers other educators).
    with pytest.raises(PermissionDenied):
        certificate_of(store, other, learner.id)
    educator = person(store, now, "teach@example.org", Role.EDUCATOR)
    cohort = cohorts.create_cohort(store, educator, "G", now=now)
    cohorts.join_by_code(store, learner, cohort.invite_code, now=now)
    assert certificate_of(store, educator, learner.id) == first


def test_a_revoked_certificate_or_closed_account_no_longer_verifies(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org")
    admin = person(store, now, "admin@example.org", Role.ADMIN)
    complete_course(store, learner, now)
    cert = issue(store, learner, COURSE, now=now)
    with pytest.raises(PermissionDenied):
        certificates.revoke(store, learner, cert.id, now=now)
    assert certificates.revoke(store, admin, cert.id, now=now)
    assert verify(store, cert.code) is None and certificate_of(store, learner, learner.id) is None
    reissued = issue(store, learner, COURSE, now=now)
    assert reissued.code != cert.code and verify(store, reissued.code) is not None
    delete_account(store, learner, learner.id, confirm_email="lee@example.org", now=now)
    assert verify(store, reissued.code) is None


def _pdf_text(pdf: bytes) -> str:
    """The text operators of every (deflated) content stream of a PDF written with a core font."""
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            found.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            found.append(stream.decode("latin-1"))
    return "\n".join(found)


def test_the_pdf_carries_name_course_hours_date_and_code(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    learner = person(store, now, "lee@example.org", name="Lee Learner")
    complete_course(store, learner, now)
    cert = issue(store, learner, COURSE, now=now)
    # With the built-in font the text is plain in the PDF, so the test can read it back.
    monkeypatch.setenv("COURSE_PDF_FONTS", "/nowhere/*.ttf")
    monkeypatch.delenv("COURSE_PDF_FONT", raising=False)
    pdf = certificates.certificate_pdf(cert, f"https://course.example.org/verify/{cert.code}")
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf)
    for expected in ("Lee Learner", "Relational Prescribing", f"{cert.display_code}", "/verify/", "14 March 2025"):
        assert expected in text, expected
    assert f"{cert.cpd_hours:g} hours" in text
    # A name outside Latin-1 never breaks the PDF, with or without a Unicode font installed.
    unusual = certificates.Certificate(**{**cert.__dict__, "learner_name": "Дмитрий 李"})
    assert certificates.certificate_pdf(unusual, "https://x/verify/1").startswith(b"%PDF-")
    monkeypatch.undo()
    assert certificates.certificate_pdf(unusual, "https://x/verify/1").startswith(b"%PDF-")
